"""Percentiles and summaries of raw samples (vmmonbench.sample_stats), as the profiler uses them."""

from __future__ import annotations

from array import array

import numpy as np
import pytest

from vmmonbench.sample_stats import EMPTY_SUMMARY, as_array, percentile, percentiles, summarize


def test_percentiles_of_one_to_a_hundred_interpolate_linearly() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.5
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentiles(values, (0, 100)) == (1.0, 100.0)


def test_order_of_the_samples_does_not_matter() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 25) == 2.0


def test_summary_of_known_data() -> None:
    summary = summarize(array("d", [0.5, 1.5, 1.0, 4.0]))
    assert (summary.count, summary.total, summary.mean) == (4, 7.0, 1.75)
    assert (summary.min, summary.max) == (0.5, 4.0)
    assert summary.p50 == 1.25
    assert summary.p95 == pytest.approx(1.5 + 0.85 * 2.5)


def test_empty_samples() -> None:
    assert summarize([]) == EMPTY_SUMMARY
    assert EMPTY_SUMMARY.count == 0
    with pytest.raises(ValueError, match="empty"):
        percentile([], 50)


def test_percentile_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        percentile([1.0], 101)


def test_a_recording_array_can_keep_growing_after_being_summarized() -> None:
    samples = array("d", [1.0, 2.0])
    copied = as_array(samples)
    samples.append(3.0)  # would raise BufferError if a view still pinned the buffer
    assert copied.dtype == np.float64
    assert list(copied) == [1.0, 2.0]
    assert summarize(samples).count == 3
