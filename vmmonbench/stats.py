"""Descriptive statistics over raw samples: exact percentiles and summaries (numpy, no I/O)."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Final, TypeAlias

import numpy as np
import numpy.typing as npt

# A string: array is not subscriptable at run time before Python 3.12.
Samples: TypeAlias = "Sequence[float] | array[float] | npt.NDArray[np.float64]"

# numpy's default ("linear", Hyndman & Fan type 7): the same definition pyperf, pandas and
# spreadsheets use, so our p95 can be checked against any of them.
PERCENTILE_METHOD: Final = "linear"


@dataclass(frozen=True, slots=True)
class Summary:
    """The usual description of a sample: count, total, mean and the tail percentiles."""

    count: int
    total: float
    mean: float
    min: float
    p50: float
    p95: float
    p99: float
    max: float

    def to_dict(self) -> dict[str, float | int]:
        """Plain JSON-able mapping of every field."""
        return asdict(self)


_SUMMARY_QS = np.array([50.0, 95.0, 99.0])
EMPTY_SUMMARY = Summary(count=0, total=0.0, mean=0.0, min=0.0, p50=0.0, p95=0.0, p99=0.0, max=0.0)


def as_array(values: Samples) -> npt.NDArray[np.float64]:
    """The samples as a fresh float64 array (a copy, so the caller may keep appending)."""
    # np.array copies; a zero-copy view of an array('d') would pin its buffer and make the
    # producer's next append() fail with BufferError.
    return np.array(values, dtype=np.float64)


def percentile(values: Samples, q: float) -> float:
    """The exact q-th percentile (0 <= q <= 100) of the samples; ValueError when empty."""
    return percentiles(values, (q,))[0]


def percentiles(values: Samples, qs: Sequence[float]) -> tuple[float, ...]:
    """Several exact percentiles in one pass (one sort); ValueError when there are no samples."""
    data = as_array(values)
    if data.size == 0:
        raise ValueError("percentile of an empty sample")
    if any(not 0.0 <= q <= 100.0 for q in qs):
        raise ValueError(f"percentiles must lie in [0, 100], got {list(qs)}")
    result = np.percentile(data, np.asarray(qs, dtype=np.float64), method=PERCENTILE_METHOD)
    return tuple(float(v) for v in result)


def summarize(values: Samples) -> Summary:
    """Count, total, mean, min, p50, p95, p99 and max; all zeros for an empty sample."""
    data = as_array(values)
    if data.size == 0:
        return EMPTY_SUMMARY
    p50, p95, p99 = np.percentile(data, _SUMMARY_QS, method=PERCENTILE_METHOD)
    total = float(data.sum())
    return Summary(
        count=int(data.size),
        total=total,
        mean=total / data.size,
        min=float(data.min()),
        p50=float(p50),
        p95=float(p95),
        p99=float(p99),
        max=float(data.max()),
    )
