"""The comparison's per-configuration tables: its metrics, and its statements one row each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vmmonbench import units
from vmmonbench.compare import CONFIGURATION_ROW, Comparison, ConfigurationPair, Row, Verdict
from vmmonbench.figures import BY_NAME, STATEMENT_BY_NAME
from vmmonbench.render.comparison.values import (
    change_text,
    delta,
    quiet,
    severity,
    sort_number,
    tone,
)
from vmmonbench.render.shell import slug

DESCRIPTIONS = {name: figure.description for name, figure in BY_NAME.items()}
# the statement figures shown as columns; the totals (calls, rows) still count in the verdict
STATEMENT_COLUMNS = tuple(
    (name, STATEMENT_BY_NAME[name].title)
    for name in ("calls_per_stats_cycle", "rows_per_stats_cycle", "total_s", "mean_s")
)


@dataclass(frozen=True, slots=True)
class Cell:
    """One row of the comparison as the page writes it: values, change, verdict tone."""

    row: Row
    baseline: str
    new: str
    change: str
    tone: str
    quiet: bool
    severity: int

    @property
    def description(self) -> str:
        """What the metric measures ('' for statement metrics)."""
        return DESCRIPTIONS.get(self.row.metric, "") if self.row.statement is None else ""

    @property
    def sort_baseline(self) -> str:
        """The baseline value as a sort key."""
        return sort_number(self.row.baseline)

    @property
    def sort_new(self) -> str:
        """The new value as a sort key."""
        return sort_number(self.row.new)

    @property
    def sort_change(self) -> str:
        """The change ratio as a sort key (+-Infinity from zero)."""
        return sort_number(self.row.change_ratio)

    @property
    def sort_delta(self) -> str:
        """new - baseline as a sort key, a missing side counting as zero."""
        return sort_number(delta(self.row))


@dataclass(frozen=True, slots=True)
class StatementGroup:
    """Every metric of one statement of one configuration, on one table row."""

    label: str
    sql: str
    cells: dict[str, Cell]
    worst: Cell
    reasons: tuple[str, ...]  # 'metric: explanation' of each metric that moved
    failures: tuple[str, ...]

    @property
    def quiet(self) -> bool:
        """Nothing worth reading moved."""
        return all(cell.quiet for cell in self.cells.values())


# statements listed per configuration: failed first, then those that moved, then the quiet ones
MAX_STATEMENTS = 500


@dataclass(frozen=True, slots=True)
class ConfigurationView:
    """One configuration of the comparison: its metric rows and its statements."""

    pair: ConfigurationPair
    slug: str
    only: str  # 'baseline' or 'new results' for a configuration on one side, else ''
    metrics: tuple[Cell, ...]
    statements: tuple[StatementGroup, ...]
    counts: dict[Verdict, int]
    failed: int
    left_out: int = 0  # statements not listed (past MAX_STATEMENTS; all in the results files)

    @property
    def hidden(self) -> int:
        """Metric rows and statements hidden until the reader shows every row."""
        return sum(c.quiet for c in self.metrics) + sum(g.quiet for g in self.statements)

    @property
    def renamed(self) -> bool:
        """The baseline's configuration had another label (paired by lock and fetch modes)."""
        return (
            self.pair.base is not None
            and self.pair.new is not None
            and (self.pair.base != self.pair.new)
        )


def cell(row: Row) -> Cell:
    """The page's view of one comparison row."""
    return Cell(
        row=row,
        baseline=units.text(row.unit, row.baseline),
        new=units.text(row.unit, row.new),
        change=change_text(row),
        tone=tone(row),
        quiet=quiet(row),
        severity=severity(row),
    )


def configuration_views(comparison: Comparison) -> list[ConfigurationView]:
    """Every configuration of the comparison, in its order, failed and changed rows first."""
    ordered = comparison.ordered_rows()
    taken: set[str] = set()
    views = []
    for pair in comparison.configurations:
        rows = [row for row in ordered if row.configuration == pair.label]
        in_order = [row for row in comparison.rows if row.configuration == pair.label]
        counts = dict.fromkeys(Verdict, 0)
        for row in rows:
            counts[row.verdict] += 1
        only = ""
        if pair.verdict is not None:
            only = "new results" if pair.verdict is Verdict.NEW else "baseline"
        groups = _groups([r for r in in_order if r.statement is not None])
        listed = {
            id(g) for g in sorted(groups, key=lambda g: (not g.failures, g.quiet))[:MAX_STATEMENTS]
        }
        views.append(
            ConfigurationView(
                pair=pair,
                slug=slug(pair.label, taken, fallback="configuration"),
                only=only,
                metrics=tuple(
                    cell(r) for r in rows if r.statement is None and r.metric != CONFIGURATION_ROW
                ),
                statements=tuple(g for g in groups if id(g) in listed),
                counts=counts,
                failed=sum(row.failed for row in rows),
                left_out=len(groups) - len(listed),
            )
        )
    return views


def _groups(rows: Sequence[Row]) -> list[StatementGroup]:
    """Statement rows grouped per statement, in the comparison's order (heaviest first)."""
    grouped: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        grouped.setdefault((row.statement or "", row.sql or ""), []).append(row)
    groups = []
    for (label, sql), members in grouped.items():
        cells = {row.metric: cell(row) for row in members}
        worst = max(cells.values(), key=lambda c: c.severity)
        groups.append(
            StatementGroup(
                label=label,
                sql=sql,
                cells=cells,
                worst=worst,
                reasons=tuple(
                    f"{c.row.metric}: {c.row.explanation}"
                    for c in cells.values()
                    if c.row.verdict is not Verdict.UNCHANGED
                ),
                failures=tuple(line for row in members for line in row.failures),
            )
        )
    return groups
