"""Noise-aware time verdicts: Mann-Whitney U over the raw per-cycle samples (sample_stats)."""

from __future__ import annotations

import numpy as np
import pytest

from vmmonbench.compare import Comparison, Row, Verdict, compare, exit_code, parse_rules
from vmmonbench.errors import EXIT_FAILED, EXIT_OK
from vmmonbench.sample_stats import Significance, mann_whitney, smallest_p_value

from .conftest import LEGACY, synthetic

RULE = parse_rules(["db_time_per_stats_cycle_s:+10%"])
METRIC = "db_time_per_stats_cycle_s"

# Two draws from the same noisy distribution whose means still differ by more than 10 %.
SAME_BASE = [10.0, 14.0, 6.0, 12.0, 8.0, 11.0, 9.0, 13.0]
SAME_NEW = [6.0, 16.0, 7.0, 15.0, 8.0, 14.0, 9.0, 20.0]


def _row_of(base: list[float], new: list[float]) -> tuple[Comparison, Row]:
    comparison = compare(synthetic({LEGACY: base}), synthetic({LEGACY: new}), RULE)
    row = next(r for r in comparison.rows if r.metric == METRIC)
    return comparison, row


def test_same_distribution_with_means_10_percent_apart_is_not_significant() -> None:
    assert np.mean(SAME_NEW) / np.mean(SAME_BASE) > 1.10
    comparison, row = _row_of(SAME_BASE, SAME_NEW)
    assert row.verdict is Verdict.NOT_SIGNIFICANT
    assert row.significance is not None
    assert row.significance.p_value > 0.5
    assert exit_code(comparison) == EXIT_OK
    (check,) = comparison.checks
    assert not check.failed
    assert "exceeds +10% but not significantly (p=0.64, n=8/8)" in check.explanation


def test_a_shifted_distribution_is_a_significant_regression() -> None:
    shifted = [1.5 * value for value in SAME_BASE]
    comparison, row = _row_of(SAME_BASE, shifted)
    assert row.verdict is Verdict.REGRESSED
    assert row.significance is not None
    assert row.significance.significant
    assert exit_code(comparison) == EXIT_FAILED
    (failure,) = comparison.failures
    assert failure.explanation == (
        f"{LEGACY}: db_time_per_stats_cycle_s 10.4 s -> 15.6 s (+50%) exceeds +10% "
        "(significant: p=0.018, n=8/8)"
    )


def test_a_significant_change_within_the_threshold_is_unchanged() -> None:
    comparison, row = _row_of(SAME_BASE, [v * 1.05 for v in SAME_BASE])
    assert row.verdict is Verdict.UNCHANGED
    assert exit_code(comparison) == EXIT_OK


def test_a_shifted_improvement_is_significant_and_hints_at_a_stale_baseline() -> None:
    comparison, row = _row_of(SAME_BASE, [v / 2 for v in SAME_BASE])
    assert row.verdict is Verdict.IMPROVED
    assert exit_code(comparison) == EXIT_OK
    assert comparison.stale_hint is not None


def test_too_few_cycles_can_never_be_significant() -> None:
    # three cycles a side: the most extreme ordering has p = 0.1, so a 3x slowdown cannot fail
    comparison, row = _row_of([1.0, 1.1, 1.2], [3.0, 3.3, 3.6])
    assert row.verdict is Verdict.NOT_SIGNIFICANT
    assert "too few samples to reach p<0.05" in row.explanation
    assert exit_code(comparison) == EXIT_OK


def test_one_cycle_a_side_has_no_test_at_all() -> None:
    comparison, row = _row_of([1.0], [3.0])
    assert row.significance is None
    assert row.verdict is Verdict.NOT_SIGNIFICANT
    assert "too few raw samples" in row.explanation
    assert exit_code(comparison) == EXIT_OK


def test_false_alarms_stay_near_alpha_and_real_shifts_are_found() -> None:
    # 200 seeded pairs of 12 lognormal cycle times: same distribution vs twice as slow
    rng = np.random.default_rng(20161)

    def significant(factor: float) -> int:
        found = 0
        for _ in range(200):
            base = rng.lognormal(mean=-4.0, sigma=0.4, size=12)
            new = factor * rng.lognormal(mean=-4.0, sigma=0.4, size=12)
            result = mann_whitney(base, new)
            assert result is not None
            found += result.significant
        return found

    assert significant(1.0) <= 20  # about alpha = 5 % false alarms
    assert significant(2.0) >= 180


def test_mann_whitney_edge_cases() -> None:
    assert mann_whitney([1.0], [1.0, 2.0]) is None
    identical = mann_whitney([2.0, 2.0, 2.0], [2.0, 2.0, 2.0])
    assert identical == Significance(p_value=1.0, alpha=0.05, n_base=3, n_new=3)
    separated = mann_whitney([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0])
    assert separated is not None
    assert separated.p_value == pytest.approx(2 / 70)
    assert separated.significant
    assert separated.conclusive
    assert separated.describe() == "p=0.029, n=4/4"


@pytest.mark.parametrize(
    ("n_base", "n_new", "expected"),
    [(3, 3, 0.1), (4, 4, 2 / 70), (6, 6, 2 / 924), (1, 1, 1.0), (0, 5, 1.0)],
)
def test_smallest_p_value(n_base: int, n_new: int, expected: float) -> None:
    assert smallest_p_value(n_base, n_new) == pytest.approx(expected)
