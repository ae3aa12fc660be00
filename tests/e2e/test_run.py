"""`vmmonbench run` on the smoke workload in a real subprocess; results.json against CONTRACT.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

SUMMARY_KEYS: dict[str, type | tuple[type, ...]] = {
    "simulated_s": (int, float),
    "cycles": dict,
    "effective_stats_period_s": (int, float, type(None)),
    "busy_s": (int, float),
    "utilization": (int, float),
    "db_time_s": (int, float),
    "statements": int,
    "statements_per_stats_cycle": (int, float),
    "rows_written": int,
    "rpc_calls": int,
    "rpc_bytes": int,
    "vms_skipped": int,
    "cycles_skipped": int,
}
STATEMENT_KEYS = {"label", "sql", "calls", "rows", "total_s", "mean_s", "p50_s", "p95_s", "p99_s"}
STATEMENT_KEYS |= {"max_s", "share"}
CYCLE_KEYS = {"kind", "start_s", "duration_s", "db_time_s", "statements", "rows_read"}
CYCLE_KEYS |= {"rows_written", "vms_analysed", "vms_skipped", "rpc_bytes"}
COMMAND_KEYS = {"count", "wait_p50_s", "wait_p95_s", "wait_p99_s", "wait_max_s"}
LABELS = [
    "host-lock+polling-only+3.6",
    "host-lock+event-plus-stats+3.6",
    "per-vm-lock+polling-only+3.6",
    "per-vm-lock+event-plus-stats+3.6",
    "per-vm-lock+event-plus-stats+4.1",
]


def run_vmmonbench(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The real entry point in a subprocess (the installed script, else `python -m`)."""
    return subprocess.run(
        [sys.executable, "-m", "vmmonbench", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def check_contract(results: dict[str, Any]) -> None:
    """Every key CONTRACT.md promises, with its type."""
    assert results["format_version"] == 1
    assert isinstance(results["vmmonbench_version"], str)
    datetime.fromisoformat(results["created"])
    assert results["status"] in {"complete", "interrupted", "failed"}
    environment = results["environment"]
    for key in ("python", "platform", "cpu_count", "db_dialect", "db_server_version"):
        assert key in environment
    workload = results["workload"]
    for key in ("name", "vms", "hosts", "vnics", "disks", "duration_s", "seed", "commands"):
        assert key in workload
    for run in results["runs"]:
        for key in ("label", "lock", "fetch", "optimizations", "summary", "statements"):
            assert key in run
        for key in ("cycles", "commands", "consistency"):
            assert key in run
        for key, kind in SUMMARY_KEYS.items():
            assert isinstance(run["summary"][key], kind), key
        assert set(run["summary"]["cycles"]) == {"stats", "list", "event"}
        for statement in run["statements"]:
            assert set(statement) >= STATEMENT_KEYS
        for cycle in run["cycles"]:
            assert set(cycle) >= CYCLE_KEYS
        assert set(run["commands"]) >= COMMAND_KEYS
        assert {"checked_vms", "divergent_vms"} <= set(run["consistency"])


@pytest.mark.slow
def test_smoke_run_writes_contract_results(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_vmmonbench("run", "smoke", "--out", str(out), "--duration", "30s", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    check_contract(results)
    assert results["status"] == "complete"
    assert [run["label"] for run in results["runs"]] == LABELS
    assert results["workload"]["duration_s"] == 30.0
    by_label = {run["label"]: run for run in results["runs"]}
    legacy = by_label["per-vm-lock+event-plus-stats+3.6"]["summary"]
    optimized = by_label["per-vm-lock+event-plus-stats+4.1"]["summary"]
    assert optimized["statements_per_stats_cycle"] < legacy["statements_per_stats_cycle"] / 5
    for run in results["runs"]:
        assert run["summary"]["cycles"]["stats"] >= 2
        assert run["consistency"]["divergent_vms"] == 0, run["consistency"]
        assert run["commands"]["count"] > 0
    for label in LABELS:
        assert label in done.stdout
    assert "DB self time hot spots" in done.stdout
    report = (out / "report.html").read_text()
    assert all(label in report for label in LABELS)
    again = run_vmmonbench(
        "report", str(out / "results.json"), "-o", str(tmp_path / "again.html"), cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.html").read_text() == report


@pytest.mark.slow
@pytest.mark.postgres
def test_smoke_run_on_postgresql_never_shows_the_password(
    tmp_path: Path, pg_database_url: str
) -> None:
    # the test server trusts local connections, so any password gets in: this one must not
    # appear in anything the run prints or writes
    secret = "s3cret-pw-7f1c"
    url = make_url(pg_database_url).set(password=secret).render_as_string(hide_password=False)
    assert secret in url
    out = tmp_path / "out"
    done = run_vmmonbench(
        "run",
        "smoke",
        "--out",
        str(out),
        "--duration",
        "20s",
        "--db",
        url,
        "--mode",
        "per-vm-lock",
        "--mode",
        "event-plus-stats",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    check_contract(results)
    assert results["environment"]["db_dialect"] == "postgresql"
    assert [run["label"] for run in results["runs"]] == LABELS[3:]
    assert all(run["consistency"]["divergent_vms"] == 0 for run in results["runs"])
    assert ":***@" in results["database"]["url"]
    written = [p for p in out.rglob("*") if p.is_file() and p.suffix in {".json", ".html", ".log"}]
    assert {p.name for p in written} >= {"results.json", "report.html"}
    for text in [done.stdout, done.stderr, *(p.read_text(errors="replace") for p in written)]:
        assert secret not in text
