"""The sweep page's plots: costs per statistics cycle against VMs per host, and projections."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from vmmonbench import units as fmt
from vmmonbench.configuration import STATS_DELAY_S
from vmmonbench.render import svg
from vmmonbench.render.sweep.styles import Drawn
from vmmonbench.scaling import UTILIZATION_LIMIT, CapacityModel, LinearFit, ScalingPoint

# Projections far beyond the measured sizes are cut at this multiple of the largest one.
PROJECTION_SPAN = 1000
CURVE_POINTS = 60


@dataclass(frozen=True, slots=True)
class Plot:
    """One drawn plot and its caption."""

    id: str
    title: str
    note: str
    svg: Markup


def plots(models: Sequence[Drawn]) -> list[Plot]:
    """DB time, processing (with saturation), statements and utilization against VMs per host."""
    drawn = [m for m in models if m.model.points]
    return [
        _measured(
            drawn,
            "db-time",
            "DB time per statistics cycle",
            lambda p: p.db_time_per_stats_cycle_s,
            lambda m: m.db_time,
            fmt.seconds,
        ),
        _processing(drawn),
        _measured(
            drawn,
            "statements",
            "Statements per statistics cycle",
            lambda p: p.statements_per_stats_cycle,
            lambda m: m.statements,
            fmt.count,
        ),
        _utilization(drawn),
    ]


def _vms_axis(models: Sequence[Drawn], *, log: bool) -> svg.Axis:
    sizes = [float(p.vms) for m in models for p in m.model.points if p.vms > 0] or [1.0]
    if not log:
        return svg.Axis("VMs per host", 0.0, max(sizes) * 1.05, format=fmt.count)
    ahead = [
        v
        for m in models
        for v in (m.model.saturation_vms, m.model.half_utilization_vms)
        if v is not None and v > 0
    ]
    high = min(max([*sizes, *ahead]), max(sizes) * PROJECTION_SPAN)
    return svg.Axis(
        "VMs per host (log scale)",
        10 ** math.floor(math.log10(min(sizes))),
        10 ** math.ceil(math.log10(max(high, max(sizes) * 1.01))),
        log=True,
        format=fmt.count,
    )


def _measured(
    models: Sequence[Drawn],
    key: str,
    title: str,
    value: Callable[[ScalingPoint], float],
    fit: Callable[[CapacityModel], LinearFit | None],
    form: svg.Formatter,
) -> Plot:
    x = _vms_axis(models, log=False)
    highest = max([value(p) for m in models for p in m.model.points] + [0.0])
    y = svg.Axis(title.lower(), 0.0, highest * 1.1 or 1.0, format=form)
    series = []
    for m in models:
        series.append(_points(m, [(p.vms, value(p)) for p in m.model.points]))
        line = fit(m.model)
        if line is not None:
            ends = [(float(n), line.at(n)) for n in (m.model.points[0].vms, m.model.points[-1].vms)]
            series.append(_fit_series(m, ends))
    note = "markers: measured; dashed: the least-squares line, fixed + cost per VM × N"
    chart = svg.line_chart(series, title=f"{title} against VMs per host", x=x, y=y)
    return Plot(key, title, note, chart)


def _processing(models: Sequence[Drawn]) -> Plot:
    x = _vms_axis(models, log=True)
    measured = [p.stats_cycle_s for m in models for p in m.model.points if p.stats_cycle_s > 0]
    low = 10 ** math.floor(math.log10(min(measured, default=1e-3)))
    high = 10 ** math.ceil(math.log10(max([*measured, STATS_DELAY_S * 1.5])))
    y = svg.Axis("processing per statistics cycle (log)", low, high, log=True, format=fmt.seconds)
    series = [_limit(f"{fmt.seconds(STATS_DELAY_S)} statistics interval", x, STATS_DELAY_S)]
    for m in models:
        series.append(_points(m, [(p.vms, p.stats_cycle_s) for p in m.model.points]))
        if m.model.processing is not None:
            curve = _curve(m.model.processing.at, x, y, m.model.saturation_vms)
            series.append(_fit_series(m, curve))
            if _shown(m.model.saturation_vms, x):
                series.append(_projection(m, m.model.saturation_vms, STATS_DELAY_S))
    note = (
        "markers: measured; dashed: the fitted line, extended to where it reaches the "
        f"{fmt.seconds(STATS_DELAY_S)} interval (×: projected saturation); log scales"
    )
    chart = svg.line_chart(series, title="Processing per statistics cycle, projected", x=x, y=y)
    return Plot("processing", "Processing per statistics cycle", note, chart)


def _utilization(models: Sequence[Drawn]) -> Plot:
    x = _vms_axis(models, log=True)
    y = svg.Axis("monitoring utilization", 0.0, 1.0, format=lambda v: f"{v * 100:.0f} %")
    series = [_limit(f"{UTILIZATION_LIMIT * 100:.0f} % utilization", x, UTILIZATION_LIMIT)]
    for m in models:
        series.append(_points(m, [(p.vms, p.utilization) for p in m.model.points]))
        if m.model.load is not None:
            curve = _curve(_utilization_at(m.model.load), x, y, m.model.half_utilization_vms)
            series.append(_fit_series(m, curve))
            if _shown(m.model.half_utilization_vms, x):
                series.append(_projection(m, m.model.half_utilization_vms, UTILIZATION_LIMIT))
    note = (
        "markers: measured; dashed: busy/idle fitted linearly in N, as utilization, extended "
        f"to {UTILIZATION_LIMIT * 100:.0f} % (×); log VM scale"
    )
    chart = svg.line_chart(series, title="Monitoring utilization, projected", x=x, y=y)
    return Plot("utilization", "Monitoring utilization", note, chart)


def _utilization_at(load: LinearFit) -> Callable[[float], float]:
    def at(n: float) -> float:
        ratio = load.at(n)
        return ratio / (1 + ratio) if ratio > 0 else 0.0

    return at


def _curve(
    at: Callable[[float], float], x: svg.Axis, y: svg.Axis, until: float | None
) -> list[tuple[float, float]]:
    """The fitted curve sampled evenly on the log VM axis, up to `until`, inside the plot."""
    end = x.high if until is None else min(until, x.high)
    if end <= x.low:
        return []
    start = math.log10(x.low)
    step = (math.log10(end) - start) / (CURVE_POINTS - 1)
    values = [(n, at(n)) for n in (10 ** (start + i * step) for i in range(CURVE_POINTS))]
    return [(n, v) for n, v in values if y.low <= v <= y.high]


def _shown(value: float | None, x: svg.Axis) -> bool:
    return value is not None and x.low <= value <= x.high


def _points(m: Drawn, points: list[tuple[float, float]]) -> svg.Series:
    return svg.Series(m.name, points, m.tone, line=False, marker=m.marker)


def _fit_series(m: Drawn, points: list[tuple[float, float]]) -> svg.Series:
    return svg.Series(f"{m.name}: fitted", points, m.tone, marker="none", dashed=True, legend=False)


def _projection(m: Drawn, vms: float | None, level: float) -> svg.Series:
    where = f"{vms:,.0f} VMs" if vms is not None else "not reached"
    return svg.Series(
        f"{m.name}: projected {where}",
        [(vms or 0.0, level)],
        m.tone,
        line=False,
        marker="cross",
        legend=False,
    )


def _limit(name: str, x: svg.Axis, level: float) -> svg.Series:
    return svg.Series(name, [(x.low, level), (x.high, level)], "limit", marker="none", dashed=True)
