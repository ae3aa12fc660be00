"""Results as a pytest-benchmark JSON file, so `pytest-benchmark compare` can read our runs."""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from vmmonbench.errors import BadInputError
from vmmonbench.figures import BY_NAME, Samples, completed
from vmmonbench.result_records import CycleKind, Environment
from vmmonbench.results import Results, RunResult

# The pytest-benchmark version whose file layout we write (used when it is not installed).
LAYOUT_VERSION = "5.1.0"


class ExportFormat(StrEnum):
    """Formats `vmmonbench export` writes."""

    PYTEST_BENCHMARK = "pytest-benchmark"


class Measure(StrEnum):
    """Which per-cycle sample becomes a benchmark round."""

    DURATION = "duration"  # wall time of each statistics cycle
    DB_TIME = "db-time"  # DB self time of each statistics cycle
    ANALYSIS = "analysis"  # each statistics cycle without its DB self time and host calls


# the figures' own per-cycle samples, so an exported round is what compare tests
_FIGURES = {
    Measure.DURATION: BY_NAME["stats_cycle_s"],
    Measure.DB_TIME: BY_NAME["db_time_per_stats_cycle_s"],
    Measure.ANALYSIS: BY_NAME["analysis_per_stats_cycle_s"],
}
_GROUPS = {
    Measure.DURATION: "statistics cycle duration",
    Measure.DB_TIME: "statistics cycle DB time",
    Measure.ANALYSIS: "statistics cycle analysis",
}


def to_pytest_benchmark(
    results: Results,
    *,
    measure: Measure = Measure.DURATION,
    commit_info: Mapping[str, Any] | None = None,
    include_data: bool = True,
) -> dict[str, Any]:
    """One pytest-benchmark benchmark per configuration; a round is one statistics cycle.

    `commit_info` is pytest-benchmark's (id, time, author_time, dirty, project, branch); results
    do not record the commit, so it reads `unknown` unless the caller supplies it.
    """
    workload = results.workload_name if results.workload_name != "?" else "workload"
    benchmarks = []
    for run in results.runs:
        samples = _samples(measure)(run)
        if samples:
            benchmarks.append(_benchmark(run, workload, measure, samples, include_data))
    if not benchmarks:
        if measure is Measure.ANALYSIS and any(
            completed(run.cycles, CycleKind.STATS) for run in results.runs
        ):
            raise BadInputError(
                "these results do not time their host calls (rpc_s, written by an older "
                "vmmonbench): no analysis time to export; --measure duration or db-time can"
            )
        raise BadInputError("no statistics cycle in these results: nothing to export")
    return {
        "machine_info": _machine_info(results.environment),
        "commit_info": dict(commit_info) if commit_info is not None else _unknown_commit(),
        "benchmarks": benchmarks,
        "datetime": results.created,
        "version": _pytest_benchmark_version(),
    }


def _samples(measure: Measure) -> Samples:
    samples = _FIGURES[measure].samples
    assert samples is not None  # each has raw per-cycle samples
    return samples


def _benchmark(
    run: RunResult, workload: str, measure: Measure, samples: Sequence[float], include_data: bool
) -> dict[str, Any]:
    name = f"stats_cycle[{run.label}]"
    stats: dict[str, Any] = {**_stats(samples), "iterations": 1}
    if include_data:
        stats["data"] = list(samples)
    return {
        "group": f"{workload}: {_GROUPS[measure]}",
        "name": name,
        "fullname": f"vmmonbench/{workload}::{name}",
        "params": {"configuration": run.label},
        "param": run.label,
        "extra_info": {
            "measure": measure.value,
            "lock": run.lock,
            "fetch": run.fetch,
            "optimizations": list(run.optimizations),
            "status": run.status,
        },
        "options": {
            "disable_gc": False,
            "timer": "perf_counter",
            "min_rounds": 1,
            "max_time": 0.0,
            "min_time": 0.0,
            "warmup": False,
        },
        "stats": stats,
    }


def _stats(data: Sequence[float]) -> dict[str, Any]:
    """pytest-benchmark's Stats fields, with its definitions (quartiles, Tukey fences)."""
    ordered = sorted(data)
    mean = statistics.mean(ordered)
    stddev = statistics.stdev(ordered) if len(ordered) > 1 else 0.0
    q1, q3 = _quartiles(ordered)
    iqr = q3 - q1
    low_fence, high_fence = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    iqr_outliers = sum(1 for v in ordered if v < low_fence or v > high_fence)
    stddev_outliers = sum(1 for v in ordered if v < mean - stddev or v > mean + stddev)
    return {
        "min": ordered[0],
        "max": ordered[-1],
        "mean": mean,
        "stddev": stddev,
        "rounds": len(ordered),
        "median": statistics.median(ordered),
        "iqr": iqr,
        "q1": q1,
        "q3": q3,
        "iqr_outliers": iqr_outliers,
        "stddev_outliers": stddev_outliers,
        "outliers": f"{stddev_outliers};{iqr_outliers}",
        "ld15iqr": ordered[bisect_left(ordered, low_fence)] if len(ordered) > 1 else ordered[0],
        "hd15iqr": ordered[bisect_right(ordered, high_fence) - 1],
        "ops": 1.0 / mean if mean > 0 else 0.0,
        "total": sum(ordered),
    }


def _quartiles(ordered: Sequence[float]) -> tuple[float, float]:
    """Q1 and Q3 as pytest-benchmark computes them (Wikipedia methods 2 and 3)."""
    n = len(ordered)
    if n == 1:
        return ordered[0], ordered[0]
    if n % 2 == 0:
        return statistics.median(ordered[: n // 2]), statistics.median(ordered[n // 2 :])
    k, rest = n // 4, n % 4
    if rest == 1:
        q1 = 0.25 * ordered[k - 1] + 0.75 * ordered[k]
        q3 = 0.75 * ordered[3 * k] + 0.25 * ordered[3 * k + 1]
    else:
        q1 = 0.75 * ordered[k] + 0.25 * ordered[k + 1]
        q3 = 0.25 * ordered[3 * k + 1] + 0.75 * ordered[3 * k + 2]
    return q1, q3


def _machine_info(environment: Environment) -> dict[str, Any]:
    """pytest-benchmark's machine_info keys, from what the run recorded about its machine."""
    parts = environment.platform.split("-")
    return {
        "node": environment.hostname,
        "processor": environment.machine,
        "machine": environment.machine,
        "python_compiler": "",
        "python_implementation": environment.implementation,
        "python_implementation_version": environment.python,
        "python_version": environment.python,
        "python_build": [],
        "release": parts[1] if len(parts) > 1 else "",
        "system": parts[0] if parts else "",
        "cpu": {"count": environment.cpu_count},
        "platform": environment.platform,
        "db_dialect": environment.db_dialect,
        "db_server_version": environment.db_server_version,
    }


def _unknown_commit() -> dict[str, Any]:
    return {
        "id": "unknown",
        "time": None,
        "author_time": None,
        "dirty": False,
        "project": "vmmonbench",
        "branch": "(unknown)",
        "error": "results.json does not record the commit",
    }


def _pytest_benchmark_version() -> str:
    try:
        return version("pytest-benchmark")
    except PackageNotFoundError:
        return LAYOUT_VERSION
