"""The gate's rules: a tiny parser of `--fail-if` texts into checks that explain themselves."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Final

from vmmonbench import units
from vmmonbench.compare.rows import Row, change_text, gated_values
from vmmonbench.compare.text import EPSILON, ratio
from vmmonbench.errors import BadInputError
from vmmonbench.figures import BY_NAME, STATEMENT_BY_NAME

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
# The server's own count of the pages statements touched (PostgreSQL): machine-independent,
# and steady within a fraction of a percent run to run, under load too (README, "Gate DB
# work"); the limits leave room for that wobble and catch a lookup that turns into a scan.
WORK_RULES: Final = (
    "work_per_stats_cycle:+2%",
    "statement[*].work_per_stats_cycle:+5%",
)
MACHINE_INDEPENDENT_RULES: Final = COUNT_RULES + WORK_RULES
# Only meaningful against a baseline measured on the same machine; noise-aware (see above).
TIME_RULES: Final = (
    "db_time_per_stats_cycle_s:+10%",
    "stats_cycle_s:+10%",
    "db_time_s:+10%",
)
DEFAULT_RULES: Final = COUNT_RULES + WORK_RULES + TIME_RULES


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
        amount = ratio(base, new) * 100.0 if self.percent else new - base
        tolerance = EPSILON * max(1.0, abs(base), abs(new))
        if self.increase != improving:
            return amount > self.limit + tolerance
        return amount < -self.limit - tolerance

    def check(self, row: Row) -> Check | None:
        """Apply the rule to a row it covers; None when the baseline has nothing to compare.

        A value the baseline has and the new results lack fails: a figure that could not be
        measured any more is never an improvement.
        """
        values = gated_values(row)
        if values is None:
            if row.baseline is None:
                return None
            was = units.text(row.unit, row.baseline)
            why = f"{row.configuration}: {row.subject} {was} -> missing in the new results"
            return Check(self.text, row.configuration, row.subject, True, why)
        change = change_text(row, *values)
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
    if statement is not None and metric not in STATEMENT_BY_NAME:
        raise BadInputError(
            f"bad rule {text!r}: unknown statement metric {metric!r}; "
            f"known: {', '.join(STATEMENT_BY_NAME)}"
        )
    if statement is None and metric not in BY_NAME:
        hint = " (per statement: statement[LABEL].METRIC)" if metric in STATEMENT_BY_NAME else ""
        raise BadInputError(
            f"bad rule {text!r}: unknown metric {metric!r}{hint}; known: {', '.join(BY_NAME)}"
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


def default_rules(*, times: bool = True, work: bool = True) -> list[Rule]:
    """The gate when no rule is given: counts on any increase, DB work on +2 % per
    configuration and +5 % per statement, times on +10 % and significant.

    `times=False` leaves the time rules out, for a baseline recorded on another machine (CI),
    where times say nothing about the code; `work=False` leaves the DB work rules out.
    """
    return parse_rules(COUNT_RULES + (WORK_RULES if work else ()) + (TIME_RULES if times else ()))
