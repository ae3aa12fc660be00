"""One statistics cycle per configuration at 500 VMs: an in-process fake host, SQLite, profiled.

With the repository's default `--benchmark-disable` each test runs one cycle as a plain test
and checks what the cycle did, not how long it took. To measure, save a baseline, change the
code, then compare (pytest-benchmark's own gate, `mean:10%` = fail on a 10 % slower mean):

    python -m pytest tests/bench/test_cycle_bench.py --benchmark-enable --benchmark-save=before
    python -m pytest tests/bench/test_cycle_bench.py --benchmark-enable \
        --benchmark-compare --benchmark-compare-fail=mean:10%

Saved runs land in `.benchmarks/` (git-ignored); `--benchmark-compare=0001` picks one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from vmmonbench import inventory
from vmmonbench.configuration import Configuration, select_configurations
from vmmonbench.db.database import Database, copy_sqlite_file, parse_url
from vmmonbench.db.population import PopulationSpec, populate
from vmmonbench.db.profiler import StatementProfiler
from vmmonbench.db.schema import create_schema
from vmmonbench.fakehost import FakeHostConfig, FakeHostServer, running_fake_host
from vmmonbench.monitor.clock import WarpClock
from vmmonbench.monitor.core import MonitoringCore
from vmmonbench.monitor.host_monitor import MonitoredHost
from vmmonbench.monitor.hostclient import HostClient
from vmmonbench.monitor.persistence_rules import PersistenceRules
from vmmonbench.monitor.samples import CycleSample
from vmmonbench.monitor.scheduler import Scheduler

VMS = 500
SEED = 41
VNICS = 2
DISKS = 1
ROUNDS = 10  # timed cycles per configuration when benchmarks are enabled
CONFIGURATIONS = select_configurations()  # the 2x2 legacy matrix and the 4.1 design


@dataclass(frozen=True, slots=True)
class BenchHost:
    """The fake host, its monitored description, and a populated template database."""

    server: FakeHostServer
    host: MonitoredHost
    vm_ids: tuple[str, ...]
    template: Path


@pytest.fixture(scope="module")
def bench_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchHost]:
    """One 500-VM host (stable, the study's guest-NIC reordering on) and its database, once."""
    config = FakeHostConfig(
        vms=VMS, hosts=1, seed=SEED, vnics=VNICS, disks=DISKS, command_latency_ms=1
    )
    spec = inventory.host_spec(SEED, 0, VMS, VNICS, DISKS)
    template = tmp_path_factory.mktemp("cycle-bench") / "template.db"
    with running_fake_host(config) as server:
        host = MonitoredHost(spec.id, 0, "127.0.0.1", server.ports[0])
        control = HostClient(host.address, host.port)
        try:
            db = Database(parse_url(f"sqlite:///{template}"))
            create_schema(db.engine)
            populate(
                db.engine,
                PopulationSpec(SEED, 1, VMS, VNICS, DISKS),
                reported=lambda _index: {s["vmId"]: s for s in control.call("Host.getAllVmStats")},
            )
            db.close()
            control.call("Sim.reset")
        finally:
            control.close()
        yield BenchHost(server, host, tuple(vm.id for vm in spec.vms), template)


@pytest.fixture
def monitoring(
    bench_host: BenchHost, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[MonitoringCore, StatementProfiler]]:
    """A started monitoring core of the test's configuration on a fresh copy of the database."""
    config: Configuration = request.param
    control = HostClient(bench_host.host.address, bench_host.host.port)
    control.call("Sim.reset")
    control.close()
    path = tmp_path / "vmmonbench.db"
    copy_sqlite_file(bench_host.template, path)
    profiler = StatementProfiler()
    db = Database(
        parse_url(f"sqlite:///{path}"),
        profiler=profiler,
        validate_on_checkout=PersistenceRules.of(config).validate_checkout,
    )
    clock = WarpClock()
    core = MonitoringCore(
        config,
        [bench_host.host],
        {bench_host.host.id: list(bench_host.vm_ids)},
        db,
        clock,
        Scheduler(clock),  # never run: the test drives the cycles itself
    )
    core.start()
    try:
        yield core, profiler
    finally:
        core.close()
        db.close()


@pytest.mark.parametrize(
    "monitoring", CONFIGURATIONS, ids=[c.label for c in CONFIGURATIONS], indirect=True
)
def test_statistics_cycle(
    benchmark: BenchmarkFixture, monitoring: tuple[MonitoringCore, StatementProfiler]
) -> None:
    """Time one statistics cycle (after a warm-up cycle); check it analysed every VM."""
    core, profiler = monitoring
    monitor = next(iter(core.monitors.values()))
    samples: list[CycleSample] = []

    def cycle() -> None:
        samples.append(monitor.statistics_cycle())

    benchmark.extra_info["vms"] = VMS
    benchmark.extra_info["configuration"] = core.config.label
    benchmark.pedantic(cycle, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    last = samples[-1]
    assert last.failed is None
    assert not last.skipped
    assert last.vms_analysed == VMS
    assert last.statements > 0
    benchmark.extra_info["statements_per_cycle"] = last.statements
    if core.config.is_legacy:
        # 3.6 rewrites vm_dynamic for every VM on every cycle (guest memory lives there)
        assert profiler.total_calls > VMS
