"""speedup_check: the within-run time gate (4.1 versus 3.6 in the same results file)."""

from __future__ import annotations

import pytest

from vmmonbench.compare import speedup_check
from vmmonbench.errors import BadInputError

from .conftest import LEGACY, OPTIMIZED, synthetic

LEGACY_TIMES = [10.0, 11.0, 12.0, 10.5, 11.5, 12.5]


def test_a_clear_speedup_passes() -> None:
    results = synthetic({LEGACY: LEGACY_TIMES, OPTIMIZED: [3.0, 3.2, 2.9, 3.1, 3.3, 3.0]})
    check = speedup_check(results, slower=LEGACY, faster=OPTIMIZED, at_least=1.5)
    assert not check.failed
    assert check.explanation.startswith(f"{OPTIMIZED} vs {LEGACY}: db_time_per_stats_cycle_s")
    assert "3.69x better (at least 1.5x expected)" in check.explanation


def test_a_lost_speedup_fails_when_the_shortfall_is_significant() -> None:
    results = synthetic({LEGACY: LEGACY_TIMES, OPTIMIZED: [9.0, 10.0, 11.0, 9.5, 10.5, 11.5]})
    check = speedup_check(results, slower=LEGACY, faster=OPTIMIZED, at_least=1.5)
    assert check.failed
    assert "1.10x better: less than 1.5x (p=0.0022, n=6/6)" in check.explanation


def test_a_noisy_shortfall_that_is_not_significant_passes() -> None:
    noisy = [4.0, 12.0, 5.0, 11.0, 6.0, 13.0]
    results = synthetic({LEGACY: LEGACY_TIMES, OPTIMIZED: noisy})
    check = speedup_check(results, slower=LEGACY, faster=OPTIMIZED, at_least=1.5)
    assert not check.failed
    assert "below 1.5x, not significantly" in check.explanation


def test_too_few_samples_fall_back_to_the_ratio() -> None:
    results = synthetic({LEGACY: [10.0, 10.0], OPTIMIZED: [9.0, 9.0]})
    assert speedup_check(results, slower=LEGACY, faster=OPTIMIZED, at_least=1.5).failed


def test_bad_input() -> None:
    results = synthetic({LEGACY: LEGACY_TIMES, OPTIMIZED: LEGACY_TIMES})
    with pytest.raises(BadInputError, match="no configuration 'nope'"):
        speedup_check(results, slower="nope", faster=OPTIMIZED, at_least=2)
    with pytest.raises(BadInputError, match="has no raw samples"):
        speedup_check(results, slower=LEGACY, faster=OPTIMIZED, at_least=2, metric="statements")
    with pytest.raises(BadInputError, match="must be positive"):
        speedup_check(results, slower=LEGACY, faster=OPTIMIZED, at_least=0)
