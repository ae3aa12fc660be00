"""The study beside a run: each run figure computed from the stored results, the study's apart."""

from __future__ import annotations

from typing import Any

import pytest

from tests.results_data import from_data, minimal
from vmmonbench.configuration import ALL_OPTIMIZATIONS
from vmmonbench.study import FIGURES, study_rows, the_two_designs

ALL = sorted(o.value for o in ALL_OPTIMIZATIONS)


def _cycle(kind: str, start: float, duration: float, db: float, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "host": 0,
        "start_s": start,
        "duration_s": duration,
        "db_time_s": db,
        "statements": 10,
        "rows_written": 5,
        **extra,
    }


def _statement(label: str, calls: int, rows: int, total_s: float) -> dict[str, Any]:
    return {
        "label": label,
        "sql": f"select * from {label}",
        "calls": calls,
        "rows": rows,
        "total_s": total_s,
        "mean_s": total_s / calls,
        "p50_s": 0.0,
        "p95_s": 0.0,
        "p99_s": 0.0,
        "max_s": 0.0,
        "share": 0.0,
    }


def _run(label: str, optimizations: list[str], cycles: list[dict[str, Any]],
         statements: list[dict[str, Any]], db_time_s: float) -> dict[str, Any]:  # fmt: skip
    lock, fetch, _ = label.split("+")
    return {
        "label": label,
        "lock": lock,
        "fetch": fetch,
        "optimizations": optimizations,
        "summary": {"db_time_s": db_time_s},
        "statements": statements,
        "cycles": cycles,
    }


LEGACY = _run(
    "per-vm-lock+event-plus-stats+3.6",
    [],
    [
        _cycle("stats", 0.0, 9.0, 6.0, rpc_s=0.5),
        _cycle("stats", 24.0, 11.0, 8.0, rpc_s=1.5),
        _cycle("stats", 50.0, 40.0, 30.0, failed="host gone"),  # not a completed cycle
        _cycle("event", 3.0, 0.5, 0.25),
    ],
    [
        _statement("select 1", 1000, 0, 3.0),
        _statement("GetVmsRunningOnVds", 2, 200, 0.5),
        _statement("UpdateVmDynamic", 2, 400, 0.2),
        _statement("GetVmNetworkInterfaceViewByVmId", 400, 800, 0.1),
    ],
    db_time_s=12.0,
)
OPTIMIZED = _run(
    "per-vm-lock+event-plus-stats+4.1",
    ALL,
    # written before host calls were timed: no rpc_s
    [_cycle("stats", 0.0, 3.0, 2.0), _cycle("stats", 18.0, 3.0, 2.0)],
    [
        _statement("GetVmsDynamicRunningOnVds", 2, 200, 0.25),
        _statement("GetVmNetworkInterfaceToMonitorByVmId", 400, 400, 0.08),
    ],
    db_time_s=4.0,
)
OTHER = _run("host-lock+polling-only+3.6", [], [_cycle("stats", 0, 1.0, 0.5)], [], 0.5)


def _values(rows: list[Any], design: str) -> dict[str, float | None]:
    return {row.figure.name: getattr(row, design) for row in rows}


def test_the_3_6_design_is_the_per_vm_events_run_and_the_4_1_design_has_every_switch() -> None:
    legacy, optimized = the_two_designs(from_data(minimal(runs=[OTHER, OPTIMIZED, LEGACY])))
    assert legacy is not None
    assert legacy.label == LEGACY["label"]
    assert optimized is not None
    assert optimized.label == OPTIMIZED["label"]


def test_each_run_figure_is_computed_from_the_completed_cycles_and_the_statements() -> None:
    rows = study_rows(from_data(minimal(runs=[OTHER, LEGACY, OPTIMIZED])))
    legacy, optimized = _values(rows, "run_36"), _values(rows, "run_41")
    # 3.6: completed statistics cycles of 9 s and 11 s (the failed 40 s one does not count)
    per_hour = 3600 / (15 + 10)
    assert legacy["stats_cycles_per_hour"] == int(per_hour)
    assert legacy["persisting_per_hour_s"] == pytest.approx(7.0 * per_hour)
    # outside DB self time and the wait on the host: (9 - 6 - 0.5 + 11 - 8 - 1.5) / 2
    assert legacy["processing_per_hour_s"] == pytest.approx(2.0 * per_hour)
    assert legacy["select_1_share"] == pytest.approx(3.0 / 12.0)
    assert legacy["select_1_mean_s"] == pytest.approx(3.0 / 1000)
    assert legacy["running_vms_query_mean_s"] == pytest.approx(0.25)
    assert legacy["nic_read_mean_s"] == pytest.approx(0.1 / 400)
    assert legacy["update_vm_dynamic_per_row_s"] == pytest.approx(0.2 / 400)
    # 4.1: its own statements, and none of the 3.6 ones
    assert optimized["stats_cycles_per_hour"] == int(3600 / 18)
    assert optimized["select_1_share"] == 0.0
    assert optimized["select_1_mean_s"] is None
    assert optimized["running_vms_query_mean_s"] == pytest.approx(0.125)
    assert optimized["nic_read_mean_s"] == pytest.approx(0.08 / 400)
    assert optimized["update_vm_dynamic_per_row_s"] is None


def test_without_timed_host_calls_processing_is_unknown_not_the_wait_counted_in() -> None:
    rows = study_rows(from_data(minimal(runs=[LEGACY, OPTIMIZED])))
    optimized = _values(rows, "run_41")
    assert optimized["processing_per_hour_s"] is None
    assert optimized["persisting_per_hour_s"] == pytest.approx(2.0 * 3600 / 18)


def test_the_study_columns_are_the_references_whatever_the_run() -> None:
    rows = study_rows(from_data(minimal(runs=[LEGACY])))
    assert [row.figure for row in rows] == list(FIGURES)
    assert [(row.study_36, row.study_41) for row in rows] == [
        (f.study_36, f.study_41) for f in FIGURES
    ]
    assert all(row.run_41 is None for row in rows)  # no 4.1 run: nothing measured for it


def test_a_run_with_neither_design_has_no_study_rows() -> None:
    partial = {**OTHER, "optimizations": ["no-select-1"]}
    assert study_rows(from_data(minimal(runs=[partial]))) == []
