"""`run --connect`: monitoring fake hosts started separately, on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.e2e.test_run import check_contract, run_vmmonbench
from tests.processes import fake_host_process


@pytest.fixture
def two_fake_hosts() -> Iterator[list[str]]:
    """Two separately started `vmmonbench fake-host` processes (host index 0 and 1)."""
    with ExitStack() as stack:
        endpoints = []
        for offset in (0, 1):
            args = ("--vms", "30", "--hosts", "1", "--host-offset", str(offset), "--seed", "99")
            _, ready = stack.enter_context(fake_host_process(*args, "--port", "0"))
            (host,) = ready["hosts"]
            endpoints.append(f"127.0.0.1:{host['port']}")
        yield endpoints


@pytest.mark.slow
def test_run_monitors_separately_started_fake_hosts(
    two_fake_hosts: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = run_vmmonbench(
        "run",
        "stable",
        "--connect",
        ",".join(two_fake_hosts),
        "--duration",
        "30s",
        "--mode",
        "per-vm-lock",
        "--mode",
        "event-plus-stats",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    check_contract(results)
    assert results["workload"]["hosts"] == 2
    assert results["workload"]["vms"] == 30
    assert results["workload"]["seed"] == 99
    assert results["extra"]["fake_hosts"]["remote"] is True
    assert any("taken from the connected fake hosts" in note for note in results["notes"])
    for run in results["runs"]:
        assert run["consistency"]["checked_vms"] == 60
        assert run["consistency"]["divergent_vms"] == 0
        assert {cycle["host"] for cycle in run["cycles"] if cycle["kind"] == "stats"} == {0, 1}


def test_connect_to_nothing_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run_vmmonbench(
        "run", "smoke", "--connect", "127.0.0.1:1", "--out", str(tmp_path / "o"), cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "cannot reach fake host 127.0.0.1:1" in done.stderr
