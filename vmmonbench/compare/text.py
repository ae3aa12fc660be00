"""One-line texts and the arithmetic of change shared by rows, rules and checks."""

from __future__ import annotations

import math
from typing import Final

from vmmonbench.compare.metrics import Unit

EPSILON: Final = 1e-9


# one-line texts -------------------------------------------------------------------------------
def ratio(base: float, new: float) -> float:
    if same(base, new):
        return 0.0
    if base == 0:
        return math.copysign(math.inf, new)
    return (new - base) / abs(base)


def same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=EPSILON, abs_tol=1e-12)


def percent_text(base: float, new: float) -> str:
    """`+100%`, `-2.5%`, `+0%`, or `from 0`."""
    change = ratio(base, new)
    if math.isinf(change):
        return "from 0"
    percent = change * 100
    text = f"{percent:+.1f}" if abs(percent) < 10 else f"{percent:+.0f}"
    return f"{text.removesuffix('.0')}%"


def show(unit: Unit, value: float) -> str:
    if unit is Unit.SECONDS:
        magnitude = abs(value)
        if magnitude == 0 or magnitude >= 1:
            return f"{value:.3g} s"
        if magnitude >= 1e-3:
            return f"{value * 1e3:.3g} ms"
        return f"{value * 1e6:.3g} µs"
    if unit is Unit.FRACTION:
        return f"{value * 100:.3g}%"
    if unit is Unit.BYTES:
        return f"{value:.0f} B"
    return f"{value:.2f}".rstrip("0").rstrip(".")
