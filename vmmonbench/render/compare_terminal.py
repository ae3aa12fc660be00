"""Terminal output of a comparison: the changed rows first, verdicts coloured, then the gate."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from vmmonbench.compare import Comparison, Row, Verdict
from vmmonbench.render.comparison.values import change_text, value_text

VERDICT_STYLES: dict[Verdict, str] = {
    Verdict.REGRESSED: "bold red",
    Verdict.IMPROVED: "green",
    Verdict.NEW: "cyan",
    Verdict.GONE: "magenta",
    Verdict.NOT_SIGNIFICANT: "yellow",
    Verdict.UNCHANGED: "dim",
}


def comparison_table(comparison: Comparison, *, show_all: bool = False) -> Table:
    """The rows worth reading: failed and changed ones first (every row with `show_all`)."""
    table = Table(title=f"vmmonbench compare: {comparison.base_name} -> {comparison.new_name}")
    table.add_column("configuration", no_wrap=True)
    table.add_column("metric")
    for header in ("baseline", "new", "change"):
        table.add_column(header, justify="right")
    table.add_column("verdict")
    table.add_column("why")
    for row in _shown(comparison, show_all):
        style = VERDICT_STYLES[row.verdict]
        verdict = Text(f"{row.verdict}{' FAIL' if row.failed else ''}", style=style)
        table.add_row(
            row.configuration,
            row.subject,
            value_text(row.unit, row.baseline),
            value_text(row.unit, row.new),
            change_text(row),
            verdict,
            row.explanation,
        )
    return table


def comparison_renderable(comparison: Comparison, *, show_all: bool = False) -> RenderableType:
    """The table, then mismatches and notes, the failures one per line, the hint and a verdict."""
    parts: list[RenderableType] = [comparison_table(comparison, show_all=show_all)]
    hidden = len(comparison.rows) - len(_shown(comparison, show_all))
    if hidden:
        parts.append(
            Text(
                f"{hidden} rows not shown: unchanged, or statement times that moved without "
                "raw samples to test them (show every row to see them)",
                style="dim",
            )
        )
    parts += [Text(f"mismatch allowed: {line}", style="yellow") for line in comparison.mismatches]
    parts += [Text(f"note: {line}", style="dim") for line in comparison.notes]
    parts += [Text(f"FAIL {check.explanation}", style="bold red") for check in comparison.failures]
    if comparison.stale_hint:
        parts.append(Text(f"hint: {comparison.stale_hint}", style="yellow"))
    rules = "default rules" if comparison.default_rules else f"{len(comparison.rules)} rule(s)"
    if comparison.regressed:
        summary = Text(
            f"regression: {len(comparison.failures)} of {len(comparison.checks)} checks "
            f"failed ({rules})",
            style="bold red",
        )
    else:
        summary = Text(
            f"no regression: {len(comparison.checks)} checks passed ({rules})", style="bold green"
        )
    parts.append(summary)
    return Group(*parts)


def print_comparison(comparison: Comparison, console: Console, *, show_all: bool = False) -> None:
    """Print the comparison renderable."""
    console.print(comparison_renderable(comparison, show_all=show_all))


def _shown(comparison: Comparison, show_all: bool) -> list[Row]:
    rows = comparison.ordered_rows(changed_only=not show_all)
    if show_all:
        return rows
    # statement times have no raw samples: their moves are mostly noise and would bury the rest
    return [
        row
        for row in rows
        if row.failed
        or not (row.verdict is Verdict.NOT_SIGNIFICANT and row.statement and not row.sampled)
    ]
