"""The `--fail-if` rule parser: every form, and bad rules as one-line BadInputErrors."""

from __future__ import annotations

import re

import pytest

from vmmonbench.compare import (
    COUNT_RULES,
    DEFAULT_RULES,
    MACHINE_INDEPENDENT_RULES,
    TIME_RULES,
    WORK_RULES,
    Row,
    Rule,
    Verdict,
    default_rules,
    parse_rule,
    parse_rules,
)
from vmmonbench.errors import EXIT_BAD_INPUT, BadInputError
from vmmonbench.units import Unit


def _row(base: float | None, new: float | None, **fields: object) -> Row:
    values: dict[str, object] = {
        "configuration": "per-vm-lock+event-plus-stats+4.1",
        "metric": "statements_per_stats_cycle",
        "unit": Unit.COUNT,
        "baseline": base,
        "new": new,
        "verdict": Verdict.REGRESSED,
        "explanation": "",
    }
    values.update(fields)
    return Row(**values)  # type: ignore[arg-type]


def test_absolute_increase() -> None:
    rule = parse_rule("statements_per_stats_cycle:+0")
    assert rule == Rule(
        text="statements_per_stats_cycle:+0",
        metric="statements_per_stats_cycle",
        limit=0.0,
        percent=False,
        increase=True,
    )
    assert rule.exceeded(100, 101)
    assert not rule.exceeded(100, 100)
    assert not rule.exceeded(100, 90)
    assert rule.limit_text == "+0"


def test_percent_increase() -> None:
    rule = parse_rule("db_time_s:+10%")
    assert (rule.metric, rule.limit, rule.percent, rule.increase) == ("db_time_s", 10.0, True, True)
    assert not rule.exceeded(1.0, 1.1)  # exactly +10 % is within
    assert rule.exceeded(1.0, 1.1001)
    assert rule.limit_text == "+10%"


def test_fractional_percent() -> None:
    rule = parse_rule("rows_written:+2.5%")
    assert rule.limit == 2.5
    assert not rule.exceeded(1000, 1025)
    assert rule.exceeded(1000, 1026)
    assert rule.limit_text == "+2.5%"


def test_decrease_rule_fails_on_a_fall_only() -> None:
    rule = parse_rule("stats_cycles:-5%")
    assert not rule.increase
    assert rule.exceeded(100, 94)
    assert not rule.exceeded(100, 95)
    assert not rule.exceeded(100, 200)
    assert rule.limit_text == "-5%"
    absolute = parse_rule("stats_cycles:-2")
    assert absolute.exceeded(10, 7)
    assert not absolute.exceeded(10, 8)


def test_unsigned_limit_means_increase_as_in_pytest_benchmark() -> None:
    rule = parse_rule("db_time_s:5%")
    assert (rule.limit, rule.percent, rule.increase) == (5.0, True, True)


def test_percent_from_zero_is_an_infinite_increase() -> None:
    rule = parse_rule("rows_written:+50%")
    assert rule.exceeded(0, 1)
    assert not rule.exceeded(0, 0)


def test_statement_form() -> None:
    rule = parse_rule("statement[UpdateVmDynamic].calls:+0")
    assert (rule.statement, rule.metric, rule.configuration) == ("UpdateVmDynamic", "calls", None)
    row = _row(6000, 12000, metric="calls", statement="UpdateVmDynamic")
    assert rule.applies_to(row)
    assert not rule.applies_to(_row(1, 2, metric="calls", statement="UpdateVmStatistics"))
    assert not rule.applies_to(_row(1, 2, metric="calls"))
    check = rule.check(row)
    assert check is not None
    assert check.failed
    assert check.explanation == (
        "per-vm-lock+event-plus-stats+4.1: UpdateVmDynamic calls 6,000 -> 12,000 (+100%) exceeds +0"
    )


def test_statement_glob_and_labels_with_spaces() -> None:
    rule = parse_rule("statement[Get*].rows:+0")
    assert rule.applies_to(_row(1, 2, metric="rows", statement="GetVmsRunningOnVds"))
    assert not rule.applies_to(_row(1, 2, metric="rows", statement="UpdateVmDynamic"))
    spaced = parse_rule("statement[select 1].calls:+0")
    assert spaced.applies_to(_row(1, 2, metric="calls", statement="select 1"))


def test_configuration_selector() -> None:
    rule = parse_rule("config[*+4.1].statement[*].calls:+0")
    assert rule.configuration == "*+4.1"
    assert rule.applies_to(_row(1, 2, metric="calls", statement="X"))
    legacy = _row(1, 2, metric="calls", statement="X", configuration="host-lock+polling-only+3.6")
    assert not rule.applies_to(legacy)
    summary = parse_rule("config[host-lock+*].db_time_s:+10%")
    assert summary.applies_to(_row(1, 2, metric="db_time_s", configuration="host-lock+x+3.6"))


def test_whitespace_around_the_colon_is_accepted() -> None:
    assert parse_rule("  db_time_s : +10% ").metric == "db_time_s"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("db_time_s", "expected METRIC:+N"),
        ("db_time_s:", "expected METRIC:+N"),
        ("db_time_s:+", "expected METRIC:+N"),
        ("db_time_s:ten%", "expected METRIC:+N"),
        ("db_time_s:+-5", "expected METRIC:+N"),
        ("db_time_s:+5%%", "expected METRIC:+N"),
        (":+5", "expected METRIC:+N"),
        ("statement[].calls:+0", "expected METRIC:+N"),
        ("", "expected METRIC:+N"),
        ("no_such_metric:+0", "unknown metric 'no_such_metric'"),
        ("calls:+0", "per statement: statement[LABEL].METRIC"),
        ("statement[UpdateVmDynamic].db_time_s:+0", "unknown statement metric 'db_time_s'"),
    ],
)
def test_bad_rules_are_one_line_bad_input(text: str, fragment: str) -> None:
    with pytest.raises(BadInputError) as caught:
        parse_rule(text)
    assert fragment in caught.value.message
    assert "\n" not in caught.value.message
    assert caught.value.exit_code == EXIT_BAD_INPUT


def test_unknown_metric_lists_the_known_ones() -> None:
    with pytest.raises(BadInputError, match="known: stats_cycles, effective_stats_period_s, "):
        parse_rule("db_time:+10%")


def test_parse_rules_stops_at_the_first_bad_rule() -> None:
    with pytest.raises(BadInputError, match=re.escape("'bogus:+1'")):
        parse_rules(["db_time_s:+10%", "bogus:+1", "also bad"])


def test_default_rules_parse_and_counts_only_drops_the_times() -> None:
    assert [r.text for r in default_rules()] == list(DEFAULT_RULES)
    counts = default_rules(times=False, work=False)
    assert [r.text for r in counts] == list(COUNT_RULES)
    assert all(not r.percent and r.limit == 0 and r.increase for r in counts)


def test_machine_independent_rules_are_counts_and_work_without_times() -> None:
    rules = [r.text for r in default_rules(times=False)]
    assert rules == list(MACHINE_INDEPENDENT_RULES)
    assert rules == [*COUNT_RULES, *WORK_RULES]
    assert not set(rules) & set(TIME_RULES)
    work = parse_rule("statement[GetVmNetworkInterfaceViewByVmId].work:+5%")
    assert (work.metric, work.statement, work.limit, work.percent) == (
        "work",
        "GetVmNetworkInterfaceViewByVmId",
        5.0,
        True,
    )
    per_cycle = parse_rule("config[*4.1].work_per_stats_cycle:+2%")
    assert (per_cycle.configuration, per_cycle.statement) == ("*4.1", None)
