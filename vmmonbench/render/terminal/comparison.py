"""compare in the terminal: changed rows first per configuration, verdicts coloured, the gate."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from vmmonbench import units
from vmmonbench.compare import Check, Comparison, Row, Verdict
from vmmonbench.render.comparison.values import change_text
from vmmonbench.render.terminal.fit import fits
from vmmonbench.render.terminal.untrusted import plain

# rows per configuration and failure lines shown; the rest are counted (the HTML page lists more)
MAX_ROWS = 30
MAX_FAILURES = 30
VERDICT_STYLES: dict[Verdict, str] = {
    Verdict.REGRESSED: "bold red",
    Verdict.IMPROVED: "green",
    Verdict.NEW: "cyan",
    Verdict.GONE: "magenta",
    Verdict.NOT_SIGNIFICANT: "yellow",
    Verdict.UNCHANGED: "dim",
}


def comparison_tables(
    comparison: Comparison, console: Console, *, show_all: bool = False
) -> list[Table]:
    """One table per configuration with rows worth reading (every row with `show_all`); the
    explanation column only where the terminal is wide enough for it to read well."""
    shown = _shown(comparison, show_all)
    tables = []
    for pair in comparison.configurations:
        rows = [row for row in shown if row.configuration == pair.label]
        if not rows:
            continue
        wide = _table(pair.label, rows, why=True)
        tables.append(wide if fits(console, wide) else _table(pair.label, rows, why=False))
    return tables


def _table(label: str, rows: Sequence[Row], *, why: bool) -> Table:
    table = Table(
        title=plain(label, style="bold"), box=box.SIMPLE_HEAD, show_edge=False, title_justify="left"
    )
    table.add_column("figure", overflow="fold", ratio=2)
    for header in ("baseline", "new", "change"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    if why:
        table.add_column("why", overflow="fold", ratio=3, min_width=30)
    for row in rows:
        verdict = Text(
            f"{row.verdict}{' FAIL' if row.failed else ''}", style=VERDICT_STYLES[row.verdict]
        )
        cells: list[Text | str] = [
            plain(row.subject),
            units.text(row.unit, row.baseline),
            units.text(row.unit, row.new),
            change_text(row),
            verdict,
        ]
        if why:
            cells.append(plain(row.explanation))
        table.add_row(*cells)
    return table


def comparison_renderable(
    comparison: Comparison, console: Console, *, show_all: bool = False
) -> RenderableType:
    """The tables, then mismatches, warnings and notes, the failures one per line, the hint and
    a verdict."""
    title = plain(f"vmmonbench compare: {comparison.base_name} -> {comparison.new_name}", "bold")
    parts: list[RenderableType] = [
        title,
        *comparison_tables(comparison, console, show_all=show_all),
    ]
    hidden = len(comparison.rows) - len(_shown(comparison, show_all))
    if hidden:
        parts.append(
            Text(
                f"{hidden} rows not shown: unchanged, statement times that moved without raw "
                f"samples to test them, or past {MAX_ROWS} per configuration (--all shows every "
                "row)",
                style="dim",
            )
        )
    parts += [plain(f"mismatch allowed: {line}", "yellow") for line in comparison.mismatches]
    parts += [plain(f"warning: {line}", "yellow") for line in comparison.warnings]
    parts += [plain(f"note: {line}", "dim") for line in comparison.notes]
    failures = comparison.failures
    parts += [plain(f"FAIL {check.explanation}", "bold red") for check in failures[:MAX_FAILURES]]
    if len(failures) > MAX_FAILURES:
        parts.append(Text(f"... and {len(failures) - MAX_FAILURES} more failed checks", "bold red"))
    if comparison.stale_hint:
        parts.append(plain(f"hint: {comparison.stale_hint}", "yellow"))
    rules = comparison.rules_text
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
    """Print the comparison."""
    console.print(comparison_renderable(comparison, console, show_all=show_all))


def print_speedup(check: Check, console: Console) -> None:
    """The within-run speedup check's one line: ok or FAIL, and why."""
    verdict = Text("FAIL", style="bold red") if check.failed else Text("ok", style="bold green")
    console.print(Text.assemble(verdict, " within-run speedup: ", plain(check.explanation)))


def _shown(comparison: Comparison, show_all: bool) -> list[Row]:
    rows = comparison.ordered_rows(changed_only=not show_all)
    if show_all:
        return rows
    # statement times have no raw samples: their moves are mostly noise and would bury the rest
    worth = [
        row
        for row in rows
        if row.failed
        or not (row.verdict is Verdict.NOT_SIGNIFICANT and row.statement and not row.sampled)
    ]
    per_configuration: dict[str, int] = {}
    shown = []
    for row in worth:  # failed rows come first: they are the last to be left out
        seen = per_configuration.get(row.configuration, 0)
        if seen < MAX_ROWS:
            shown.append(row)
        per_configuration[row.configuration] = seen + 1
    return shown
