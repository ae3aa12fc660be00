"""Statistics over raw samples: exact percentiles, summaries and significance tests (no I/O)."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb
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


# The usual 5 % level: a difference this unlikely under "same distribution" counts as real.
DEFAULT_ALPHA: Final = 0.05


@dataclass(frozen=True, slots=True)
class Significance:
    """A two-sided Mann-Whitney U test of two samples: is one shifted against the other?"""

    p_value: float
    alpha: float
    n_base: int
    n_new: int

    @property
    def significant(self) -> bool:
        """True when the samples differ at level `alpha` (p < alpha)."""
        return self.p_value < self.alpha

    @property
    def conclusive(self) -> bool:
        """False when the samples are too few for any result to reach p < alpha."""
        return smallest_p_value(self.n_base, self.n_new) < self.alpha

    def describe(self) -> str:
        """`p=0.002, n=6/6`, with a note when the samples are too few to ever be significant."""
        text = f"p={self.p_value:.2g}, n={self.n_base}/{self.n_new}"
        if not self.conclusive:
            text += f", too few samples to reach p<{self.alpha:g}"
        return text


def smallest_p_value(n_base: int, n_new: int) -> float:
    """The smallest two-sided p-value the exact U test can give for these sample sizes."""
    if n_base < 1 or n_new < 1:
        return 1.0
    # complete separation is the most extreme arrangement: 2 of C(n1 + n2, n1) orderings
    return min(1.0, 2.0 / comb(n_base + n_new, n_base))


def mann_whitney(
    base: Samples, new: Samples, *, alpha: float = DEFAULT_ALPHA
) -> Significance | None:
    """Two-sided Mann-Whitney U test of `new` against `base`; None with fewer than 2 per side.

    Rank-based, so it assumes no distribution shape: cycle times are skewed and heavy-tailed.
    scipy picks the exact distribution for small samples without ties and the normal
    approximation (tie-corrected) otherwise; identical samples give p = 1.
    """
    # scipy.stats takes ~1 s to import: only compare pays for it, not every CLI start
    from scipy.stats import mannwhitneyu  # noqa: PLC0415

    a, b = as_array(base), as_array(new)
    if a.size < 2 or b.size < 2:
        return None
    p_value = float(mannwhitneyu(a, b, alternative="two-sided").pvalue)
    if not np.isfinite(p_value):
        p_value = 1.0
    return Significance(p_value=p_value, alpha=alpha, n_base=int(a.size), n_new=int(b.size))
