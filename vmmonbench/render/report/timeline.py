"""The timeline section: every cycle's duration over simulated time, long runs thinned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from vmmonbench import units as fmt
from vmmonbench.configuration import STATS_DELAY_S
from vmmonbench.render import svg
from vmmonbench.render.report.view import Config
from vmmonbench.result_records import CycleKind
from vmmonbench.results import Results, RunResult

TIMELINE_POINTS = 300  # per series; longer runs keep the slowest cycle of each time bucket


@dataclass(frozen=True, slots=True)
class Timeline:
    """One configuration's cycle-duration chart and the figures its caption names."""

    config: Config
    chart: Markup
    stats: int
    lists: int
    events: int
    thinned: bool


def timeline(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Each configuration's cycle durations over simulated time, on shared axes."""
    drawn = {config.slug: _timeline_points(config.run) for config in configs}
    x_high = max(
        [c.run.summary.simulated_s for c in configs]
        + [x for points in drawn.values() for series in points.values() for x, _ in series]
        + [1.0]
    )
    y_high = max(
        [y for points in drawn.values() for series in points.values() for _, y in series] + [1e-3]
    )
    x = svg.Axis("simulated time", 0.0, x_high, format=fmt.seconds)
    y = svg.Axis("cycle duration", 0.0, y_high * 1.08, format=fmt.seconds)
    charts = []
    for config in configs:
        points = drawn[config.slug]
        thinned = {k: _thin(v, x_high) for k, v in points.items()}
        single_host = config.run.summary.hosts <= 1
        series = [
            svg.Series("statistics cycle", thinned["stats"], config.tone, line=single_host),
        ]
        if thinned["list"]:
            series.append(
                svg.Series(
                    "list cycle (polling)",
                    thinned["list"],
                    config.tone,
                    line=False,
                    marker="square",
                    hollow=True,
                )
            )
        if thinned["problem"]:
            series.append(
                svg.Series(
                    "skipped or failed cycle",
                    thinned["problem"],
                    "failed",
                    line=False,
                    marker="cross",
                )
            )
        cycles = config.run.cycles
        charts.append(
            Timeline(
                config=config,
                chart=svg.line_chart(
                    series, title=f"Cycle durations over time: {config.run.label}", x=x, y=y
                ),
                stats=len(points["stats"]),
                lists=len(points["list"]),
                events=sum(1 for c in cycles if c.kind is CycleKind.EVENT),
                thinned=thinned != points,
            )
        )
    return {"charts": charts, "points": TIMELINE_POINTS, "nominal_s": STATS_DELAY_S}


def _timeline_points(run: RunResult) -> dict[str, list[tuple[float, float]]]:
    points: dict[str, list[tuple[float, float]]] = {"stats": [], "list": [], "problem": []}
    for cycle in run.cycles:
        if cycle.kind is CycleKind.EVENT:
            continue  # events are handled one VM at a time; their count is in the caption
        key = "problem" if not cycle.completed else cycle.kind.value
        points[key].append((cycle.start_s, cycle.duration_s))
    return {key: sorted(values) for key, values in points.items()}


def _thin(points: list[tuple[float, float]], x_high: float) -> list[tuple[float, float]]:
    """At most TIMELINE_POINTS points: the slowest cycle of each time bucket (spikes stay)."""
    if len(points) <= TIMELINE_POINTS:
        return points
    slowest: dict[int, tuple[float, float]] = {}
    for point in points:
        bucket = min(int(point[0] / x_high * TIMELINE_POINTS), TIMELINE_POINTS - 1)
        if bucket not in slowest or point[1] > slowest[bucket][1]:
            slowest[bucket] = point
    return [slowest[b] for b in sorted(slowest)]
