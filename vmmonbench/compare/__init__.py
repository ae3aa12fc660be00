"""Compare two results: rows with verdicts, and the regression gate's checks (data, no output).

Rule grammar (`--fail-if`, repeatable; see `parse_rule`):

    rule  := [ "config[" GLOB "]." ] [ "statement[" GLOB "]." ] METRIC ":" LIMIT
    LIMIT := [ "+" | "-" ] NUMBER [ "%" ]

`+N` fails when the new value exceeds the baseline by more than N (in the metric's unit:
calls, rows, seconds, bytes); `+N%` by more than N percent; `-N` and `-N%` fail on a decrease
beyond N. No sign means `+`, as in pytest-benchmark's `mean:5%`. A GLOB is a shell pattern
(`*`, `?`, `[...]`) matched case-sensitively against configuration or statement labels.

Counts fail on the limit alone, and so do DB work figures (`work`, `work_per_stats_cycle`:
shared blocks the server accessed, from pg_stat_statements; nearly exact, so a limit such as
`+5%` leaves room for their small wobble). Measured values with raw per-cycle samples
(times, bytes) fail only when the limit is exceeded *and* a two-sided Mann-Whitney U test of
the samples gives p < alpha (0.05); otherwise their row reads "not significant". Statement
times (`total_s`, `mean_s`) have no raw samples and are checked on the limit alone.

A value the baseline has and the new results lack fails, and so does every configuration or
statement of the baseline gone from the new results (unless gone ones are allowed): lost
results are never an improvement. A given rule that matches nothing is bad input.
"""

from vmmonbench.compare.comparison import (
    COSMETIC_WORKLOAD_KEYS,
    PRESENCE_RULE,
    TIME_THRESHOLD,
    Comparison,
    compare,
    exit_code,
    incomparabilities,
)
from vmmonbench.compare.gate_rules import (
    COUNT_RULES,
    DEFAULT_RULES,
    MACHINE_INDEPENDENT_RULES,
    TIME_RULES,
    WORK_RULES,
    Check,
    Rule,
    default_rules,
    parse_rule,
    parse_rules,
)
from vmmonbench.compare.rows import CONFIGURATION_ROW, ConfigurationPair, Row, Verdict
from vmmonbench.compare.speedup import speedup_check

__all__ = [
    "CONFIGURATION_ROW",
    "COSMETIC_WORKLOAD_KEYS",
    "COUNT_RULES",
    "DEFAULT_RULES",
    "MACHINE_INDEPENDENT_RULES",
    "PRESENCE_RULE",
    "TIME_RULES",
    "TIME_THRESHOLD",
    "WORK_RULES",
    "Check",
    "Comparison",
    "ConfigurationPair",
    "Row",
    "Rule",
    "Verdict",
    "compare",
    "default_rules",
    "exit_code",
    "incomparabilities",
    "parse_rule",
    "parse_rules",
    "speedup_check",
]
