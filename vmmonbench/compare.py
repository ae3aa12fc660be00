"""Compare two results: rows with verdicts, and the regression gate's checks (data, no output).

Rule grammar (`--fail-if`, repeatable; see `parse_rule`):

    rule  := [ "config[" GLOB "]." ] [ "statement[" GLOB "]." ] METRIC ":" LIMIT
    LIMIT := [ "+" | "-" ] NUMBER [ "%" ]

`+N` fails when the new value exceeds the baseline by more than N (in the metric's unit:
calls, rows, seconds, bytes); `+N%` by more than N percent; `-N` and `-N%` fail on a decrease
beyond N. No sign means `+`, as in pytest-benchmark's `mean:5%`. A GLOB is a shell pattern
(`*`, `?`, `[...]`) matched case-sensitively against configuration or statement labels.

Counts fail on the limit alone. Measured values with raw per-cycle samples (times, bytes) fail
only when the limit is exceeded *and* a two-sided Mann-Whitney U test of the samples gives
p < alpha (0.05); otherwise their row reads "not significant". Statement times (`total_s`,
`mean_s`) have no raw samples and are checked on the limit alone.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fnmatch import fnmatchcase
from statistics import median
from typing import Any, Final

from vmmonbench.errors import EXIT_FAILED, EXIT_OK, BadInputError
from vmmonbench.results import Results, RunResult, RunStatus
from vmmonbench.stats import DEFAULT_ALPHA, Significance, mann_whitney

# A measured value must move by more than this fraction before it can count as a change.
TIME_THRESHOLD: Final = 0.10
# Workload keys that name or describe a workload without changing what it does.
COSMETIC_WORKLOAD_KEYS: Final = frozenset({"name", "description"})

# Reproducible run to run on a deterministic workload (workloads/gate.toml) on any machine.
# Per statistics cycle, not per run: a faster monitor fits more cycles into the same simulated
# time, and its totals grow with them although each cycle does the same work.
COUNT_RULES: Final = (
    "statements_per_stats_cycle:+0",
    "rows_written_per_stats_cycle:+0",
    "rpc_calls_per_stats_cycle:+0",
    "failed_cycles:+0",
    "divergent_vms:+0",
    "statement[*].calls_per_stats_cycle:+0",
    "statement[*].rows_per_stats_cycle:+0",
)
# Only meaningful against a baseline measured on the same machine; noise-aware (see above).
TIME_RULES: Final = (
    "db_time_per_stats_cycle_s:+10%",
    "stats_cycle_s:+10%",
    "db_time_s:+10%",
)
DEFAULT_RULES: Final = COUNT_RULES + TIME_RULES


class Verdict(StrEnum):
    """What happened to one row between the baseline and the new results."""

    REGRESSED = "regressed"
    IMPROVED = "improved"
    NEW = "new"
    GONE = "gone"
    NOT_SIGNIFICANT = "not significant"
    UNCHANGED = "unchanged"


class Unit(StrEnum):
    """What a metric counts; counts are exact, everything else is measured (noisy)."""

    COUNT = "count"
    SECONDS = "seconds"
    BYTES = "bytes"
    FRACTION = "fraction"


class Better(StrEnum):
    """Which direction of change is an improvement."""

    LOWER = "lower"
    HIGHER = "higher"


# metrics --------------------------------------------------------------------------------------
SampleSource = Callable[[RunResult], list[float]]
ValueSource = Callable[[RunResult], float | None]


@dataclass(frozen=True, slots=True)
class Metric:
    """A figure of a configuration: where its value and its raw per-cycle samples come from."""

    name: str
    description: str
    unit: Unit
    value: ValueSource
    samples: SampleSource | None = None
    better: Better = Better.LOWER

    @property
    def exact(self) -> bool:
        """Counts: any change is real. Measured values need the threshold and the test."""
        return self.unit is Unit.COUNT


def _from_summary(name: str) -> ValueSource:
    def value(run: RunResult) -> float | None:
        raw = getattr(run.summary, name)
        return None if raw is None else float(raw)

    return value


def _cycles_of(kind: str) -> ValueSource:
    return lambda run: float(run.summary.cycles.get(kind, 0))


def _per_stats_cycle(name: str) -> ValueSource:
    def value(run: RunResult) -> float | None:
        cycles = run.summary.cycles.get("stats", 0)
        return float(getattr(run.summary, name)) / cycles if cycles else None

    return value


def _divergent(run: RunResult) -> float | None:
    value = run.consistency.get("divergent_vms")
    if value is None or run.consistency.get("checked") is False:
        return None
    return float(value)


def _per_cycle(key: str, kind: str | None = None) -> SampleSource:
    """`key` of every completed cycle of `kind` (every kind when None)."""

    def samples(run: RunResult) -> list[float]:
        return [
            float(cycle[key])
            for cycle in run.cycles
            if (kind is None or cycle.get("kind") == kind)
            and not cycle.get("skipped")
            and not cycle.get("failed")
            and cycle.get(key) is not None
        ]

    return samples


def _stats_periods(run: RunResult) -> list[float]:
    """Gaps between consecutive statistics-cycle starts of each host."""
    starts: dict[Any, list[float]] = {}
    for cycle in run.cycles:
        if cycle.get("kind") == "stats" and not cycle.get("skipped") and not cycle.get("failed"):
            starts.setdefault(cycle.get("host"), []).append(float(cycle["start_s"]))
    return [b - a for host in starts.values() for a, b in itertools.pairwise(sorted(host))]


def _command_waits(run: RunResult) -> list[float]:
    return [float(wait) for wait in run.commands.get("waits_s") or []]


def _metric(
    name: str,
    description: str,
    unit: Unit = Unit.COUNT,
    samples: SampleSource | None = None,
    *,
    value: ValueSource | None = None,
    better: Better = Better.LOWER,
) -> Metric:
    return Metric(name, description, unit, value or _from_summary(name), samples, better)


_S, _BYTES, _FRACTION = Unit.SECONDS, Unit.BYTES, Unit.FRACTION
SUMMARY_METRICS: Final = (
    _metric("statements_per_stats_cycle", "statements per statistics cycle"),
    _metric(
        "db_time_per_stats_cycle_s",
        "DB self time per statistics cycle",
        _S,
        _per_cycle("db_time_s", "stats"),
    ),
    _metric("stats_cycle_s", "statistics cycle duration", _S, _per_cycle("duration_s", "stats")),
    _metric(
        "stats_cycles", "statistics cycles run", value=_cycles_of("stats"), better=Better.HIGHER
    ),
    _metric("effective_stats_period_s", "delay + processing per stats cycle", _S, _stats_periods),
    _metric("statements", "statements executed"),
    _metric("db_time_s", "DB self time, whole run", _S, _per_cycle("db_time_s")),
    _metric("rows_written", "rows written"),
    _metric("rows_written_per_stats_cycle", "rows written per statistics cycle"),
    _metric("rpc_calls", "RPC calls to the hosts"),
    _metric(
        "rpc_calls_per_stats_cycle",
        "RPC calls per statistics cycle run",
        value=_per_stats_cycle("rpc_calls"),
    ),
    # measured, not counted: reports carry the fake host's clock, so sizes wobble by a few bytes
    _metric("rpc_bytes", "RPC bytes received", _BYTES, _per_cycle("rpc_bytes")),
    _metric("busy_s", "monitoring busy time", _S, _per_cycle("duration_s")),
    _metric("utilization", "monitoring utilization", _FRACTION, _per_cycle("duration_s")),
    _metric("list_cycles", "list (polling) cycles run", value=_cycles_of("list")),
    _metric("event_cycles", "status events processed", value=_cycles_of("event")),
    _metric("events_received", "status events received"),
    _metric("vms_skipped", "VMs skipped (locked by a command)"),
    _metric("cycles_skipped", "cycles skipped (host locked)"),
    _metric("failed_cycles", "cycles failed"),
    _metric("vms_lost", "VMs lost"),
    _metric("command_wait_p99_s", "command lock wait, p99", _S, _command_waits),
    _metric("divergent_vms", "VMs diverging from the host's truth", value=_divergent),
)
# Keys of a `statements` entry (the profiler keeps summaries, no raw samples), and the counts
# divided by the statistics cycles run: all of a statement's calls, whichever activity made them.
STATEMENT_METRICS: Final = {
    "calls": Unit.COUNT,
    "calls_per_stats_cycle": Unit.COUNT,
    "rows": Unit.COUNT,
    "rows_per_stats_cycle": Unit.COUNT,
    "total_s": Unit.SECONDS,
    "mean_s": Unit.SECONDS,
}
_PER_STATS_CYCLE_SUFFIX: Final = "_per_stats_cycle"
_SUMMARY_BY_NAME: Final = {metric.name: metric for metric in SUMMARY_METRICS}


# rows -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Row:
    """One metric of one configuration (or of one statement in it), baseline beside new."""

    configuration: str
    metric: str
    unit: Unit
    baseline: float | None
    new: float | None
    verdict: Verdict
    explanation: str
    better: Better = Better.LOWER
    sampled: bool = False  # the metric has raw per-cycle samples for a significance test
    statement: str | None = None
    sql: str | None = None
    significance: Significance | None = None
    failures: tuple[str, ...] = ()

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
        return _ratio(self.baseline, self.new)

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


# rules and checks -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Check:
    """One rule applied to one row: failed or not, and why, in one line."""

    rule: str
    configuration: str
    subject: str
    failed: bool
    explanation: str

    def __str__(self) -> str:
        return self.explanation


_RULE = re.compile(
    r"""^\s*
    (?:config\[(?P<config>[^\]]+)\]\.)?
    (?:statement\[(?P<statement>[^\]]+)\]\.)?
    (?P<metric>[A-Za-z_][A-Za-z0-9_]*)
    \s*:\s*
    (?P<sign>[+-])?(?P<number>\d+(?:\.\d*)?|\.\d+)(?P<percent>%)?
    \s*$""",
    re.VERBOSE,
)
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed `--fail-if` rule: the rows it covers and the change it tolerates."""

    text: str
    metric: str
    limit: float
    percent: bool
    increase: bool  # True: fail on a rise beyond the limit; False: on a fall beyond it
    statement: str | None = None  # glob over statement labels; None: a configuration metric
    configuration: str | None = None  # glob over configuration labels; None: every one

    @property
    def limit_text(self) -> str:
        """`+10%`, `-5%`, `+0`."""
        sign = "+" if self.increase else "-"
        return f"{sign}{self.limit:g}{'%' if self.percent else ''}"

    def applies_to(self, row: Row) -> bool:
        """Whether this rule covers `row` (its metric, configuration and statement)."""
        if row.metric != self.metric or (row.statement is None) != (self.statement is None):
            return False
        if self.configuration and not fnmatchcase(row.configuration, self.configuration):
            return False
        return self.statement is None or fnmatchcase(row.statement or "", self.statement)

    def exceeded(self, base: float, new: float, *, improving: bool = False) -> bool:
        """Whether `base` -> `new` goes beyond the limit (in the other direction if `improving`)."""
        amount = _ratio(base, new) * 100.0 if self.percent else new - base
        tolerance = _EPSILON * max(1.0, abs(base), abs(new))
        if self.increase != improving:
            return amount > self.limit + tolerance
        return amount < -self.limit - tolerance

    def check(self, row: Row) -> Check | None:
        """Apply the rule to a row it covers; None when the row has nothing to compare."""
        values = _gated_values(row)
        if values is None:
            return None
        change = _change_text(row, *values)
        verb = "exceeds" if self.increase else "drops beyond"
        failed, why = False, f"{change} within {self.limit_text}"
        if self.exceeded(*values):
            failed, why = True, f"{change} {verb} {self.limit_text}"
            if row.sampled and row.significance is None:
                failed, why = False, f"{why} but too few raw samples to test significance"
            elif row.sampled and row.significance is not None:
                stats = row.significance.describe()
                failed = row.significance.significant
                why += f" (significant: {stats})" if failed else f" but not significantly ({stats})"
        return Check(self.text, row.configuration, row.subject, failed, why)


def parse_rule(text: str) -> Rule:
    """Parse one `--fail-if` rule (grammar in the module docstring); BadInputError if bad."""
    match = _RULE.match(text)
    if match is None:
        raise BadInputError(
            f"bad rule {text!r}: expected METRIC:+N or METRIC:+N% (e.g. db_time_s:+10%, "
            "statement[UpdateVmDynamic].calls:+0, config[*4.1].statements:+0)"
        )
    metric, statement, configuration = match["metric"], match["statement"], match["config"]
    if statement is not None and metric not in STATEMENT_METRICS:
        raise BadInputError(
            f"bad rule {text!r}: unknown statement metric {metric!r}; "
            f"known: {', '.join(STATEMENT_METRICS)}"
        )
    if statement is None and metric not in _SUMMARY_BY_NAME:
        hint = " (per statement: statement[LABEL].METRIC)" if metric in STATEMENT_METRICS else ""
        raise BadInputError(
            f"bad rule {text!r}: unknown metric {metric!r}{hint}; "
            f"known: {', '.join(_SUMMARY_BY_NAME)}"
        )
    return Rule(
        text=text.strip(),
        metric=metric,
        limit=float(match["number"]),
        percent=match["percent"] is not None,
        increase=match["sign"] != "-",
        statement=statement.strip() if statement is not None else None,
        configuration=configuration.strip() if configuration is not None else None,
    )


def parse_rules(texts: Iterable[str]) -> list[Rule]:
    """Parse every rule; the first bad one raises BadInputError."""
    return [parse_rule(text) for text in texts]


def default_rules(*, times: bool = True) -> list[Rule]:
    """The gate when no rule is given: counts on any increase, times on +10 % and significant.

    `times=False` keeps the count rules only, for a baseline recorded on another machine (CI),
    where times say nothing about the code.
    """
    return parse_rules(DEFAULT_RULES if times else COUNT_RULES)


# the comparison -------------------------------------------------------------------------------
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
            f"{_labels(base)} vs {_labels(new)}"
        )
    rows = [row for pair in pairs for row in _configuration_rows(pair, base, new, threshold, alpha)]
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


def _labels(results: Results) -> str:
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


def _configuration_rows(
    pair: ConfigurationPair, base: Results, new: Results, threshold: float, alpha: float
) -> list[Row]:
    old = base.run(pair.base) if pair.base is not None else None
    now = new.run(pair.new) if pair.new is not None else None
    if old is None or now is None:
        where = "new results" if pair.verdict is Verdict.NEW else "baseline"
        verdict = pair.verdict or Verdict.NEW
        explanation = f"configuration only in the {where}"
        return [Row(pair.label, "configuration", Unit.COUNT, None, None, verdict, explanation)]
    rows: list[Row] = []
    for metric in SUMMARY_METRICS:
        before, after = metric.value(old), metric.value(now)
        if before is None and after is None:
            continue
        significance = None
        if metric.samples is not None:
            significance = mann_whitney(metric.samples(old), metric.samples(now), alpha=alpha)
        sampled = metric.samples is not None
        verdict, why = _verdict(
            metric.better, metric.exact, sampled, before, after, significance, threshold
        )
        rows.append(
            Row(
                pair.label,
                metric.name,
                metric.unit,
                before,
                after,
                verdict,
                why,
                better=metric.better,
                sampled=sampled,
                significance=significance,
            )
        )
    return rows + _statement_rows(pair.label, old, now, threshold)


def _verdict(
    better: Better,
    exact: bool,
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
    change = _percent_text(base, new)
    if exact:
        if _same(base, new):
            return Verdict.UNCHANGED, "identical"
        return direction, f"{change} ({'worse' if worse else 'better'})"
    if abs(_ratio(base, new)) <= threshold:
        return Verdict.UNCHANGED, f"{change}, within ±{threshold * 100:g}%"
    if significance is None:
        why = "too few raw samples" if sampled else "no raw samples"
        return Verdict.NOT_SIGNIFICANT, f"{change} but {why} to test significance"
    if not significance.significant:
        return Verdict.NOT_SIGNIFICANT, f"{change} but not significant ({significance.describe()})"
    return direction, f"{change}, significant ({significance.describe()})"


StatementKey = tuple[str, str]  # (label, normalized SQL)


def _statement_rows(label: str, old: RunResult, now: RunResult, threshold: float) -> list[Row]:
    before_all, after_all = _statements_by_key(old), _statements_by_key(now)
    renamed = _sql_changes(before_all, after_all)
    pairs: list[tuple[StatementKey | None, StatementKey | None]] = [
        (renamed.get(key, key if key in before_all else None), key) for key in after_all
    ]
    taken = set(renamed.values())
    pairs += [(key, None) for key in before_all if key not in after_all and key not in taken]

    def entries(pair: tuple[StatementKey | None, StatementKey | None]) -> tuple[Any, Any]:
        return (
            before_all.get(pair[0]) if pair[0] is not None else None,
            after_all.get(pair[1]) if pair[1] is not None else None,
        )

    def weight(pair: tuple[StatementKey | None, StatementKey | None]) -> float:
        return max(float((entry or {}).get("total_s") or 0.0) for entry in entries(pair))

    rows: list[Row] = []
    for pair in sorted(pairs, key=weight, reverse=True):
        before, after = entries(pair)
        key = pair[1] or pair[0]
        assert key is not None
        sql_changed = pair[0] is not None and pair[1] is not None and pair[0] != pair[1]
        for metric, unit in STATEMENT_METRICS.items():
            base = _statement_value(before, metric, old.summary.cycles.get("stats", 0))
            new = _statement_value(after, metric, now.summary.cycles.get("stats", 0))
            verdict, why = _verdict(
                Better.LOWER, unit is Unit.COUNT, False, base, new, None, threshold
            )
            if sql_changed:
                why += "; SQL text changed"
            rows.append(
                Row(label, metric, unit, base, new, verdict, why, statement=key[0], sql=key[1])
            )
    return rows


def _statements_by_key(run: RunResult) -> dict[StatementKey, dict[str, Any]]:
    """Statements by (label, normalized SQL); duplicates, should there be any, merged."""
    merged: dict[StatementKey, dict[str, Any]] = {}
    for entry in run.statements:
        key = (str(entry.get("label", "")), str(entry.get("sql", "")))
        if key not in merged:
            merged[key] = dict(entry)
            continue
        into = merged[key]
        for name in ("calls", "rows", "total_s"):
            into[name] = (into.get(name) or 0) + (entry.get(name) or 0)
        into["mean_s"] = into["total_s"] / into["calls"] if into.get("calls") else 0.0
    return merged


def _sql_changes(
    before: Mapping[StatementKey, Any], after: Mapping[StatementKey, Any]
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


def _statement_value(entry: Mapping[str, Any] | None, name: str, stats_cycles: int) -> float | None:
    key = name.removesuffix(_PER_STATS_CYCLE_SUFFIX)
    value = entry.get(key) if entry is not None else None
    if value is None:
        return None
    if key == name:
        return float(value)
    return float(value) / stats_cycles if stats_cycles else None


def _gated_values(row: Row) -> tuple[float, float] | None:
    """The values a rule compares: a statement absent on one side ran zero calls and rows."""
    base, new = row.baseline, row.new
    if row.statement is not None and row.exact:
        base, new = base or 0.0, new or 0.0
    if base is None or new is None:
        return None
    return base, new


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
            values = _gated_values(row)
            if check is None or values is None:
                continue
            checks.append(check)
            if check.failed:
                failures.setdefault(index, []).append(check.explanation)
            beaten = row.verdict in {Verdict.IMPROVED, Verdict.GONE}
            if beaten and rule.exceeded(*values, improving=True):
                stale.setdefault(index, _change_text(row, *values))
        if explicit and not matched:
            notes.append(f"rule {rule.text!r} matched no row of this comparison")
    updated = [
        replace(row, failures=tuple(failures[index])) if index in failures else row
        for index, row in enumerate(rows)
    ]
    return checks, list(stale.values()), updated


# within one run -------------------------------------------------------------------------------
def speedup_check(
    results: Results,
    *,
    slower: str,
    faster: str,
    at_least: float,
    metric: str = "db_time_per_stats_cycle_s",
    alpha: float = DEFAULT_ALPHA,
) -> Check:
    """Within one results file: configuration `faster` must beat `slower` `at_least` times.

    Noise-aware like the gate: the ratio of the medians of the raw samples is the measure, and
    the check fails only when it falls short *and* a Mann-Whitney U test says the shortfall is
    real (`slower`'s samples significantly below `at_least` x `faster`'s). With too few samples
    to test, the ratio alone decides.
    """
    chosen = _SUMMARY_BY_NAME.get(metric)
    if chosen is None or chosen.samples is None:
        known = ", ".join(m.name for m in SUMMARY_METRICS if m.samples is not None)
        raise BadInputError(f"speedup metric {metric!r} has no raw samples; use one of: {known}")
    if at_least <= 0:
        raise BadInputError(f"the expected speedup must be positive, got {at_least:g}")
    samples: list[list[float]] = []
    for label in (slower, faster):
        run = results.run(label)
        if run is None:
            raise BadInputError(f"no configuration {label!r} in the results: {_labels(results)}")
        samples.append(chosen.samples(run))
    slow, fast = samples
    if not slow or not fast:
        raise BadInputError(f"no {metric} samples in {slower} or {faster}")
    slow_median, fast_median = median(slow), median(fast)
    ratio = slow_median / fast_median if fast_median > 0 else math.inf
    rule = f"{faster} at least {at_least:g}x better than {slower} in {metric}"
    line = (
        f"{faster} vs {slower}: {metric} median {_show(chosen.unit, fast_median)} vs "
        f"{_show(chosen.unit, slow_median)}, {ratio:.2f}x better"
    )
    if ratio >= at_least:
        return Check(rule, faster, metric, False, f"{line} (at least {at_least:g}x expected)")
    significance = mann_whitney(slow, [at_least * value for value in fast], alpha=alpha)
    if significance is not None and significance.conclusive and not significance.significant:
        why = f"{line}: below {at_least:g}x, not significantly ({significance.describe()})"
        return Check(rule, faster, metric, False, why)
    tested = f" ({significance.describe()})" if significance is not None else ""
    return Check(rule, faster, metric, True, f"{line}: less than {at_least:g}x{tested}")


# one-line texts -------------------------------------------------------------------------------
def _ratio(base: float, new: float) -> float:
    if _same(base, new):
        return 0.0
    if base == 0:
        return math.copysign(math.inf, new)
    return (new - base) / abs(base)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_EPSILON, abs_tol=1e-12)


def _percent_text(base: float, new: float) -> str:
    """`+100%`, `-2.5%`, `+0%`, or `from 0`."""
    ratio = _ratio(base, new)
    if math.isinf(ratio):
        return "from 0"
    percent = ratio * 100
    text = f"{percent:+.1f}" if abs(percent) < 10 else f"{percent:+.0f}"
    return f"{text.removesuffix('.0')}%"


def _change_text(row: Row, base: float, new: float) -> str:
    """`per-vm-lock+event-plus-stats+4.1: UpdateVmDynamic calls 6000 -> 12000 (+100%)`."""
    return (
        f"{row.configuration}: {row.subject} {_show(row.unit, base)} -> {_show(row.unit, new)} "
        f"({_percent_text(base, new)})"
    )


def _show(unit: Unit, value: float) -> str:
    if unit is Unit.SECONDS:
        magnitude = abs(value)
        if magnitude == 0 or magnitude >= 1:
            return f"{value:.3g} s"
        if magnitude >= 1e-3:
            return f"{value * 1e3:.3g} ms"
        return f"{value * 1e6:.3g} µs"
    if unit is Unit.FRACTION:
        return f"{value * 100:.3g}%"
    if unit is Unit.BYTES:
        return f"{value:.0f} B"
    return f"{value:.2f}".rstrip("0").rstrip(".")
