"""The arithmetic of change and its one-line texts, shared by rows, rules and checks."""

from __future__ import annotations

import math
from typing import Final

EPSILON: Final = 1e-9


def ratio(base: float, new: float) -> float:
    """(new - base) / |base|: 0.0 for the same value, +-inf from zero."""
    if same(base, new):
        return 0.0
    if base == 0:
        return math.copysign(math.inf, new)
    return (new - base) / abs(base)


def same(a: float, b: float) -> bool:
    """Equal up to float noise."""
    return math.isclose(a, b, rel_tol=EPSILON, abs_tol=1e-12)


def percent_text(base: float, new: float) -> str:
    """`+100%`, `-2.5%`, `+0%`, or `from 0`."""
    change = ratio(base, new)
    if math.isinf(change):
        return "from 0"
    percent = change * 100
    text = f"{percent:+.1f}" if abs(percent) < 10 else f"{percent:+.0f}"
    return f"{text.removesuffix('.0')}%"
