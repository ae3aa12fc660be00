"""The seed study beside a run: the study's reference figures and the same figures of this run.

The study's numbers live here, and only here, as the labelled reference column (DOMAIN.md
section 4: one host, 6000 stable VMs, one hour, oVirt 3.6 and 4.1 on PostgreSQL). Every figure
of the run is computed from its stored results, for the 3.6 design (per-vm-lock +
event-plus-stats with the legacy persistence) and the 4.1 design (the same axes with all nine
optimizations). Hourly figures are predicted under the fixed delay from the measured cycle:
3600 / (15 s + one statistics cycle), as the study's engine scheduled them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from vmmonbench.configuration import ALL_OPTIMIZATIONS, STATS_DELAY_S, FetchMode, LockMode
from vmmonbench.figures import BY_NAME, completed, mean
from vmmonbench.monitor.samples import CycleKind
from vmmonbench.results import Results, RunResult
from vmmonbench.units import Unit

HOUR_S: Final = 3600.0
SELECT_1: Final = "select 1"
RUNNING_VMS_QUERIES: Final = ("GetVmsRunningOnVds", "GetVmsDynamicRunningOnVds")
NIC_READS: Final = ("GetVmNetworkInterfaceViewByVmId", "GetVmNetworkInterfaceToMonitorByVmId")
UPDATE_VM_DYNAMIC: Final = "UpdateVmDynamic"

Measured = Callable[[RunResult], float | None]
ANALYSIS: Final = BY_NAME["analysis_per_stats_cycle_s"]  # a cycle without DB time, host calls


@dataclass(frozen=True, slots=True)
class StudyFigure:
    """One figure of the study: its reference values and how this run's value is computed."""

    name: str
    title: str
    unit: Unit
    study_36: float | None  # the study's oVirt 3.6 value (reference)
    study_41: float | None  # the study's oVirt 4.1 value (reference); None: the study has none
    measured: Measured
    how: str  # what the run's value is, in words


@dataclass(frozen=True, slots=True)
class StudyRow:
    """A figure with the study's values beside this run's, per design."""

    figure: StudyFigure
    study_36: float | None
    run_36: float | None
    study_41: float | None
    run_41: float | None


def the_two_designs(results: Results) -> tuple[RunResult | None, RunResult | None]:
    """The 3.6 run on the 4.1 axes (per-vm-lock + events) if present, and the all-4.1 run."""
    legacy = [run for run in results.runs if not run.optimizations]
    everything = {o.value for o in ALL_OPTIMIZATIONS}
    optimized = [run for run in results.runs if set(run.optimizations) == everything]
    preferred = next(
        (
            run
            for run in legacy
            if run.lock == LockMode.PER_VM.value and run.fetch == FetchMode.EVENTS.value
        ),
        legacy[0] if legacy else None,
    )
    return preferred, optimized[0] if optimized else None


# -- the run's figures --------------------------------------------------------------------------


def _stats(run: RunResult) -> tuple[float, float] | None:
    """Mean duration and DB time of a completed statistics cycle; None without one."""
    cycles = completed(run.cycles, CycleKind.STATS)
    if not cycles:
        return None
    return mean([c.duration_s for c in cycles]), mean([c.db_time_s for c in cycles])


def cycles_per_hour(run: RunResult) -> float | None:
    """Statistics cycles an hour would run under the fixed delay: 3600 / (15 s + a cycle)."""
    stats = _stats(run)
    return None if stats is None else HOUR_S / (STATS_DELAY_S + stats[0])


def _whole_cycles_per_hour(run: RunResult) -> float | None:
    per_hour = cycles_per_hour(run)
    return None if per_hour is None else float(int(per_hour))  # an hour runs whole cycles


def _per_hour(part: Callable[[float, float], float]) -> Measured:
    def measured(run: RunResult) -> float | None:
        stats, per_hour = _stats(run), cycles_per_hour(run)
        return None if stats is None or per_hour is None else part(*stats) * per_hour

    return measured


def _processing_per_hour(run: RunResult) -> float | None:
    analysis, per_hour = ANALYSIS.value(run), cycles_per_hour(run)
    return None if analysis is None or per_hour is None else analysis * per_hour


def _select_1_share(run: RunResult) -> float | None:
    if run.summary.db_time_s <= 0:
        return None
    spent = sum(s.total_s for s in run.statements if s.label == SELECT_1)
    return spent / run.summary.db_time_s


def _mean_of(labels: Sequence[str]) -> Measured:
    def measured(run: RunResult) -> float | None:
        for label in labels:
            found = [s for s in run.statements if s.label == label and s.calls]
            if found:
                return sum(s.total_s for s in found) / sum(s.calls for s in found)
        return None

    return measured


def _per_row(label: str) -> Measured:
    def measured(run: RunResult) -> float | None:
        found = [s for s in run.statements if s.label == label]
        rows = sum(s.rows for s in found)
        return sum(s.total_s for s in found) / rows if rows else None

    return measured


FIGURES: Final[tuple[StudyFigure, ...]] = (
    StudyFigure(
        "stats_cycles_per_hour",
        "statistics cycles per hour",
        Unit.COUNT,
        31,
        68,
        _whole_cycles_per_hour,
        "3600 / (15 s + mean statistics cycle): the fixed delay's hour",
    ),
    StudyFigure(
        "persisting_per_hour_s",
        "persisting to DB, per hour",
        Unit.SECONDS,
        546,
        114,
        _per_hour(lambda _duration, db: db),
        "DB self time of a statistics cycle x statistics cycles per hour",
    ),
    StudyFigure(
        "processing_per_hour_s",
        "analysis and processing, per hour",
        Unit.SECONDS,
        896,
        687,
        _processing_per_hour,
        "(statistics cycle - its DB self time - its host calls) x statistics cycles per hour",
    ),
    StudyFigure(
        "select_1_share",
        "select 1 share of DB time",
        Unit.FRACTION,
        0.26,
        0.0,
        _select_1_share,
        "select 1 self time / all DB self time of the run",
    ),
    StudyFigure(
        "select_1_mean_s",
        "select 1, mean",
        Unit.SECONDS,
        314e-6,
        None,
        _mean_of((SELECT_1,)),
        "mean self time of one connection validation",
    ),
    StudyFigure(
        "running_vms_query_mean_s",
        "running-VMs query, mean",
        Unit.SECONDS,
        3.539,
        0.909,
        _mean_of(RUNNING_VMS_QUERIES),
        "GetVmsRunningOnVds (3.6) or GetVmsDynamicRunningOnVds (4.1), mean self time",
    ),
    StudyFigure(
        "nic_read_mean_s",
        "per-VM NIC read, mean",
        Unit.SECONDS,
        678e-6,
        282e-6,
        _mean_of(NIC_READS),
        "GetVmNetworkInterfaceViewByVmId (3.6) or ...ToMonitorByVmId (4.1), mean self time",
    ),
    StudyFigure(
        "update_vm_dynamic_per_row_s",
        "UpdateVmDynamic per row",
        Unit.SECONDS,
        544e-6,
        None,
        _per_row(UPDATE_VM_DYNAMIC),
        "UpdateVmDynamic self time / rows it wrote",
    ),
)


def study_rows(results: Results) -> list[StudyRow]:
    """Every study figure beside the run's 3.6 and 4.1 designs (empty without either)."""
    legacy, optimized = the_two_designs(results)
    if legacy is None and optimized is None:
        return []

    def of(run: RunResult | None, figure: StudyFigure) -> float | None:
        return None if run is None else figure.measured(run)

    return [
        StudyRow(
            figure, figure.study_36, of(legacy, figure), figure.study_41, of(optimized, figure)
        )
        for figure in FIGURES
    ]
