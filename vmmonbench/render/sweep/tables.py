"""The sweep page's tables: the capacity model per configuration, and the sizes run with links."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from vmmonbench.render import format as fmt
from vmmonbench.render.links import file_href
from vmmonbench.render.sweep.models import Model, Point, projected
from vmmonbench.scaling import LinearFit


@dataclass(frozen=True, slots=True)
class Value:
    """A table cell: its text and its sort key ('' sorts last)."""

    text: str
    sort: str


@dataclass(frozen=True, slots=True)
class CapacityRow:
    """One configuration at one host count: costs, fit quality, projections."""

    model: Model
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

    vms: float
    hosts: float
    status: str
    results: str
    report_href: str | None
    results_href: str | None


def capacity_rows(models: Sequence[Model]) -> list[CapacityRow]:
    """One row per model, in the sweep's order."""
    return [
        CapacityRow(
            model=m,
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
        for m in models
    ]


def measured_rows(models: Sequence[Model]) -> list[tuple[Model, Point]]:
    """Every measured point, configuration by configuration."""
    return [(m, p) for m in models for p in m.points]


def size_runs(sweep: Mapping[str, Any], prefix: str) -> list[SizeRun]:
    """The sweep's sizes, each with links (relative, via `prefix`) to its report and results."""
    runs = sweep.get("runs")
    found = []
    for run in runs if isinstance(runs, list) else []:
        if not isinstance(run, Mapping):
            continue
        results = str(run.get("results") or "")
        folder = PurePosixPath(results).parent.as_posix() if results else ""
        report = "report.html" if folder in {"", "."} else f"{folder}/report.html"
        found.append(
            SizeRun(
                vms=_num(run.get("vms")),
                hosts=_num(run.get("hosts")),
                status=str(run.get("status") or "-"),
                results=results,
                report_href=file_href(prefix, report) if results else None,
                results_href=file_href(prefix, results),
            )
        )
    return found


def _num(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and math.isfinite(value) else 0.0


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
