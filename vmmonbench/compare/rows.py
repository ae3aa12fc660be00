"""Rows of a comparison: one figure of one configuration or statement, baseline beside new."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from vmmonbench import units
from vmmonbench.compare.text import percent_text, ratio, same
from vmmonbench.figures import FIGURES, STATEMENT_FIGURES, Better, stats_cycles
from vmmonbench.result_records import StatementRecord
from vmmonbench.results import Results, RunResult
from vmmonbench.sample_stats import Significance, mann_whitney
from vmmonbench.units import Unit


class Verdict(StrEnum):
    """What happened to one row between the baseline and the new results."""

    REGRESSED = "regressed"
    IMPROVED = "improved"
    NEW = "new"
    GONE = "gone"
    NOT_SIGNIFICANT = "not significant"
    UNCHANGED = "unchanged"


# The database's block counts wobble this little between runs of the same code (hint bits, page
# pruning); a change within it is shown as unchanged. The gate's work rules carry their own.
WORK_THRESHOLD: Final = 0.02

CONFIGURATION_ROW = "configuration"  # the metric of the row standing for a whole configuration


@dataclass(frozen=True, slots=True)
class Row:
    """One figure of one configuration (or of one statement in it), baseline beside new."""

    configuration: str
    metric: str
    unit: Unit
    baseline: float | None
    new: float | None
    verdict: Verdict
    explanation: str
    better: Better = Better.LOWER
    sampled: bool = False  # the figure has raw per-cycle samples for a significance test
    statement: str | None = None
    sql: str | None = None
    significance: Significance | None = None
    failures: tuple[str, ...] = ()
    absent_side: bool = False  # the statement itself is missing from one side (not a field)

    @property
    def exact(self) -> bool:
        """A count: any change is real."""
        return self.unit is Unit.COUNT

    @property
    def subject(self) -> str:
        """`UpdateVmDynamic calls` for a statement row, the metric name otherwise."""
        return f"{self.statement} {self.metric}" if self.statement is not None else self.metric

    @property
    def change(self) -> float | None:
        """new - baseline (None when a side is missing)."""
        if self.baseline is None or self.new is None:
            return None
        return self.new - self.baseline

    @property
    def change_ratio(self) -> float | None:
        """(new - baseline) / baseline: 1.0 is +100 %; +-inf from zero; None if a side is absent."""
        if self.baseline is None or self.new is None:
            return None
        return ratio(self.baseline, self.new)

    @property
    def failed(self) -> bool:
        """True when a gate check failed on this row."""
        return bool(self.failures)


@dataclass(frozen=True, slots=True)
class ConfigurationPair:
    """A configuration of the baseline and its counterpart in the new results (None: absent)."""

    base: str | None
    new: str | None

    @property
    def label(self) -> str:
        """The label its rows carry: the new one, or the baseline's for a configuration gone."""
        label = self.new if self.new is not None else self.base
        assert label is not None
        return label

    @property
    def verdict(self) -> Verdict | None:
        """NEW or GONE for a configuration on one side only, else None."""
        if self.base is None:
            return Verdict.NEW
        return Verdict.GONE if self.new is None else None


def configuration_rows(
    pair: ConfigurationPair, base: Results, new: Results, threshold: float, alpha: float
) -> list[Row]:
    """Every figure of one configuration pair, then its statements; one row for a lone side."""
    old = base.run(pair.base) if pair.base is not None else None
    now = new.run(pair.new) if pair.new is not None else None
    if old is None or now is None:
        where = "new results" if pair.verdict is Verdict.NEW else "baseline"
        verdict = pair.verdict or Verdict.NEW
        explanation = f"configuration only in the {where}"
        return [Row(pair.label, CONFIGURATION_ROW, Unit.COUNT, None, None, verdict, explanation)]
    rows: list[Row] = []
    for figure in FIGURES:
        before, after = figure.value(old), figure.value(now)
        if before is None and after is None:
            continue
        significance = None
        if figure.samples is not None:
            significance = mann_whitney(figure.samples(old), figure.samples(now), alpha=alpha)
        sampled = figure.samples is not None
        verdict, why = _verdict(
            figure.better, figure.unit, sampled, before, after, significance, threshold
        )
        rows.append(
            Row(
                pair.label,
                figure.name,
                figure.unit,
                before,
                after,
                verdict,
                why,
                better=figure.better,
                sampled=sampled,
                significance=significance,
            )
        )
    return rows + _statement_rows(pair.label, old, now, threshold)


def _verdict(
    better: Better,
    unit: Unit,
    sampled: bool,
    base: float | None,
    new: float | None,
    significance: Significance | None,
    threshold: float,
) -> tuple[Verdict, str]:
    if base is None:
        return Verdict.NEW, "not in the baseline"
    if new is None:
        return Verdict.GONE, "not in the new results"
    worse = new > base if better is Better.LOWER else new < base
    direction = Verdict.REGRESSED if worse else Verdict.IMPROVED
    change = percent_text(base, new)
    if unit in (Unit.COUNT, Unit.BLOCKS):
        if same(base, new):
            return Verdict.UNCHANGED, "identical"
        if unit is Unit.BLOCKS and abs(ratio(base, new)) <= WORK_THRESHOLD:
            return Verdict.UNCHANGED, f"{change}, within ±{WORK_THRESHOLD * 100:g}%"
        return direction, f"{change} ({'worse' if worse else 'better'})"
    if abs(ratio(base, new)) <= threshold:
        return Verdict.UNCHANGED, f"{change}, within ±{threshold * 100:g}%"
    if significance is None:
        why = "too few raw samples" if sampled else "no raw samples"
        return Verdict.NOT_SIGNIFICANT, f"{change} but {why} to test significance"
    if not significance.significant:
        return Verdict.NOT_SIGNIFICANT, f"{change} but not significant ({significance.describe()})"
    return direction, f"{change}, significant ({significance.describe()})"


StatementKey = tuple[str, str]  # (label, normalized SQL)
StatementPair = tuple[StatementKey | None, StatementKey | None]


def _statement_rows(label: str, old: RunResult, now: RunResult, threshold: float) -> list[Row]:
    before_all, after_all = statements_by_key(old), statements_by_key(now)
    renamed = _sql_changes(before_all, after_all)
    pairs: list[StatementPair] = [
        (renamed.get(key, key if key in before_all else None), key) for key in after_all
    ]
    taken = set(renamed.values())
    pairs += [(key, None) for key in before_all if key not in after_all and key not in taken]

    def entries(pair: StatementPair) -> tuple[StatementRecord | None, StatementRecord | None]:
        return (
            before_all.get(pair[0]) if pair[0] is not None else None,
            after_all.get(pair[1]) if pair[1] is not None else None,
        )

    def weight(pair: StatementPair) -> float:
        return max(entry.total_s if entry else 0.0 for entry in entries(pair))

    old_cycles, new_cycles = stats_cycles(old), stats_cycles(now)
    rows: list[Row] = []
    for pair in sorted(pairs, key=weight, reverse=True):
        before, after = entries(pair)
        key = pair[1] or pair[0]
        assert key is not None
        sql_changed = pair[0] is not None and pair[1] is not None and pair[0] != pair[1]
        for figure in STATEMENT_FIGURES:
            base = figure.value(before, old_cycles) if before is not None else None
            new = figure.value(after, new_cycles) if after is not None else None
            if before is not None and after is not None and base is None and new is None:
                continue  # a per-cycle figure of runs without statistics cycles
            verdict, why = _verdict(Better.LOWER, figure.unit, False, base, new, None, threshold)
            if sql_changed:
                why += "; SQL text changed"
            rows.append(
                Row(
                    label,
                    figure.name,
                    figure.unit,
                    base,
                    new,
                    verdict,
                    why,
                    statement=key[0],
                    sql=key[1],
                    absent_side=before is None or after is None,
                )
            )
    return rows


def statements_by_key(run: RunResult) -> dict[StatementKey, StatementRecord]:
    """Statements by (label, normalized SQL); duplicates, should there be any, merged."""
    merged: dict[StatementKey, StatementRecord] = {}
    for entry in run.statements:
        key = (entry.label, entry.sql)
        into = merged.get(key)
        if into is None:
            merged[key] = entry
            continue
        calls, total_s = into.calls + entry.calls, into.total_s + entry.total_s
        merged[key] = replace(
            into,
            calls=calls,
            rows=into.rows + entry.rows,
            total_s=total_s,
            mean_s=total_s / calls if calls else 0.0,
        )
    return merged


def _sql_changes(
    before: Mapping[StatementKey, StatementRecord], after: Mapping[StatementKey, StatementRecord]
) -> dict[StatementKey, StatementKey]:
    """New key -> baseline key of a statement whose label is unique among the unmatched ones on
    both sides but whose SQL text changed (a column added): the same DAO call, still."""
    only_before = [key for key in before if key not in after]
    only_after = [key for key in after if key not in before]
    changes: dict[StatementKey, StatementKey] = {}
    for key in only_after:
        old = [k for k in only_before if k[0] == key[0]]
        if len(old) == 1 and sum(1 for k in only_after if k[0] == key[0]) == 1:
            changes[key] = old[0]
    return changes


def gated_values(row: Row) -> tuple[float, float] | None:
    """The values a rule compares: a statement absent on one side ran zero calls and rows (a
    field a statement's record lacks is no value, as for a configuration's figures)."""
    base, new = row.baseline, row.new
    if row.absent_side and row.exact:
        base, new = base or 0.0, new or 0.0
    if base is None or new is None:
        return None
    return base, new


def gone_statements(rows: Sequence[Row]) -> list[Row]:
    """One row per statement of the baseline that the new results no longer have."""
    seen: set[tuple[str, str | None, str | None]] = set()
    gone = []
    for row in rows:
        key = (row.configuration, row.statement, row.sql)
        if row.statement is not None and row.verdict is Verdict.GONE and key not in seen:
            seen.add(key)
            gone.append(row)
    return gone


def change_text(row: Row, base: float, new: float) -> str:
    """`per-vm-lock+event-plus-stats+4.1: UpdateVmDynamic calls 6,000 -> 12,000 (+100%)`."""
    return (
        f"{row.configuration}: {row.subject} {units.text(row.unit, base)} -> "
        f"{units.text(row.unit, new)} ({percent_text(base, new)})"
    )
