"""Frozen results (fresh copies per test, so tests may modify them) and synthetic results."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from vmmonbench.results import Results, RunResult

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LEGACY = "per-vm-lock+event-plus-stats+3.6"
OPTIMIZED = "per-vm-lock+event-plus-stats+4.1"


def load_smoke() -> Results:
    """tests/fixtures/results/smoke.json, loaded afresh (a copy the caller may modify)."""
    return Results.load(FIXTURES / "results" / "smoke.json")


@pytest.fixture
def smoke() -> Results:
    """The frozen smoke results (the baseline side of most tests)."""
    return load_smoke()


@pytest.fixture
def stable() -> Results:
    """tests/fixtures/results/stable-6000.json, loaded afresh."""
    return Results.load(FIXTURES / "results" / "stable-6000.json")


@pytest.fixture
def gate_runs() -> tuple[Results, Results]:
    """Two real runs of the deterministic gate workload (same code, same machine)."""
    return (
        Results.load(FIXTURES / "compare" / "gate-run1.json"),
        Results.load(FIXTURES / "compare" / "gate-run2.json"),
    )


def statement(results: Results, label: str, name: str, config: str = OPTIMIZED) -> dict[str, Any]:
    """The statements entry `name` of configuration `config` (asserting it exists)."""
    run = results.run(config)
    assert run is not None
    entry = next((s for s in run.statements if s["label"] == name), None)
    assert entry is not None, f"{name} not in {label}"
    return entry


def synthetic(
    stats_db_times: dict[str, Sequence[float]], *, workload: dict[str, Any] | None = None
) -> Results:
    """Results whose configurations have the given statistics-cycle DB times as raw samples."""
    runs = []
    for label, samples in stats_db_times.items():
        lock, fetch, _ = label.split("+", 2)
        run = RunResult(label=label, lock=lock, fetch=fetch, optimizations=[])
        run.cycles = [
            {
                "kind": "stats",
                "host": 0,
                "start_s": 15.0 * index,
                "duration_s": 2 * value,
                "db_time_s": value,
                "statements": 100,
                "rpc_bytes": 1000,
            }
            for index, value in enumerate(samples)
        ]
        run.summary.cycles = {"stats": len(samples), "list": 0, "event": 0}
        run.summary.db_time_per_stats_cycle_s = sum(samples) / len(samples)
        run.summary.stats_cycle_s = 2 * run.summary.db_time_per_stats_cycle_s
        run.summary.db_time_s = sum(samples)
        run.summary.statements = 100 * len(samples)
        run.summary.statements_per_stats_cycle = 100.0
        runs.append(run)
    return Results(
        workload=workload or {"name": "synthetic", "vms": 100, "seed": 1},
        environment={"db_dialect": "sqlite"},
        runs=runs,
    )
