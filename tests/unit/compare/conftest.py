"""Frozen results, typed copies changed field by field, and synthetic results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from vmmonbench.result_records import (
    CycleCounts,
    CycleKind,
    CycleRecord,
    Environment,
    StatementRecord,
)
from vmmonbench.results import Results, RunResult, RunSummary

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


def statement(results: Results, label: str, name: str, config: str = OPTIMIZED) -> StatementRecord:
    """The statements entry `name` of configuration `config` (asserting it exists)."""
    run = results.run(config)
    assert run is not None
    entry = next((s for s in run.statements if s.label == name), None)
    assert entry is not None, f"{name} not in {label}"
    return entry


def with_run(results: Results, config: str, **changes: Any) -> Results:
    """A copy of `results` whose configuration `config` has `changes` applied."""
    assert results.run(config) is not None, config
    runs = tuple(replace(r, **changes) if r.label == config else r for r in results.runs)
    return replace(results, runs=runs)


def with_statement(results: Results, name: str, config: str = OPTIMIZED, **changes: Any) -> Results:
    """A copy of `results` whose statement `name` of `config` has `changes` applied."""
    run = results.run(config)
    assert run is not None
    statement(results, "results", name, config)
    statements = tuple(replace(s, **changes) if s.label == name else s for s in run.statements)
    return with_run(results, config, statements=statements)


def without_runs(results: Results, *labels: str) -> Results:
    """A copy of `results` without the configurations `labels`."""
    return replace(results, runs=tuple(r for r in results.runs if r.label not in labels))


def stats_cycle(index: int, db_time_s: float) -> CycleRecord:
    """A statistics cycle of host 0, every 15 s, taking twice its DB time."""
    return CycleRecord(
        kind=CycleKind.STATS,
        host=0,
        start_s=15.0 * index,
        duration_s=2 * db_time_s,
        db_time_s=db_time_s,
        statements=100,
        rpc_bytes=1000,
    )


def synthetic(
    stats_db_times: dict[str, Sequence[float]], *, workload: dict[str, Any] | None = None
) -> Results:
    """Results whose configurations have the given statistics-cycle DB times as raw samples."""
    runs = []
    for label, samples in stats_db_times.items():
        lock, fetch, _ = label.split("+", 2)
        cycles = tuple(stats_cycle(index, value) for index, value in enumerate(samples))
        runs.append(
            RunResult(
                label=label,
                lock=lock,
                fetch=fetch,
                optimizations=(),
                statements=(),
                cycles=cycles,
                summary=RunSummary(
                    cycles=CycleCounts(stats=len(samples)),
                    db_time_per_stats_cycle_s=sum(samples) / len(samples),
                    stats_cycle_s=2 * sum(samples) / len(samples),
                    db_time_s=sum(samples),
                    statements=100 * len(samples),
                    statements_per_stats_cycle=100.0,
                ),
            )
        )
    return Results(
        workload=workload or {"name": "synthetic", "vms": 100, "seed": 1},
        environment=Environment(db_dialect="sqlite"),
        runs=tuple(runs),
    )
