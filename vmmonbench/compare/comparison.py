"""Baseline against new results: paired configurations, rows with verdicts, and the gate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from vmmonbench.compare.gate_rules import Check, Rule, default_rules
from vmmonbench.compare.metrics import Verdict
from vmmonbench.compare.rows import (
    ConfigurationPair,
    Row,
    change_text,
    configuration_rows,
    gated_values,
)
from vmmonbench.errors import EXIT_FAILED, EXIT_OK, BadInputError
from vmmonbench.results import Results, RunStatus
from vmmonbench.sample_stats import DEFAULT_ALPHA

# A measured value must move by more than this fraction before it can count as a change.
TIME_THRESHOLD: Final = 0.10
# Workload keys that name or describe a workload without changing what it does.
COSMETIC_WORKLOAD_KEYS: Final = frozenset({"name", "description"})


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
    base_name: str = "baseline",
    new_name: str = "new",
    threshold: float = TIME_THRESHOLD,
    alpha: float = DEFAULT_ALPHA,
) -> Comparison:
    """Compare `new` with `base`: rows per configuration, metric and statement, then the gate.

    No `rules` means `default_rules()`. Results of different workloads or database dialects,
    or of runs that did not complete, raise BadInputError unless `allow_mismatch` (they are
    then listed in `mismatches`). Results with no configuration in common always raise.
    """
    mismatches = incomparabilities(base, new, base_name=base_name, new_name=new_name)
    if mismatches and not allow_mismatch:
        raise BadInputError(
            f"{base_name} and {new_name} are not comparable: {'; '.join(mismatches)} "
            "(compare results of the same workload, or allow the mismatch explicitly)"
        )
    chosen = tuple(rules) if rules else tuple(default_rules())
    notes: list[str] = []
    pairs = _pair_configurations(base, new, notes)
    if not any(pair.verdict is None for pair in pairs):
        raise BadInputError(
            f"{base_name} and {new_name} have no configuration in common: "
            f"{labels(base)} vs {labels(new)}"
        )
    rows = [row for pair in pairs for row in configuration_rows(pair, base, new, threshold, alpha)]
    checks, stale, rows = _apply_rules(chosen, rows, notes, explicit=bool(rules))
    return Comparison(
        base_name=base_name,
        new_name=new_name,
        workload=str(new.workload.get("name") or base.workload.get("name") or "?"),
        configurations=tuple(pairs),
        rows=tuple(rows),
        checks=tuple(checks),
        rules=chosen,
        default_rules=not rules,
        threshold=threshold,
        alpha=alpha,
        mismatches=tuple(mismatches),
        notes=tuple(notes),
        stale=tuple(stale),
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
    return problems


def _dialect(results: Results) -> str | None:
    value = results.environment.get("db_dialect") or results.database.get("dialect")
    return str(value) if value else None


def labels(results: Results) -> str:
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
    rules: Sequence[Rule], rows: list[Row], notes: list[str], *, explicit: bool
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
            values = gated_values(row)
            if check is None or values is None:
                continue
            checks.append(check)
            if check.failed:
                failures.setdefault(index, []).append(check.explanation)
            beaten = row.verdict in {Verdict.IMPROVED, Verdict.GONE}
            if beaten and rule.exceeded(*values, improving=True):
                stale.setdefault(index, change_text(row, *values))
        if explicit and not matched:
            notes.append(f"rule {rule.text!r} matched no row of this comparison")
    updated = [
        replace(row, failures=tuple(failures[index])) if index in failures else row
        for index, row in enumerate(rows)
    ]
    return checks, list(stale.values()), updated
