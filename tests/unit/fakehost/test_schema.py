"""Every stats map the fake host sends validates against VDSM's own schema."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.unit.fakehost.client import RpcClient
from tests.unit.fakehost.conftest import StartHost
from tests.unit.fakehost.vdsm_schema import VdsmSchema
from vmmonbench.fakehost import VM_STATUSES

RUNNING_REQUIRED_BY_BRIEF = {
    "vmId", "vmName", "status", "statusTime", "elapsedTime", "cpuUser", "cpuSys", "cpuUsage",
    "memUsage", "memoryStats", "balloonInfo", "network", "disks", "disksUsage", "netIfaces",
    "appsList", "guestIPs", "guestFQDN", "guestCPUCount", "username", "session", "clientIp",
    "displayInfo", "timeOffset", "monitorResponse", "pauseCode", "kvmEnable", "acpiEnable",
    "vmType", "pid", "displayPort", "hash", "cpuActual",
}  # fmt: skip


def test_running_stats_validate_on_every_poll(vdsm_schema: VdsmSchema, client: RpcClient) -> None:
    for _ in range(3):
        for stats in client.call("Host.getAllVmStats"):
            assert vdsm_schema.errors(stats, "RunningVmStats") == []
            assert stats.keys() >= RUNNING_REQUIRED_BY_BRIEF
            assert vdsm_schema.errors(stats, "VmStats") == []


def test_exited_stats_validate(vdsm_schema: VdsmSchema, client: RpcClient) -> None:
    vm_id = client.call("Host.getVMList")[0]["vmId"]
    client.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Down"})
    (down,) = [s for s in client.call("Host.getAllVmStats") if s["vmId"] == vm_id]
    assert set(down) == {"vmId", "status", "exitCode", "exitMessage", "exitReason", "timeOffset"}
    assert vdsm_schema.errors(down, "ExitedVmStats") == []
    assert vdsm_schema.errors(client.call("VM.getStats", {"vmID": vm_id})[0], "VmStats") == []


@pytest.mark.parametrize("status", [s for s in VM_STATUSES if s != "Down"])
def test_every_running_status_validates(
    vdsm_schema: VdsmSchema, client: RpcClient, status: str
) -> None:
    vm_id = client.call("Host.getVMList")[0]["vmId"]
    client.call("Sim.setStatus", {"vmIds": [vm_id], "status": status})
    (stats,) = client.call("VM.getStats", {"vmID": vm_id})
    assert stats["status"] == status
    assert vdsm_schema.errors(stats, "RunningVmStats") == []


@pytest.mark.parametrize(("vnics", "disks"), [(0, 0), (1, 3), (4, 2)])
def test_shapes_validate_for_any_nic_and_disk_count(
    vdsm_schema: VdsmSchema,
    start_host: StartHost,
    connect: Callable[[int], RpcClient],
    vnics: int,
    disks: int,
) -> None:
    client = connect(start_host(vms=2, vnics=vnics, disks=disks).ports[0])
    for stats in client.call("Host.getAllVmStats"):
        assert vdsm_schema.errors(stats, "RunningVmStats") == []
        assert len(stats["network"]) == vnics
        assert len(stats["disks"]) == disks
        assert len(stats["netIfaces"]) == vnics


def test_validator_catches_departures(vdsm_schema: VdsmSchema, client: RpcClient) -> None:
    stats = client.call("Host.getAllVmStats")[0]
    extra = {**stats, "notAField": 1}
    missing = {k: v for k, v in stats.items() if k != "vmName"}
    number = {**stats, "cpuUser": 12.5}
    not_uint = {**stats, "elapsedTime": "-3"}
    bad_enum = {**stats, "status": "Sleeping"}
    nested = {**stats, "memoryStats": {**stats["memoryStats"], "swap_in": "0"}}
    assert any("notAField" in e for e in vdsm_schema.errors(extra, "RunningVmStats"))
    assert any("vmName" in e for e in vdsm_schema.errors(missing, "RunningVmStats"))
    assert any("cpuUser" in e for e in vdsm_schema.errors(number, "RunningVmStats"))
    assert any("elapsedTime" in e for e in vdsm_schema.errors(not_uint, "RunningVmStats"))
    assert any("status" in e for e in vdsm_schema.errors(bad_enum, "RunningVmStats"))
    assert any("swap_in" in e for e in vdsm_schema.errors(nested, "RunningVmStats"))
