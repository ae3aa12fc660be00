"""The committed baselines (reports/baselines/) still match the workloads they were run with."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from vmmonbench.compare import COSMETIC_WORKLOAD_KEYS, compare
from vmmonbench.results import Results, RunStatus
from vmmonbench.workload import load_workload

BASELINES = Path(__file__).resolve().parents[3] / "reports" / "baselines"


def _parameters(workload: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in workload.items() if k not in COSMETIC_WORKLOAD_KEYS}


@pytest.mark.parametrize(
    ("baseline", "workload", "vms"),
    [("gate", "gate", None), ("smoke", "smoke", None), ("stable", "stable", 6000)],
)
def test_a_baseline_was_run_with_todays_workload(
    baseline: str, workload: str, vms: int | None
) -> None:
    results = Results.load(BASELINES / f"{baseline}.json")
    expected = load_workload(workload).with_overrides(vms=vms).to_dict()
    assert _parameters(results.workload) == _parameters(expected), (
        f"workloads/{workload}.toml changed: regenerate {baseline}.json "
        "(reports/baselines/README.md)"
    )
    assert results.status == RunStatus.COMPLETE
    assert all(run.consistency.divergent_vms == 0 for run in results.runs)


def test_the_gate_baseline_passes_against_itself() -> None:
    results = Results.load(BASELINES / "gate.json")
    assert not compare(results, results, machine_independent=True).regressed
