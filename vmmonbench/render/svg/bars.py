"""Horizontal bar charts: one bar per label, or a baseline bar above a new bar per label."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from vmmonbench.render.svg.base import FONT_PX, cut, svg_open, tone

# Bar charts leave room after the longest bar for its value text ("1.06 s · 186,000 calls").
VALUE_TEXT_PX = 170


@dataclass(frozen=True, slots=True)
class Bar:
    """One horizontal bar: its label above it, its formatted value after it."""

    label: str
    value: float
    text: str
    tone: str = "neutral"
    tooltip: str = ""


@dataclass(frozen=True, slots=True)
class PairedBar:
    """A baseline bar above a new bar under one label; `tone` colours the new bar."""

    label: str
    baseline: float
    new: float
    baseline_text: str
    new_text: str
    tone: str = "neutral"
    tooltip: str = ""


def horizontal_bars(
    bars: Sequence[Bar],
    *,
    title: str,
    scale_max: float | None = None,
    width: int = 560,
) -> Markup:
    """Bars scaled to `scale_max` (default: the largest value), so charts can share a scale."""
    row_px = FONT_PX + 20
    top = 6
    height = top + row_px * max(len(bars), 1) + 4
    longest = max((bar.value for bar in bars), default=0.0)
    scale = scale_max if scale_max and scale_max > 0 else longest
    room = width - VALUE_TEXT_PX
    parts = [svg_open(title, width, height, "bars")]
    if not bars:
        parts.append(f'<text class="note" x="0" y="{top + FONT_PX}">nothing to draw</text>')
    for index, bar in enumerate(bars):
        y = top + index * row_px
        length = _length(bar.value, scale, room)
        tip = bar.tooltip or f"{bar.label}: {bar.text}"
        parts.append(
            f'<g class="t-{tone(bar.tone)}"><title>{escape(tip)}</title>'
            f'<text class="label" x="0" y="{y + FONT_PX}">{escape(cut(bar.label))}</text>'
            f'<rect class="bar" x="0" y="{y + FONT_PX + 4}" width="{length:.1f}" height="11"/>'
            f'<text class="value" x="{length + 6:.1f}" y="{y + FONT_PX + 14}">'
            f"{escape(bar.text)}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def paired_bars(
    pairs: Sequence[PairedBar],
    *,
    title: str,
    scale_max: float | None = None,
    width: int = 560,
) -> Markup:
    """Per label a hollow baseline bar above a solid new bar, all on one scale."""
    row_px = FONT_PX + 34
    top = 6
    height = top + row_px * max(len(pairs), 1) + 4
    longest = max((max(p.baseline, p.new) for p in pairs), default=0.0)
    scale = scale_max if scale_max and scale_max > 0 else longest
    room = width - VALUE_TEXT_PX
    parts = [svg_open(title, width, height, "bars paired")]
    if not pairs:
        parts.append(f'<text class="note" x="0" y="{top + FONT_PX}">nothing to draw</text>')
    for index, pair in enumerate(pairs):
        y = top + index * row_px
        tip = pair.tooltip or f"{pair.label}: {pair.baseline_text} -> {pair.new_text}"
        parts.append(
            f'<g class="t-{tone(pair.tone)}"><title>{escape(tip)}</title>'
            f'<text class="label" x="0" y="{y + FONT_PX}">{escape(cut(pair.label))}</text>'
        )
        for row, (kind, value, text) in enumerate(
            (("base", pair.baseline, pair.baseline_text), ("new", pair.new, pair.new_text))
        ):
            bar_y = y + FONT_PX + 4 + row * 13
            length = _length(value, scale, room)
            parts.append(
                f'<rect class="bar {kind}" x="0" y="{bar_y}" width="{length:.1f}" height="10"/>'
                f'<text class="value {kind}" x="{length + 6:.1f}" y="{bar_y + 9}">'
                f"{escape(text)}</text>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def _length(value: float, scale: float, room: float) -> float:
    return max(room * value / scale, 1.0) if scale > 0 and value > 0 else 0.0
