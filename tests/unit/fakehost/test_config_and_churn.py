"""FakeHostConfig from workloads and overrides; autonomous churn; the layering rule."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.fakehost.client import RpcClient
from tests.unit.fakehost.conftest import FakeClock, StartHost
from vmmonbench.errors import BadInputError
from vmmonbench.fakehost import FakeHostConfig, exposure_warning
from vmmonbench.fakehost.churn import churn
from vmmonbench.fakehost.host import EmulatedHost
from vmmonbench.faults import FaultKind, parse_fault
from vmmonbench.inventory import host_spec
from vmmonbench.workload import CommandTraffic, StatsRanges, Workload

PACKAGE = Path(__file__).resolve().parents[3] / "vmmonbench" / "fakehost"


def test_config_takes_the_workload_knobs() -> None:
    workload = Workload(
        vms=10,
        hosts=3,
        vnics=1,
        disks=2,
        seed=9,
        guest_nic_reorder=False,
        stats=StatsRanges(cpu_percent=(1.0, 2.0)),
        commands=CommandTraffic(latency_ms=5.0),
        churn_per_vm_hour=2.0,
        devices_change_per_vm_hour=1.0,
        faults=("delay:rate=0.5,seconds=1",),
    )
    config = FakeHostConfig.from_workload(workload)
    assert (config.vms, config.hosts, config.vnics, config.disks, config.seed) == (10, 3, 1, 2, 9)
    assert config.guest_nic_reorder is False
    assert config.stats.cpu_percent == (1.0, 2.0)
    assert config.command_latency_ms == 5.0
    assert (config.churn_per_vm_hour, config.devices_change_per_vm_hour) == (2.0, 1.0)
    assert config.faults == (parse_fault("delay:rate=0.5,seconds=1"),)
    overridden = FakeHostConfig.from_workload(workload, vms=4, seed=None, faults=[])
    assert overridden.vms == 4
    assert overridden.seed == 9  # None means "not given"
    assert overridden.faults == ()


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"vms": 0}, "--vms"),
        ({"hosts": 201}, "--hosts"),
        ({"port": 65535, "hosts": 2}, "--port"),
        ({"host_offset": -1}, "--host-offset"),
        ({"vnics": 17}, "--vnics"),
        ({"command_latency_ms": -1.0}, "--command-latency-ms"),
        ({"devices_change_per_vm_hour": 5000.0}, "--devices-change"),
        ({"watch_pid": 0}, "--watch-pid"),
        ({"bind": " "}, "--bind"),
    ],
)
def test_config_rejects_bad_values(changes: dict[str, object], named: str) -> None:
    with pytest.raises(BadInputError, match=named):
        FakeHostConfig().with_overrides(**changes)


def test_ports_are_consecutive_unless_zero() -> None:
    assert [FakeHostConfig(port=7000, hosts=3).port_for(i) for i in range(3)] == [7000, 7001, 7002]
    assert FakeHostConfig(port=0, hosts=3).port_for(2) == 0
    assert list(FakeHostConfig(hosts=2, host_offset=4).host_indexes) == [4, 5]


@pytest.mark.parametrize(
    ("bind", "warns"),
    [("127.0.0.1", False), ("::1", False), ("localhost", False), ("127.0.0.5", False),
     ("0.0.0.0", True), ("10.1.2.3", True), ("myhost.example", True)],
)  # fmt: skip
def test_exposure_warning(bind: str, warns: bool) -> None:
    warning = exposure_warning(bind)
    assert (warning is not None) == warns
    if warning:
        assert "reachable from the network" in warning
        assert "\n" not in warning


def test_churn_changes_random_vms_at_the_configured_rate(clock: FakeClock) -> None:
    host = EmulatedHost(host_spec(1, 0, 10, 1, 1), FakeHostConfig(vms=10, seed=1), clock)
    waits: list[float] = []
    changed: list[int] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) > 200:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(churn(360.0, host, changed.append, sleep=fake_sleep))
    assert len(changed) == 200
    assert set(changed) == set(range(10))
    # 360 per VM-hour x 10 VMs = one change per second on average
    assert 0.8 < sum(waits[:200]) / 200 < 1.25


def test_status_churn_flips_vms_with_events(clock: FakeClock) -> None:
    host = EmulatedHost(host_spec(1, 0, 3, 1, 1), FakeHostConfig(vms=3, seed=1), clock)
    host.churn_status(1)
    assert host.vms[1].status == "Down"
    assert host.vms[1].report()["exitReason"] == "user shutdown"
    host.churn_status(1)
    assert host.vms[1].status == "Up"
    before = host.vms[2].hash
    host.churn_devices(2)
    assert host.vms[2].hash != before


def test_real_time_churn_sends_events(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    # 3600 per VM-hour x 20 VMs: about 20 changes a second, so an event comes at once
    server = start_host(vms=20, churn_per_vm_hour=3600.0, devices_change_per_vm_hour=3600.0)
    subscriber = connect(server.ports[0])
    subscriber.call("Events.subscribe", {"pattern": "|virt|VM_status|*"})
    event = subscriber.next_event()
    assert event["method"].startswith("|virt|VM_status|")


def test_injector_counts_only_what_fires(clock: FakeClock) -> None:
    config = FakeHostConfig(
        vms=2, faults=(parse_fault("drop:rate=0"), parse_fault("malformed:rate=1"))
    )
    host = EmulatedHost(host_spec(1, 0, 2, 1, 1), config, clock)
    assert host.faults.fires(FaultKind.DROP) is None
    assert host.faults.fires(FaultKind.MALFORMED) is not None
    assert host.faults.fires(FaultKind.DELAY) is None
    assert host.faults.counts[FaultKind.MALFORMED] == 1
    assert host.faults.counts[FaultKind.DROP] == 0


def test_fake_host_never_imports_the_monitor_or_the_database() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("vmmonbench.monitor", "vmmonbench.db")), path
                assert name != "vmmonbench.cli", path
