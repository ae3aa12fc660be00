"""The three memory attacks of issue 14 against a real 6000-VM fake-host process: RSS stays low."""

from __future__ import annotations

import pytest

from tests.soak.memory_attacks import (
    MB,
    NON_READERS,
    huge_glob,
    non_reading_subscribers,
    pipelined_non_reader,
    run_attack,
)

# before the bounds: 3 non-reading subscribers took the host from 144 MB to 927 MB; pipelined
# commands grew it without limit; the glob cost 240 MB and stalled every client for seconds
MAX_GROWTH = 100 * MB


@pytest.mark.slow
def test_non_reading_subscribers_are_cut_off() -> None:
    outcome = run_attack(non_reading_subscribers)
    assert outcome.rss_peak - outcome.rss_before <= MAX_GROWTH, outcome
    assert outcome.cut_off == NON_READERS, outcome  # every victim, not only the first


@pytest.mark.slow
def test_pipelined_commands_are_not_read_beyond_the_bound() -> None:
    outcome = run_attack(pipelined_non_reader)
    assert outcome.rss_peak - outcome.rss_before <= MAX_GROWTH, outcome


@pytest.mark.slow
def test_a_huge_glob_is_refused() -> None:
    outcome = run_attack(huge_glob)
    assert "subscribe answered None" in outcome.detail, outcome  # an error reply, no result
    assert outcome.rss_peak - outcome.rss_before <= MAX_GROWTH, outcome
