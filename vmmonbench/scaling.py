"""The capacity model: linear cost fits over a sweep and the projected saturation points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vmmonbench.configuration import STATS_DELAY_S

UTILIZATION_LIMIT = 0.5


@dataclass(frozen=True, slots=True)
class LinearFit:
    """y = fixed + per_vm * n, least squares, with its coefficient of determination."""

    fixed: float
    per_vm: float
    r2: float

    def at(self, n: float) -> float:
        """The fitted value at n VMs."""
        return self.fixed + self.per_vm * n

    def reaches(self, level: float) -> float | None:
        """The n where the fit reaches `level`; None if it never does (flat or falling)."""
        if self.per_vm <= 0:
            return None if self.fixed < level else 0.0
        return max(0.0, (level - self.fixed) / self.per_vm)


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> LinearFit | None:
    """Least-squares line through the points; None with fewer than two distinct x values."""
    if len(set(xs)) < 2 or len(xs) != len(ys):
        return None
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    slope, intercept = np.polyfit(x, y, 1)
    predicted = intercept + slope * x
    total = float(((y - y.mean()) ** 2).sum())
    residual = float(((y - predicted) ** 2).sum())
    r2 = 1.0 - residual / total if total > 0 else 1.0
    return LinearFit(fixed=float(intercept), per_vm=float(slope), r2=r2)


@dataclass(frozen=True, slots=True)
class ScalingPoint:
    """One measured size of one configuration."""

    vms: int  # per host
    hosts: int
    stats_cycle_s: float  # processing per statistics cycle
    db_time_per_stats_cycle_s: float
    statements_per_stats_cycle: float
    utilization: float
    effective_stats_period_s: float | None


@dataclass(frozen=True, slots=True)
class CapacityModel:
    """Fits and projections for one configuration at one host count."""

    label: str
    hosts: int
    points: tuple[ScalingPoint, ...]
    processing: LinearFit | None
    db_time: LinearFit | None
    statements: LinearFit | None
    load: LinearFit | None  # busy/idle ratio u/(1-u) per VM
    saturation_vms: float | None  # processing per cycle reaches the statistics interval
    half_utilization_vms: float | None  # utilization passes 50 %

    @property
    def sizes(self) -> str:
        """The VM counts measured: '50, 100, 200'."""
        return ", ".join(f"{p.vms:,}" for p in self.points)


def capacity_model(label: str, hosts: int, points: Sequence[ScalingPoint]) -> CapacityModel:
    """Fit processing, DB time, statements and load against VMs per host; project saturation.

    Saturation: the fixed delay stretches the statistics period once processing is non-zero,
    and a cycle whose processing reaches the 15 s interval halves the intended statistics rate.
    Half utilization: utilization u = busy / (busy + idle) is not linear in N, but u / (1 - u),
    busy time per idle second, is (cost per VM times N, over a fixed idle time), so it is
    fitted and solved for u = 50 %, i.e. u / (1 - u) = 1.
    """
    ordered = tuple(sorted(points, key=lambda p: p.vms))
    ns = [float(p.vms) for p in ordered]
    processing = fit_line(ns, [p.stats_cycle_s for p in ordered])
    db_time = fit_line(ns, [p.db_time_per_stats_cycle_s for p in ordered])
    statements = fit_line(ns, [p.statements_per_stats_cycle for p in ordered])
    loaded = [(n, p.utilization) for n, p in zip(ns, ordered, strict=True) if p.utilization < 1]
    load = fit_line([n for n, _ in loaded], [u / (1 - u) for _, u in loaded])
    ratio = UTILIZATION_LIMIT / (1 - UTILIZATION_LIMIT)
    return CapacityModel(
        label=label,
        hosts=hosts,
        points=ordered,
        processing=processing,
        db_time=db_time,
        statements=statements,
        load=load,
        saturation_vms=processing.reaches(STATS_DELAY_S) if processing else None,
        half_utilization_vms=load.reaches(ratio) if load else None,
    )
