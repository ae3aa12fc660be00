"""Baseline against new results: paired configurations, rows with verdicts, and the gate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from vmmonbench.compare.gate_rules import Check, Rule, default_rules
from vmmonbench.compare.rows import (
    CONFIGURATION_ROW,
    ConfigurationPair,
    Row,
    Verdict,
    change_text,
    configuration_rows,
    gated_values,
    gone_statements,
)
from vmmonbench.errors import EXIT_FAILED, EXIT_OK, BadInputError
from vmmonbench.results import Results, RunStatus
from vmmonbench.sample_stats import DEFAULT_ALPHA

# A measured value must move by more than this fraction before it can count as a change.
TIME_THRESHOLD: Final = 0.10
# Workload keys that name or describe a workload without changing what it does.
COSMETIC_WORKLOAD_KEYS: Final = frozenset({"name", "description"})
# The rule text of the checks that every configuration and statement of the baseline is still
# there: results that lost some cannot pass for results that kept them.
PRESENCE_RULE: Final = "present"


_VERDICT_ORDER: Final = {verdict: index for index, verdict in enumerate(Verdict)}


@dataclass(frozen=True, slots=True)
class Comparison:
    """Baseline vs new: rows with verdicts, the gate's checks, and what to tell the user."""

    base_name: str
    new_name: str
    workload: str
    configurations: tuple[ConfigurationPair, ...]
    rows: tuple[Row, ...]
    checks: tuple[Check, ...]
    rules: tuple[Rule, ...]
    default_rules: bool
    threshold: float = TIME_THRESHOLD
    alpha: float = DEFAULT_ALPHA
    mismatches: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()  # gated rows that beat the baseline beyond the rule's limit
    warnings: tuple[str, ...] = ()  # worth knowing, never failing (e.g. different versions)
    allow_gone: bool = False
    counts_only: bool = False  # the default count rules only
    machine_independent: bool = False  # the default rules without the time rules

    @property
    def rules_text(self) -> str:
        """'default rules', 'default count rules', 'default machine-independent rules' or
        'N rule(s)'."""
        if not self.default_rules:
            return f"{len(self.rules)} rule(s)"
        if self.counts_only:
            return "default count rules"
        return "default machine-independent rules" if self.machine_independent else "default rules"

    @property
    def failures(self) -> tuple[Check, ...]:
        """The failed checks, each one line naming configuration, metric, change and limit."""
        return tuple(check for check in self.checks if check.failed)

    @property
    def regressed(self) -> bool:
        """True when the gate fails."""
        return any(check.failed for check in self.checks)

    @property
    def stale_hint(self) -> str | None:
        """A hint that the baseline looks stale, when the new results clearly beat it."""
        if not self.stale:
            return None
        examples = "; ".join(self.stale[:3])
        more = f" and {len(self.stale) - 3} more" if len(self.stale) > 3 else ""
        return (
            f"the new results beat the baseline beyond the gate's limits ({examples}{more}): "
            "the baseline looks stale; refresh it so the gate keeps the improvement"
        )

    def ordered_rows(self, *, changed_only: bool = False) -> list[Row]:
        """Failed rows first, then by verdict: regressed, improved, new, gone, ..., unchanged."""
        rows = [r for r in self.rows if not changed_only or r.verdict is not Verdict.UNCHANGED]
        return sorted(rows, key=lambda r: (not r.failed, _VERDICT_ORDER[r.verdict]))

    def verdict_counts(self) -> dict[Verdict, int]:
        """How many rows got each verdict (every verdict present, zeros included)."""
        counts = dict.fromkeys(Verdict, 0)
        for row in self.rows:
            counts[row.verdict] += 1
        return counts


def exit_code(comparison: Comparison) -> int:
    """The CLI exit code: 0 no regression, 1 regression (bad input raises BadInputError: 2)."""
    return EXIT_FAILED if comparison.regressed else EXIT_OK


def compare(
    base: Results,
    new: Results,
    rules: Sequence[Rule] = (),
    *,
    allow_mismatch: bool = False,
    allow_gone: bool = False,
    counts_only: bool = False,
    machine_independent: bool = False,
    base_name: str = "baseline",
    new_name: str = "new",
    threshold: float = TIME_THRESHOLD,
    alpha: float = DEFAULT_ALPHA,
) -> Comparison:
    """Compare `new` with `base`: rows per configuration, metric and statement, then the gate.

    No `rules` means `default_rules()`: without the time rules if `machine_independent` (counts
    and DB work, for a baseline from another machine), the count rules alone if
    `counts_only`. Results of
    different workloads or database dialects, or of runs that did not complete, raise
    BadInputError unless `allow_mismatch` (they are then listed in `mismatches`). Results with
    no configuration in common always raise, and so does a given rule that matches nothing (a
    misspelt label passes nothing silently).

    Every configuration and statement of the baseline must still be in the new results: one
    that is gone fails the gate unless `allow_gone` (it is then only shown as gone).
    """
    mismatches = incomparabilities(base, new, base_name=base_name, new_name=new_name)
    if mismatches and not allow_mismatch:
        raise BadInputError(
            f"{base_name} and {new_name} are not comparable: {'; '.join(mismatches)} "
            "(compare results of the same workload, or allow the mismatch explicitly)"
        )
    if rules and (counts_only or machine_independent):
        chosen_by = "counts only" if counts_only else "machine-independent"
        raise BadInputError(f"{chosen_by} chooses the default rules; it cannot go with rules")
    if counts_only and machine_independent:
        raise BadInputError("counts only and machine-independent choose different rules: give one")
    chosen = tuple(rules) or tuple(
        default_rules(times=not (counts_only or machine_independent), work=not counts_only)
    )
    notes: list[str] = []
    pairs = _pair_configurations(base, new, notes)
    if not any(pair.verdict is None for pair in pairs):
        raise BadInputError(
            f"{base_name} and {new_name} have no configuration in common: "
            f"{labels(base)} vs {labels(new)}"
        )
    rows = [row for pair in pairs for row in configuration_rows(pair, base, new, threshold, alpha)]
    checks, stale, rows = _apply_rules(chosen, rows, explicit=bool(rules))
    presence, rows = _presence(rows, allow_gone=allow_gone)
    return Comparison(
        base_name=base_name,
        new_name=new_name,
        workload=new.workload_name if new.workload_name != "?" else base.workload_name,
        configurations=tuple(pairs),
        rows=tuple(rows),
        checks=tuple(presence + checks),
        rules=chosen,
        default_rules=not rules,
        threshold=threshold,
        alpha=alpha,
        mismatches=tuple(mismatches),
        notes=tuple(notes),
        stale=tuple(stale),
        warnings=tuple(_warnings(base, new, base_name=base_name, new_name=new_name)),
        allow_gone=allow_gone,
        counts_only=counts_only,
        machine_independent=machine_independent,
    )


def incomparabilities(
    base: Results, new: Results, *, base_name: str = "baseline", new_name: str = "new"
) -> list[str]:
    """Why two results cannot be compared fairly (empty when they can)."""
    problems: list[str] = []
    keys = sorted((set(base.workload) | set(new.workload)) - COSMETIC_WORKLOAD_KEYS)
    differing = [
        f"{key} {base.workload.get(key)!r} vs {new.workload.get(key)!r}"
        for key in keys
        if base.workload.get(key) != new.workload.get(key)
    ]
    if differing:
        problems.append(f"workload differs in {', '.join(differing)}")
    base_dialect, new_dialect = _dialect(base), _dialect(new)
    if base_dialect and new_dialect and base_dialect != new_dialect:
        problems.append(f"database {base_dialect} vs {new_dialect}")
    for name, results in ((base_name, base), (new_name, new)):
        if results.status != RunStatus.COMPLETE:
            problems.append(f"{name} is not a complete run (status {results.status})")
        unfinished = [run.label for run in results.runs if run.status != RunStatus.COMPLETE]
        if unfinished and results.status == RunStatus.COMPLETE:
            problems.append(f"{name} has configurations that did not complete: {unfinished}")
    return problems


def _warnings(base: Results, new: Results, *, base_name: str, new_name: str) -> list[str]:
    if base.vmmonbench_version == new.vmmonbench_version:
        return []
    return [
        f"{base_name} was written by vmmonbench {base.vmmonbench_version} and {new_name} by "
        f"{new.vmmonbench_version}: a change of the tool can move figures too"
    ]


def _dialect(results: Results) -> str | None:
    return results.environment.db_dialect or results.database.dialect or None


def labels(results: Results) -> str:
    """The configuration labels of `results`, comma-separated."""
    return ", ".join(run.label for run in results.runs) or "(none)"


def _pair_configurations(base: Results, new: Results, notes: list[str]) -> list[ConfigurationPair]:
    """Pair configurations by label; the only unpaired one on each side pairs up when both
    have the same lock and fetch modes (the same axes with a different optimization set)."""
    base_labels = [run.label for run in base.runs]
    new_labels = [run.label for run in new.runs]
    only_base = [label for label in base_labels if label not in new_labels]
    only_new = [label for label in new_labels if label not in base_labels]
    counterpart = {label: label for label in new_labels if label in base_labels}
    if len(only_base) == 1 and len(only_new) == 1:
        old, now = base.run(only_base[0]), new.run(only_new[0])
        if old is not None and now is not None and (old.lock, old.fetch) == (now.lock, now.fetch):
            counterpart[now.label] = old.label
            notes.append(
                f"compared {old.label} (baseline) with {now.label} (new): the only "
                "configurations without a counterpart, on the same lock and fetch modes"
            )
    pairs = [ConfigurationPair(counterpart.get(label), label) for label in new_labels]
    paired = set(counterpart.values())
    return pairs + [ConfigurationPair(label, None) for label in base_labels if label not in paired]


def _apply_rules(
    rules: Sequence[Rule], rows: list[Row], *, explicit: bool
) -> tuple[list[Check], list[str], list[Row]]:
    checks: list[Check] = []
    failures: dict[int, list[str]] = {}
    stale: dict[int, str] = {}
    for rule in rules:
        matched = False
        for index, row in enumerate(rows):
            if not rule.applies_to(row):
                continue
            matched = True
            check = rule.check(row)
            if check is None:
                continue
            checks.append(check)
            if check.failed:
                failures.setdefault(index, []).append(check.explanation)
            values = gated_values(row)
            # only a value measured on both sides can beat the baseline: gone is no improvement
            if (
                values is not None
                and row.verdict is Verdict.IMPROVED
                and rule.exceeded(*values, improving=True)
            ):
                stale.setdefault(index, change_text(row, *values))
        if explicit and not matched:
            raise BadInputError(
                f"rule {rule.text!r} matches nothing in these results ({_scope(rule)})"
            )
    updated = [
        replace(row, failures=tuple(failures[index])) if index in failures else row
        for index, row in enumerate(rows)
    ]
    return checks, list(stale.values()), updated


def _scope(rule: Rule) -> str:
    where = (
        f"configurations matching {rule.configuration!r}"
        if rule.configuration
        else "any configuration"
    )
    if rule.statement is not None:
        return f"no statement matching {rule.statement!r} with {rule.metric} in {where}"
    return f"no {rule.metric} value in {where}"


def _presence(rows: list[Row], *, allow_gone: bool) -> tuple[list[Check], list[Row]]:
    """A failed check per configuration or statement of the baseline gone from the new results,
    marked on the configuration's row or the statement's first row."""
    if allow_gone:
        return [], rows
    gone = [r for r in rows if r.metric == CONFIGURATION_ROW and r.verdict is Verdict.GONE]
    gone += gone_statements(rows)
    checks: dict[int, Check] = {}
    for row in gone:
        what = "configuration" if row.statement is None else f"statement {row.statement}"
        why = f"{row.configuration}: {what} gone from the new results"
        subject = row.statement or CONFIGURATION_ROW
        checks[id(row)] = Check(PRESENCE_RULE, row.configuration, subject, True, why)
    updated = [
        replace(row, failures=(*row.failures, checks[id(row)].explanation))
        if id(row) in checks
        else row
        for row in rows
    ]
    return list(checks.values()), updated
