"""Line charts over shared (linear or log) axes, and empirical CDFs drawn as step lines."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

from vmmonbench.render.svg.base import Formatter, svg_open, tone

Marker = Literal["circle", "square", "cross", "none"]

LEGEND_ROW_PX = 18


def _plain(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class Axis:
    """A chart axis: label, range, linear or log10, and how tick values are written."""

    label: str
    low: float
    high: float
    log: bool = False
    format: Formatter = _plain


@dataclass(frozen=True, slots=True)
class Series:
    """Points drawn in one tone: joined by a line (optionally as steps) and/or with markers."""

    name: str
    points: Sequence[tuple[float, float]]
    tone: str
    line: bool = True
    step: bool = False
    marker: Marker = "circle"
    hollow: bool = False
    dashed: bool = False
    legend: bool = True  # False: drawn, not named under the chart

    @property
    def classes(self) -> str:
        """The class attribute of the series' group."""
        extra = (" hollow" if self.hollow else "") + (" dashed" if self.dashed else "")
        return f"series t-{tone(self.tone)}{extra}"


@dataclass(frozen=True, slots=True)
class Distribution:
    """Raw samples of one quantity for a CDF curve."""

    name: str
    values: Sequence[float]
    tone: str


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x: Axis,
    y: Axis,
    width: int = 760,
    plot_height: int = 200,
) -> Markup:
    """Series over shared axes, a legend under the x axis naming each series."""
    left, right, top = 64, 30, 10
    bottom = top + plot_height
    legend_top = bottom + 54
    named = [s for s in series if s.legend]
    height = legend_top + LEGEND_ROW_PX * len(named) + 4
    sx = _scale(x, left, width - right)
    sy = _scale(y, bottom, top)
    parts = [svg_open(title, width, height, "lines"), _axes(x, y, sx, sy, left, width - right)]
    parts.append(
        f'<text class="axis-label" x="{(left + width - right) / 2:.1f}" y="{bottom + 32}" '
        f'text-anchor="middle">{escape(x.label)}</text>'
        f'<text class="axis-label" x="12" y="{(top + bottom) / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(top + bottom) / 2:.1f})">{escape(y.label)}</text>'
    )
    for s in series:
        points = [(sx(px), sy(py)) for px, py in s.points]
        parts.append(f'<g class="{s.classes}"><title>{escape(s.name)}</title>')
        if s.line and len(points) > 1:
            parts.append(f'<path class="line" d="{_line_path(points, step=s.step)}"/>')
        if s.marker != "none" and points:
            parts.append(f'<path class="marker {s.marker}" d="{_markers(points, s.marker)}"/>')
        parts.append("</g>")
    for index, s in enumerate(named):
        ly = legend_top + index * LEGEND_ROW_PX
        line = f'<path class="line" d="M{left - 4} {ly - 4}h24"/>' if s.line else ""
        marker = (
            f'<path class="marker {s.marker}" d="{_markers([(left + 8, ly - 4)], s.marker)}"/>'
            if s.marker != "none"
            else ""
        )
        parts.append(
            f'<g class="{s.classes} legend">{line}{marker}'
            f'<text x="{left + 28}" y="{ly}">{escape(s.name)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def cdf_chart(
    distributions: Sequence[Distribution],
    *,
    title: str,
    value_label: str,
    floor: float,
    value_format: Formatter,
    max_points: int = 200,
) -> Markup:
    """Empirical CDFs on a log value axis; values below `floor` are drawn at `floor`."""
    highest = max((max(d.values) for d in distributions if d.values), default=floor)
    x = Axis(
        value_label,
        10 ** math.floor(math.log10(floor)),
        10 ** math.ceil(math.log10(max(highest, floor * 10))),
        log=True,
        format=value_format,
    )
    y = Axis("share of samples ≤ value", 0.0, 1.0, format=lambda v: f"{v * 100:.0f} %")
    series = [
        Series(
            f"{d.name} ({len(d.values):,} samples)",
            cdf_points([max(v, floor) for v in d.values], max_points),
            d.tone,
            step=True,
            marker="none",
        )
        for d in distributions
    ]
    return line_chart(series, title=title, x=x, y=y)


def cdf_points(values: Sequence[float], max_points: int) -> list[tuple[float, float]]:
    """Corners of the empirical CDF's steps, thinned to about `max_points` corners."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return []
    stride = max(1, math.ceil(n / max_points))
    picked = sorted({*range(stride - 1, n, stride), n - 1})
    points = [(ordered[0], 0.0)]
    points += [(ordered[i], (i + 1) / n) for i in picked]
    return points


def _scale(axis: Axis, start: float, end: float) -> Callable[[float], float]:
    if axis.log:
        low, high = math.log10(axis.low), math.log10(axis.high)
        span = (high - low) or 1.0
        return lambda v: start + (math.log10(max(v, axis.low)) - low) / span * (end - start)
    span = (axis.high - axis.low) or 1.0
    return lambda v: start + (v - axis.low) / span * (end - start)


def ticks(axis: Axis, target: int = 5) -> list[float]:
    """Tick values: every decade on a log axis, 1/2/5 x 10^k steps on a linear one."""
    if axis.log:
        first = math.floor(math.log10(axis.low))
        last = math.ceil(math.log10(axis.high))
        every = max(1, math.ceil((last - first) / 8))
        return [10.0**k for k in range(first, last + 1, every)]
    span = axis.high - axis.low
    if span <= 0:
        return [axis.low]
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    start = math.ceil(axis.low / step) * step
    count = int((axis.high - start) / step + 1e-9) + 1
    return [start + i * step for i in range(count)]


def _axes(
    x: Axis,
    y: Axis,
    sx: Callable[[float], float],
    sy: Callable[[float], float],
    left: float,
    right: float,
) -> str:
    bottom, top = sy(y.low), sy(y.high)
    parts = [f'<g class="axes"><path class="frame" d="M{left} {top:.1f}V{bottom:.1f}H{right}"/>']
    for value in ticks(y):
        py = sy(value)
        parts.append(
            f'<path class="grid" d="M{left} {py:.1f}H{right}"/>'
            f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">'
            f"{escape(y.format(value))}</text>"
        )
    for value in ticks(x):
        px = sx(value)
        parts.append(
            f'<path class="tick" d="M{px:.1f} {bottom:.1f}v5"/>'
            f'<text x="{px:.1f}" y="{bottom + 17:.1f}" text-anchor="middle">'
            f"{escape(x.format(value))}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def _line_path(points: Sequence[tuple[float, float]], *, step: bool) -> str:
    first_x, first_y = points[0]
    commands = [f"M{first_x:.1f} {first_y:.1f}"]
    for px, py in points[1:]:
        commands.append(f"H{px:.1f}V{py:.1f}" if step else f"L{px:.1f} {py:.1f}")
    return "".join(commands)


def _markers(points: Sequence[tuple[float, float]], marker: Marker) -> str:
    # one path for all markers of a series keeps a long timeline small
    shapes = {
        "circle": "M{x:.1f} {y:.1f}m-3 0a3 3 0 1 0 6 0a3 3 0 1 0 -6 0",
        "square": "M{x:.1f} {y:.1f}m-3 -3h6v6h-6z",
        "cross": "M{x:.1f} {y:.1f}m-3 -3l6 6m0 -6l-6 6",
        "none": "",
    }
    shape = shapes[marker]
    return "".join(shape.format(x=px, y=py) for px, py in points)
