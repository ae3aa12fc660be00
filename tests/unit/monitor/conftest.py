"""A real fake host (in-process server, real sockets) and a populated database per test."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from vmmonbench import inventory
from vmmonbench.configuration import Configuration
from vmmonbench.db.database import Database, parse_url
from vmmonbench.db.population import PopulationSpec, populate
from vmmonbench.db.profiler import StatementProfiler
from vmmonbench.db.schema import create_schema, drop_schema
from vmmonbench.fakehost import FakeHostConfig, FakeHostServer, running_fake_host
from vmmonbench.monitor.clock import WarpClock
from vmmonbench.monitor.core import MonitoringCore
from vmmonbench.monitor.host_monitor import HostMonitor, MonitoredHost
from vmmonbench.monitor.hostclient import HostClient
from vmmonbench.monitor.persistence_rules import PersistenceRules
from vmmonbench.monitor.samples import CycleSample
from vmmonbench.monitor.scheduler import Scheduler
from vmmonbench.protocol import WireProtocol

SEED = 11
VMS = 6
VNICS = 2
DISKS = 1


@pytest.fixture
def fake_host(request: pytest.FixtureRequest) -> Iterator[FakeHostServer]:
    """One emulated host with VMS VMs; guest agents keep their NICs' order unless the test
    parametrizes this fixture (indirectly) with True."""
    config = FakeHostConfig(
        vms=VMS,
        hosts=1,
        seed=SEED,
        vnics=VNICS,
        disks=DISKS,
        command_latency_ms=1,
        guest_nic_reorder=getattr(request, "param", False),
    )
    with running_fake_host(config) as server:
        yield server


@dataclass
class Monitored:
    """A monitoring core of one configuration over the fake host, with its profiler."""

    core: MonitoringCore
    profiler: StatementProfiler
    control: HostClient
    db: Database
    host: MonitoredHost
    vm_ids: list[str] = field(default_factory=list)

    @property
    def monitor(self) -> HostMonitor:
        return self.core.monitors[self.host.id]

    def cycle(self) -> tuple[CycleSample, Counter[str], dict[str, int]]:
        """One statistics cycle: its sample, calls per label, rows per label."""
        self.profiler.reset()
        sample = self.monitor.statistics_cycle()
        calls: Counter[str] = Counter()
        rows: dict[str, int] = {}
        for statement in self.profiler.statements():
            calls[statement.label] += statement.calls
            rows[statement.label] = rows.get(statement.label, 0) + statement.rows
        return sample, calls, rows


@pytest.fixture
def wire() -> WireProtocol:
    """How the monitoring core talks to the host (test_stomp_transport.py overrides it)."""
    return WireProtocol.LINE


@pytest.fixture
def monitored(fake_host: FakeHostServer, db_url: str, wire: WireProtocol) -> Iterator[Any]:
    """A factory: monitored(config) -> Monitored, on a freshly populated database."""
    made: list[Monitored] = []
    spec = inventory.host_spec(SEED, 0, VMS, VNICS, DISKS)
    host = MonitoredHost(spec.id, 0, "127.0.0.1", fake_host.ports[0], wire)

    def make(config: Configuration, *, start: bool = True) -> Monitored:
        control = HostClient(host.address, host.port)
        plain = Database(parse_url(db_url))
        drop_schema(plain.engine)
        create_schema(plain.engine)
        populate(
            plain.engine,
            PopulationSpec(SEED, 1, VMS, VNICS, DISKS),
            reported=lambda _index: {s["vmId"]: s for s in control.call("Host.getAllVmStats")},
        )
        plain.close()
        control.call("Sim.reset")
        profiler = StatementProfiler()
        rules = PersistenceRules.of(config)
        db = Database(
            parse_url(db_url), profiler=profiler, validate_on_checkout=rules.validate_checkout
        )
        clock = WarpClock()
        core = MonitoringCore(
            config, [host], {host.id: [vm.id for vm in spec.vms]}, db, clock, Scheduler(clock)
        )
        if start:
            core.start()
        result = Monitored(core, profiler, control, db, host, [vm.id for vm in spec.vms])
        made.append(result)
        return result

    yield make
    for item in made:
        item.core.close()
        item.db.close()
        item.control.close()
