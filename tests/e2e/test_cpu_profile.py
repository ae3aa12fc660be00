"""CPU profiles with py-spy: a real profiled run; the run goes on when py-spy may not attach."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.test_run import run_vmmonbench
from vmmonbench.configuration import select_configurations
from vmmonbench.cpuprofile import CpuProfiler
from vmmonbench.runner import RunOptions, run_workload
from vmmonbench.workload import load_workload

SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"


@pytest.mark.slow
def test_a_profiled_run_writes_speedscope_and_flame_graph_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_vmmonbench(
        "run",
        "smoke",
        "--vms",
        "600",
        "--duration",
        "30s",
        "--mode",
        "per-vm-lock",
        "--mode",
        "event-plus-stats",
        "--profile",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    for run in results["runs"]:
        profile = run["cpu_profile"]
        assert profile["available"], profile
        speedscope = json.loads((out / profile["speedscope"]).read_text())
        assert speedscope["$schema"] == SPEEDSCOPE_SCHEMA
        assert speedscope["shared"]["frames"]
        assert sum(len(p["samples"]) for p in speedscope["profiles"]) == profile["samples"] > 0
        assert (out / profile["flamegraph"]).read_text().lstrip().startswith("<?xml")
        top = profile["monitoring_hot_spots"][:3]
        assert top
        assert all("vmmonbench/monitor/" in spot["location"] for spot in top), top
        kinds = {row["kind"] for row in profile["code_vs_db"]}
        assert kinds == {"cpu", "db"}


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_without_permission_to_trace_the_run_goes_on_and_says_why(tmp_path: Path) -> None:
    # py-spy run as `nobody` may not trace this process: the permission path, for real
    denied = CpuProfiler(
        tmp_path, command_prefix=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    )
    if os.geteuid() != 0:
        denied = CpuProfiler(tmp_path, executable="/nonexistent/py-spy")
    messages: list[str] = []

    class Notes:
        def configuration_started(self, *_args: object) -> None: ...

        def update(self, *_args: object) -> None: ...

        def configuration_done(self, *_args: object) -> None: ...

        def message(self, text: str) -> None:
            messages.append(text)

    results = run_workload(
        RunOptions(
            workload=load_workload("smoke").with_overrides(duration_s=10.0),
            configurations=select_configurations(["per-vm-lock", "event-plus-stats"], ["none"]),
            out_dir=tmp_path / "out",
            profile=True,
            cpu_profiler=denied,
        ),
        Notes(),
    )
    assert results.status == "complete"
    assert len(messages) == 1
    assert messages[0].startswith("CPU profiles disabled: ")
    assert "CAP_SYS_PTRACE" in messages[0]
    assert results.extra.cpu_profile is not None
    assert results.extra.cpu_profile.available is False
    (run,) = results.runs
    assert run.cpu_profile.recorded
    assert run.cpu_profile.available is False
    assert run.summary.cycles.stats >= 1
