"""The sweep page's tables: the capacity model per configuration, and the sizes run with links."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from vmmonbench import units as fmt
from vmmonbench.render.links import file_href
from vmmonbench.render.sweep.styles import Drawn, projected
from vmmonbench.scaling import LinearFit, ScalingPoint
from vmmonbench.sweep_results import SweepResult


@dataclass(frozen=True, slots=True)
class Value:
    """A table cell: its text and its sort key ('' sorts last)."""

    text: str
    sort: str


@dataclass(frozen=True, slots=True)
class CapacityRow:
    """One configuration at one host count: costs, fit quality, projections."""

    drawn: Drawn
    cells: tuple[Value, ...]


CAPACITY_COLUMNS = (
    ("cost per VM", "processing per statistics cycle added by each VM (slope of the fit)"),
    ("fixed cost", "processing per statistics cycle at zero VMs (intercept of the fit)"),
    ("R²", "how well a straight line fits the measured processing (1 = perfectly)"),
    ("DB time per VM", "DB time per statistics cycle added by each VM"),
    ("statements per VM", "statements per statistics cycle added by each VM"),
    ("saturates at", "VMs per host where processing per cycle reaches the 15 s interval"),
    ("50 % busy at", "VMs per host where monitoring is busy half of the time"),
)


@dataclass(frozen=True, slots=True)
class SizeRun:
    """One size of the sweep: where its report and results are, and how it ended."""

    vms: int
    hosts: int
    status: str
    results: str
    report_href: str | None
    results_href: str | None


def capacity_rows(models: Sequence[Drawn]) -> list[CapacityRow]:
    """One row per model, in the sweep's order."""
    rows = []
    for d in models:
        m = d.model
        rows.append(
            CapacityRow(
                drawn=d,
                cells=(
                    _seconds(m.processing.per_vm if m.processing else None),
                    _seconds(m.processing.fixed if m.processing else None),
                    _r2(m.processing),
                    _seconds(m.db_time.per_vm if m.db_time else None),
                    _plain(m.statements.per_vm if m.statements else None),
                    _vms(m.saturation_vms, m.processing),
                    _vms(m.half_utilization_vms, m.load),
                ),
            )
        )
    return rows


def measured_rows(models: Sequence[Drawn]) -> list[tuple[Drawn, ScalingPoint]]:
    """Every measured point, configuration by configuration."""
    return [(d, p) for d in models for p in d.model.points]


def size_runs(sweep: SweepResult, prefix: str) -> list[SizeRun]:
    """The sweep's sizes, each with links (relative, via `prefix`) to its report and results."""
    found = []
    for run in sweep.runs:
        folder = PurePosixPath(run.results).parent.as_posix() if run.results else ""
        report = "report.html" if folder in {"", "."} else f"{folder}/report.html"
        found.append(
            SizeRun(
                vms=run.vms,
                hosts=run.hosts,
                status=run.status.value,
                results=run.results,
                report_href=file_href(prefix, report) if run.results else None,
                results_href=file_href(prefix, run.results),
            )
        )
    return found


def _key(value: float | None) -> str:
    return "" if value is None else repr(value)


def _seconds(value: float | None) -> Value:
    return Value(fmt.seconds(value), _key(value))


def _plain(value: float | None) -> Value:
    return Value("-" if value is None else f"{value:,.2f}", _key(value))


def _r2(fit: LinearFit | None) -> Value:
    if fit is None or not math.isfinite(fit.r2):
        return Value("-", "")
    return Value(f"{fit.r2:.3f}", repr(fit.r2))


def _vms(value: float | None, fit: LinearFit | None) -> Value:
    sort = "" if fit is None else "Infinity" if value is None else repr(value)
    return Value(projected(value, fit), sort)
