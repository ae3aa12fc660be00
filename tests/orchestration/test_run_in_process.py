"""A whole run in the test's own process: runner, measurement, fresh databases, the simulated
world and the summaries, against fake hosts served in-process over real sockets."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from vmmonbench import figures
from vmmonbench.configuration import select_configurations
from vmmonbench.fakehost import FakeHostConfig, running_fake_host
from vmmonbench.result_records import CycleKind, RunStatus
from vmmonbench.results import Results, RunResult
from vmmonbench.runner import RunOptions, run_workload
from vmmonbench.workload import Workload, load_workload

pytestmark = pytest.mark.slow  # the run starts a PostgreSQL server of its own

LEGACY = "per-vm-lock+event-plus-stats+3.6"
OPTIMIZED = "per-vm-lock+event-plus-stats+4.1"


@pytest.fixture(scope="module")
def workload() -> Workload:
    """The smoke workload, smaller and shorter: 2 hosts x 8 VMs, 40 s, churn and commands."""
    return load_workload("smoke").with_overrides(vms=8, duration_s=40.0)


@pytest.fixture(scope="module")
def hosts(workload: Workload) -> Iterator[list[tuple[str, int]]]:
    """The workload's hosts served in this process, as a run's --connect would reach them."""
    config = FakeHostConfig.from_workload(
        replace(workload, faults=()), churn_per_vm_hour=0.0, devices_change_per_vm_hour=0.0
    )
    with running_fake_host(config) as server:
        yield [("127.0.0.1", port) for port in server.ports]


class Recorder:
    """Progress as the CLI would show it, recorded."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.updates = 0

    def configuration_started(self, label: str, number: int, total: int, duration_s: float) -> None:
        self.events.append(f"start {number}/{total} {label} {duration_s:g}")

    def update(self, simulated_s: float, stats_cycles: int) -> None:
        assert 0 <= simulated_s <= 40.0
        self.updates += 1

    def configuration_done(self, result: RunResult) -> None:
        self.events.append(f"done {result.label} {result.status}")

    def message(self, text: str) -> None:
        self.events.append(text)


def _options(
    workload: Workload, hosts: list[tuple[str, int]], out: Path, **changes: Any
) -> RunOptions:
    options = RunOptions(
        workload=workload,
        configurations=select_configurations(["per-vm-lock", "event-plus-stats"], ["all"]),
        out_dir=out,
        connect=hosts,
        monitoring_threads=2,
    )
    return replace(options, **changes)


@pytest.fixture(scope="module")
def measured(
    workload: Workload, hosts: list[tuple[str, int]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Results, Recorder, list[Results]]:
    """One complete run of the 3.6 and the 4.1 design, the progress it made and its saves."""
    progress, saves = Recorder(), list[Results]()
    out = tmp_path_factory.mktemp("run")
    results = run_workload(_options(workload, hosts, out, on_results=saves.append), progress)
    return results, progress, saves


def test_the_run_completes_every_configuration(
    measured: tuple[Results, Recorder, list[Results]], workload: Workload
) -> None:
    results, progress, saves = measured
    assert results.status is RunStatus.COMPLETE
    assert [run.label for run in results.runs] == [LEGACY, OPTIMIZED]
    assert progress.events == [
        f"start 1/2 {LEGACY} 40",
        f"done {LEGACY} complete",
        f"start 2/2 {OPTIMIZED} 40",
        f"done {OPTIMIZED} complete",
    ]
    # a save after each configuration (the run unfinished), then the final one
    assert [(len(save.runs), save.status) for save in saves] == [
        (1, RunStatus.UNFINISHED),
        (2, RunStatus.UNFINISHED),
        (2, RunStatus.COMPLETE),
    ]
    assert results.workload["vms"] == workload.vms
    # the default database: a PostgreSQL server of the run's own, every configuration fresh
    assert results.database.kind == "embedded"
    assert results.environment.db_dialect == "postgresql"
    assert results.environment.db_server == "embedded PostgreSQL"
    assert results.extra.fake_hosts is not None
    assert results.extra.fake_hosts.remote
    assert len(results.extra.fake_hosts.endpoints) == workload.hosts


def test_the_database_holds_the_hosts_truth_after_each_configuration(
    measured: tuple[Results, Recorder, list[Results]],
) -> None:
    results, _, _ = measured
    for run in results.runs:
        assert run.consistency.checked
        assert run.consistency.checked_vms == 16
        assert run.consistency.divergent_vms == 0, run.consistency.examples
        assert run.floor.measured
        assert run.world.status_changes > 0  # the simulated world churned
        assert run.commands.count > 0


def test_the_stored_summary_is_the_registry_s_figures(
    measured: tuple[Results, Recorder, list[Results]],
) -> None:
    results, _, _ = measured
    for run in results.runs:
        summary = run.summary
        assert summary.cycles.stats == len(figures.completed(run.cycles, CycleKind.STATS)) >= 4
        for name in (
            "effective_stats_period_s",
            "db_time_per_stats_cycle_s",
            "statements_per_stats_cycle",
            "stats_cycle_s",
            "rows_written_per_stats_cycle",
            "monitoring_db_time_s",
        ):
            derived = figures.BY_NAME[name].value(run)
            assert derived == pytest.approx(getattr(summary, name)), name
        period = figures.effective_stats_period(run.cycles)
        assert period is not None
        assert 15.0 <= period < 16.0  # the fixed delay plus a short cycle
        assert summary.db_time_s >= summary.monitoring_db_time_s > 0


def test_the_4_1_design_writes_less_than_3_6(
    measured: tuple[Results, Recorder, list[Results]],
) -> None:
    results, _, _ = measured
    legacy, optimized = results.run(LEGACY), results.run(OPTIMIZED)
    assert legacy is not None
    assert optimized is not None
    per_cycle = figures.BY_NAME["statements_per_stats_cycle"]
    legacy_value, optimized_value = per_cycle.value(legacy), per_cycle.value(optimized)
    assert legacy_value is not None
    assert optimized_value is not None
    assert optimized_value < legacy_value / 3


def test_the_results_survive_a_save_and_a_load(
    measured: tuple[Results, Recorder, list[Results]], tmp_path: Path
) -> None:
    results, _, _ = measured
    path = tmp_path / "results.json"
    results.save(path)
    assert Results.load(path) == results


def test_a_stop_after_the_first_configuration_keeps_it_and_says_interrupted(
    workload: Workload, hosts: list[tuple[str, int]], tmp_path: Path
) -> None:
    stop = threading.Event()
    progress = Recorder()
    options = _options(workload, hosts, tmp_path, stop=stop, on_results=lambda _results: stop.set())
    results = run_workload(options, progress)
    assert results.status is RunStatus.INTERRUPTED
    assert [run.label for run in results.runs] == [LEGACY]
    assert results.runs[0].status is RunStatus.COMPLETE
    assert progress.events[-1] == f"done {LEGACY} complete"
