"""Figures derived from the raw cycles: a cycle's time split into DB, host calls and analysis."""

from __future__ import annotations

from typing import Any

import pytest

from tests.results_data import from_data, minimal
from vmmonbench.figures import BY_NAME
from vmmonbench.results import RunResult

RPC = BY_NAME["rpc_per_stats_cycle_s"]
ANALYSIS = BY_NAME["analysis_per_stats_cycle_s"]


def _run(*cycles: dict[str, Any]) -> RunResult:
    data = {
        "label": "per-vm-lock+event-plus-stats+4.1",
        "lock": "per-vm-lock",
        "fetch": "event-plus-stats",
        "optimizations": [],
        "summary": {},
        "statements": [],
        "cycles": [{"host": 0, "start_s": 15.0 * i, **c} for i, c in enumerate(cycles)],
    }
    return from_data(minimal(runs=[data])).runs[0]


def test_analysis_is_a_statistics_cycle_without_its_db_time_and_its_host_calls() -> None:
    run = _run(
        {"kind": "stats", "duration_s": 1.0, "db_time_s": 0.25, "rpc_s": 0.25},
        {"kind": "stats", "duration_s": 2.0, "db_time_s": 0.5, "rpc_s": 0.5},
        {"kind": "stats", "duration_s": 9.0, "db_time_s": 1.0, "rpc_s": 1.0, "failed": "gone"},
        {"kind": "event", "duration_s": 0.5, "db_time_s": 0.125, "rpc_s": 0.0},
    )
    assert ANALYSIS.samples is not None
    assert RPC.samples is not None
    # completed statistics cycles only: 1 - 0.25 - 0.25 and 2 - 0.5 - 0.5
    assert ANALYSIS.samples(run) == [0.5, 1.0]
    assert ANALYSIS.value(run) == pytest.approx(0.75)
    assert RPC.samples(run) == [0.25, 0.5]
    assert RPC.value(run) == pytest.approx(0.375)


def test_cycles_recorded_before_host_calls_were_timed_have_no_split_not_a_zero_wait() -> None:
    run = _run(
        {"kind": "stats", "duration_s": 1.0, "db_time_s": 0.25},
        {"kind": "stats", "duration_s": 2.0, "db_time_s": 0.5, "rpc_s": 0.5},
    )
    assert ANALYSIS.value(run) is None
    assert RPC.value(run) is None
    assert ANALYSIS.samples is not None
    assert ANALYSIS.samples(run) == []
