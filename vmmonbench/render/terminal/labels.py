"""Configuration labels short enough for a column header, and the legend that spells them out."""

from __future__ import annotations

from collections.abc import Sequence

from vmmonbench.results import RunResult

ABBREVIATIONS = {
    "host-lock": "host",
    "per-vm-lock": "per-vm",
    "polling-only": "polling",
    "event-plus-stats": "events",
}
NAMED_SETS = frozenset({"3.6", "4.1"})
LEGEND = (
    "host / per-vm: host lock or VM locks; polling / events: polling-only or event-plus-stats; "
    "3.6: the legacy persistence, 4.1: all nine optimizations"
)


def short_label(label: str) -> str:
    """`per-vm events 4.1` for `per-vm-lock+event-plus-stats+4.1`."""
    return " ".join(_parts(label))


def header(label: str) -> list[str]:
    """The short label's parts (lock, fetch, optimizations), one per line of a column header."""
    return _parts(label)


def _parts(label: str) -> list[str]:
    parts = label.split("+", 2)
    if len(parts) < 3:
        return [label]  # not one of ours: shown whole
    lock, fetch, optimizations = parts
    if optimizations not in NAMED_SETS:
        count = len(optimizations.split(","))
        optimizations = f"{count} opt{'s' * (count != 1)}"
    return [ABBREVIATIONS.get(lock, lock), ABBREVIATIONS.get(fetch, fetch), optimizations]


def custom_sets(runs: Sequence[RunResult]) -> list[str]:
    """Legend lines for configurations with a partial optimization set: which ones it has."""
    return [
        f"{short_label(run.label)}: {', '.join(run.optimizations)}"
        for run in runs
        if run.label.rpartition("+")[2] not in NAMED_SETS
    ]
