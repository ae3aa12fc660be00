"""Within one results file: one configuration must beat another by a factor, noise-aware."""

from __future__ import annotations

import math
from statistics import median

from vmmonbench.compare.comparison import labels
from vmmonbench.compare.gate_rules import Check
from vmmonbench.errors import BadInputError
from vmmonbench.figures import BY_NAME, FIGURES
from vmmonbench.results import Results
from vmmonbench.sample_stats import DEFAULT_ALPHA, mann_whitney


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
    chosen = BY_NAME.get(metric)
    if chosen is None or chosen.samples is None:
        known = ", ".join(f.name for f in FIGURES if f.samples is not None)
        raise BadInputError(f"speedup metric {metric!r} has no raw samples; use one of: {known}")
    if at_least <= 0:
        raise BadInputError(f"the expected speedup must be positive, got {at_least:g}")
    samples: list[list[float]] = []
    for label in (slower, faster):
        run = results.run(label)
        if run is None:
            raise BadInputError(f"no configuration {label!r} in the results: {labels(results)}")
        samples.append(chosen.samples(run))
    slow, fast = samples
    if not slow or not fast:
        raise BadInputError(f"no {metric} samples in {slower} or {faster}")
    slow_median, fast_median = median(slow), median(fast)
    ratio = slow_median / fast_median if fast_median > 0 else math.inf
    rule = f"{faster} at least {at_least:g}x better than {slower} in {metric}"
    line = (
        f"{faster} vs {slower}: {metric} median {chosen.text(fast_median)} vs "
        f"{chosen.text(slow_median)}, {ratio:.2f}x better"
    )
    if ratio >= at_least:
        return Check(rule, faster, metric, False, f"{line} (at least {at_least:g}x expected)")
    significance = mann_whitney(slow, [at_least * value for value in fast], alpha=alpha)
    if significance is not None and significance.conclusive and not significance.significant:
        why = f"{line}: below {at_least:g}x, not significantly ({significance.describe()})"
        return Check(rule, faster, metric, False, why)
    tested = f" ({significance.describe()})" if significance is not None else ""
    return Check(rule, faster, metric, True, f"{line}: less than {at_least:g}x{tested}")
