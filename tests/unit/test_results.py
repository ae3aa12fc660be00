"""results.json: round trip, and writes that are atomic (never a half-written file)."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from vmmonbench.results import FORMAT_VERSION, Results, RunResult, RunSummary, write_atomic


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


def test_a_failed_write_leaves_the_previous_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "results.json"
    write_atomic(path, b'{"complete": true}')

    def broken_fsync(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, b'{"half": ')
    assert path.read_bytes() == b'{"complete": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temp file left


def test_the_new_content_appears_only_by_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "results.json"
    write_atomic(path, b"old")
    seen: list[bytes] = []
    real_replace = Path.replace

    def observe(self: Path, target: Path) -> Path:
        seen.append(path.read_bytes())  # what a reader sees just before the rename
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", observe)
    write_atomic(path, b"new and whole")
    assert seen == [b"old"]
    assert path.read_bytes() == b"new and whole"
