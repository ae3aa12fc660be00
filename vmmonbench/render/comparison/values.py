"""How the comparison page writes and sorts values, changes and verdicts."""

from __future__ import annotations

import math

from vmmonbench.compare import Row, Verdict
from vmmonbench.compare.text import percent_text

# Higher is worse, so a first (descending) click on a verdict column puts the worst on top.
SEVERITY = {verdict: len(Verdict) - index for index, verdict in enumerate(Verdict)}
FAILED_SEVERITY = len(Verdict) + 1


def change_text(row: Row) -> str:
    """'+40%', '-2.5%', 'from 0', or the verdict (new, gone) when a side is missing."""
    if row.baseline is None or row.new is None:
        return row.verdict.value if row.verdict in {Verdict.NEW, Verdict.GONE} else "-"
    return percent_text(row.baseline, row.new)


def sort_number(value: float | None) -> str:
    """A data-value the page's sorter reads with parseFloat ('' sorts last)."""
    if value is None or math.isnan(value):
        return ""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(value))


def delta(row: Row) -> float:
    """new - baseline, a missing side counting as zero (a statement gone ran no calls)."""
    return (row.new or 0.0) - (row.baseline or 0.0)


def severity(row: Row) -> int:
    """How much a row needs reading: failed, then regressed, improved, ..., unchanged."""
    return FAILED_SEVERITY if row.failed else SEVERITY[row.verdict]


def quiet(row: Row) -> bool:
    """Hidden until the reader asks for every row: unchanged, or a statement time that moved
    without raw samples to test it (mostly noise; the terminal hides those too), unless a
    check failed on it."""
    if row.failed:
        return False
    noise = row.verdict is Verdict.NOT_SIGNIFICANT and row.statement is not None
    return row.verdict is Verdict.UNCHANGED or (noise and not row.sampled)


def tone(row: Row) -> str:
    """The colour of a row's verdict (the CSS tone class)."""
    return row.verdict.value.replace(" ", "-")
