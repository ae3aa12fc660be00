"""Hand-built inline SVG charts (horizontal bars, lines over shared axes, CDFs), text escaped."""

from __future__ import annotations

from vmmonbench.render.svg.bars import Bar, PairedBar, horizontal_bars, paired_bars
from vmmonbench.render.svg.base import Formatter
from vmmonbench.render.svg.lines import (
    Axis,
    Distribution,
    Marker,
    Series,
    cdf_chart,
    cdf_points,
    line_chart,
    ticks,
)

__all__ = [
    "Axis",
    "Bar",
    "Distribution",
    "Formatter",
    "Marker",
    "PairedBar",
    "Series",
    "cdf_chart",
    "cdf_points",
    "horizontal_bars",
    "line_chart",
    "paired_bars",
    "ticks",
]
