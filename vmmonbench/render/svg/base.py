"""What every inline SVG chart shares: the opening tag, tone classes, label cutting, sizes."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import escape

Formatter = Callable[[float], str]

FONT_PX = 12
LABEL_CHARS = 64  # longer bar labels are cut (the full text stays in the tooltip)


def svg_open(title: str, width: int, height: int, kind: str) -> str:
    """The `<svg>` tag of a chart with its accessible title."""
    # no xmlns: inline SVG in HTML does not need it, and the report holds no external URL
    return (
        f'<svg class="chart {kind}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    )


def tone(name: str) -> str:
    """A tone name safe in a class attribute ('neutral' when nothing is left)."""
    return "".join(ch for ch in name if ch.isalnum() or ch == "-") or "neutral"


def cut(label: str) -> str:
    """A label cut to LABEL_CHARS characters."""
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
