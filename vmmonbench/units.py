"""Units of the figures and how their values are written, the same in every output."""

from __future__ import annotations

from enum import StrEnum


class Unit(StrEnum):
    """What a figure counts; counts are exact, blocks nearly so, the rest is measured (noisy)."""

    COUNT = "count"
    # counted by the database (pg_stat_statements' blocks): machine-independent, yet not exact
    # run to run (hint bits, page pruning): compared with a tolerance, never a significance test
    BLOCKS = "blocks"
    SECONDS = "seconds"
    BYTES = "bytes"
    FRACTION = "fraction"


def text(unit: Unit, value: float | None) -> str:
    """A value in its unit: '12.3 ms', '1,012.5', '411.1 KiB', '0.7 %'; '-' when absent."""
    if unit is Unit.SECONDS:
        return seconds(value)
    if unit is Unit.BYTES:
        return size(value)
    if unit is Unit.FRACTION:
        return percent(value)
    return count(value)


def seconds(value: float | None) -> str:
    """A duration with a unit that keeps 3 significant digits: 12.3 s, 456 ms, 78.9 µs."""
    if value is None:
        return "-"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f} s"
    if magnitude >= 1:
        return f"{value:.3g} s"
    if magnitude >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def count(value: float | None) -> str:
    """A count with thousands separators; a fractional one (a mean) with up to two decimals."""
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def size(value: float | None) -> str:
    """Bytes as B/KiB/MiB/GiB."""
    if value is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def percent(value: float | None) -> str:
    """A fraction as a percentage."""
    if value is None:
        return "-"
    return f"{value * 100:.1f} %"
