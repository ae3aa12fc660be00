"""Results -> pytest-benchmark JSON, read back by the real `pytest-benchmark compare`."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pytest_benchmark.stats import Stats

from vmmonbench.errors import BadInputError
from vmmonbench.export import Measure, to_pytest_benchmark
from vmmonbench.result_records import CycleKind
from vmmonbench.results import Results

from .conftest import OPTIMIZED


def _stats_cycles(results: Results, label: str, key: str) -> list[float]:
    run = results.run(label)
    assert run is not None
    return [getattr(c, key) for c in run.cycles if c.kind is CycleKind.STATS]


def test_one_benchmark_per_configuration_with_pytest_benchmark_statistics(
    smoke: Results,
) -> None:
    data = to_pytest_benchmark(smoke)
    assert set(data) == {"machine_info", "commit_info", "benchmarks", "datetime", "version"}
    names = [b["name"] for b in data["benchmarks"]]
    assert names == [f"stats_cycle[{run.label}]" for run in smoke.runs]
    bench = next(b for b in data["benchmarks"] if b["param"] == OPTIMIZED)
    samples = _stats_cycles(smoke, OPTIMIZED, "duration_s")
    reference = Stats()
    for value in samples:
        reference.update(value)
    for name, value in reference.as_dict().items():
        assert bench["stats"][name] == pytest.approx(value) if name != "outliers" else value
    assert bench["stats"]["data"] == samples
    assert bench["stats"]["iterations"] == 1
    assert bench["group"] == "smoke: statistics cycle duration"
    assert data["machine_info"]["machine"] == smoke.environment.machine
    assert data["commit_info"]["id"] == "unknown"
    assert data["datetime"] == smoke.created


def test_db_time_measure_and_supplied_commit_info(smoke: Results) -> None:
    commit = {"id": "abc123", "time": None, "author_time": None, "dirty": False}
    data = to_pytest_benchmark(smoke, measure=Measure.DB_TIME, commit_info=commit)
    bench = next(b for b in data["benchmarks"] if b["param"] == OPTIMIZED)
    assert bench["stats"]["data"] == _stats_cycles(smoke, OPTIMIZED, "db_time_s")
    assert bench["extra_info"]["measure"] == "db-time"
    assert data["commit_info"] == commit


def test_results_without_statistics_cycles_cannot_be_exported(smoke: Results) -> None:
    runs = tuple(
        replace(run, cycles=tuple(c for c in run.cycles if c.kind is not CycleKind.STATS))
        for run in smoke.runs
    )
    with pytest.raises(BadInputError, match="nothing to export"):
        to_pytest_benchmark(replace(smoke, runs=runs))


def test_analysis_measure_is_each_cycle_without_its_db_time_and_host_calls(
    smoke: Results,
) -> None:
    runs = tuple(
        replace(run, cycles=tuple(replace(c, rpc_s=c.duration_s / 4) for c in run.cycles))
        for run in smoke.runs
    )
    data = to_pytest_benchmark(replace(smoke, runs=runs), measure=Measure.ANALYSIS)
    bench = next(b for b in data["benchmarks"] if b["param"] == OPTIMIZED)
    expected = [
        d - db - d / 4
        for d, db in zip(
            _stats_cycles(smoke, OPTIMIZED, "duration_s"),
            _stats_cycles(smoke, OPTIMIZED, "db_time_s"),
            strict=True,
        )
    ]
    assert bench["stats"]["data"] == pytest.approx(expected)
    assert bench["group"] == "smoke: statistics cycle analysis"


def test_results_older_than_host_call_timing_have_no_analysis_to_export(
    smoke: Results,
) -> None:
    assert to_pytest_benchmark(smoke, measure=Measure.DB_TIME)["benchmarks"]
    with pytest.raises(BadInputError, match="do not time their host calls"):
        to_pytest_benchmark(smoke, measure=Measure.ANALYSIS)
