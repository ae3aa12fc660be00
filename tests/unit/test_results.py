"""results.json: round trip (atomic writes are tested with outputs)."""

from __future__ import annotations

from pathlib import Path

import orjson

from vmmonbench.results import FORMAT_VERSION, Results, RunResult, RunSummary


def _results() -> Results:
    run = RunResult(
        label="per-vm-lock+event-plus-stats+4.1",
        lock="per-vm-lock",
        fetch="event-plus-stats",
        optimizations=["no-select-1"],
        summary=RunSummary(simulated_s=60.0, statements=42, cycles={"stats": 4}),
        statements=[{"label": "UpdateVmStatistics", "calls": 4}],
    )
    return Results(workload={"name": "stable", "vms": 10}, runs=[run])


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    original = _results()
    original.save(path)
    loaded = Results.load(path)
    assert loaded == original
    data = orjson.loads(path.read_bytes())
    assert list(data)[:5] == [
        "format_version",
        "format_history",
        "vmmonbench_version",
        "created",
        "status",
    ]
    assert data["format_version"] == FORMAT_VERSION
    assert path.stat().st_mode & 0o044  # readable by others: results are meant to be shared
