"""Tables that fit the terminal: as many columns side by side as its width allows, no number cut."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

T = TypeVar("T")
UNBOUNDED = 100_000


def fits(console: Console, table: Table, *, whole: bool = False) -> bool:
    """Whether the table fits the console: in its narrowest layout (text wrapped, numbers
    whole), or with `whole` in its natural one (no cell wrapped at all)."""
    unbounded = console.options.update_width(UNBOUNDED)  # a measurement is capped at its width
    measured = Measurement.get(console, unbounded, table)
    return (measured.maximum if whole else measured.minimum) <= console.width


def fitted(
    console: Console, items: Sequence[T], build: Callable[[Sequence[T]], Table]
) -> list[Table]:
    """`build` over consecutive groups of `items`, each group as large as fits the width.

    A table of one item that still does not fit is kept: its text columns then wrap, and
    numbers, which are never wrapped, stay whole.
    """
    tables: list[Table] = []
    start = 0
    while start < len(items):
        size = len(items) - start
        while size > 1 and not fits(console, build(items[start : start + size])):
            size -= 1
        tables.append(build(items[start : start + size]))
        start += size
    return tables
