"""Each wire method of the fake host, over a real socket."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.fakehost.client import RpcCallError, RpcClient
from tests.unit.fakehost.conftest import FakeClock, StartHost
from vmmonbench import protocol
from vmmonbench.fakehost import FakeHostServer
from vmmonbench.fakehost.vmstate import DYNAMIC_FIELDS
from vmmonbench.inventory import (
    device_address_fields,
    device_address_text,
    devices_hash,
    host_spec,
)

STATISTICS_THAT_MOVE = ("cpuUser", "memUsage", "elapsedTime", "cpuUsage", "statusTime")


def _ids(client: RpcClient) -> list[str]:
    return [vm["vmId"] for vm in client.call("Host.getVMList")]


def _by_id(stats: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["vmId"]: s for s in stats}


def test_ping(client: RpcClient) -> None:
    assert client.call("Host.ping") is True


def test_vm_list_matches_the_inventory(
    host: FakeHostServer, client: RpcClient, clock: FakeClock
) -> None:
    spec = host_spec(host.config.seed, 0, 4, 2, 1)
    listed = client.call("Host.getVMList")
    assert [vm["vmId"] for vm in listed] == [vm.id for vm in spec.vms]
    assert {vm["status"] for vm in listed} == {"Up"}
    assert {vm["statusTime"] for vm in listed} == {str(int(clock.now * 1000))}


def test_statistics_change_on_every_poll_while_dynamic_data_stays(
    client: RpcClient, clock: FakeClock
) -> None:
    previous = _by_id(client.call("Host.getAllVmStats"))
    for _ in range(4):
        clock.advance(15)
        current = _by_id(client.call("Host.getAllVmStats"))
        for vm_id, now in current.items():
            before = previous[vm_id]
            for field in ("mem_free", "mem_buffers", "mem_cached"):
                assert now["memoryStats"][field] != before["memoryStats"][field]
            assert int(now["elapsedTime"]) == int(before["elapsedTime"]) + 15
            assert int(now["cpuUsage"]) > int(before["cpuUsage"])
            for name, nic in now["network"].items():
                assert int(nic["rx"]) > int(before["network"][name]["rx"])
                assert int(nic["tx"]) > int(before["network"][name]["tx"])
                assert nic["sampleTime"] == clock.now
            assert 10.0 <= float(now["cpuUser"]) + float(now["cpuSys"]) <= 20.01
            assert 5 <= int(now["memUsage"]) <= 10
            for field in (*DYNAMIC_FIELDS, "hash", "vmName", "pid", "displayPort"):
                assert now[field] == before[field], field
            assert now["disks"].keys() == before["disks"].keys()
        previous = current


def test_network_rates_follow_net_rate_as_percent_of_speed(
    client: RpcClient, clock: FakeClock
) -> None:
    before = client.call("Host.getAllVmStats")[0]["network"]
    clock.advance(10)
    after = client.call("Host.getAllVmStats")[0]["network"]
    for name, nic in after.items():
        speed_bytes_per_s = int(nic["speed"]) * 1_000_000 / 8
        for key in ("rx", "tx"):
            percent = (int(nic[key]) - int(before[name][key])) / 10 / speed_bytes_per_s * 100
            assert 10 <= percent <= 15.01


def test_guest_nics_rotate_but_keep_their_set(client: RpcClient) -> None:
    polls = [client.call("Host.getAllVmStats")[0]["netIfaces"] for _ in range(4)]
    for earlier, later in itertools.pairwise(polls):
        assert earlier != later  # a naive hash of the raw list changes every poll

    def canonical(ifaces: list[dict[str, Any]]) -> list[tuple[str, str, list[str], list[str]]]:
        return sorted((i["name"], i["hw"], sorted(i["inet"]), sorted(i["inet6"])) for i in ifaces)

    assert len({repr(canonical(p)) for p in polls}) == 1
    guest_ips = client.call("Host.getAllVmStats")[0]["guestIPs"].split()
    assert sorted(guest_ips) == sorted(ip for i in polls[0] for ip in i["inet"])


def test_guest_nics_keep_their_order_without_the_quirk(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    client = connect(start_host(guest_nic_reorder=False).ports[0])
    polls = [client.call("Host.getAllVmStats")[0]["netIfaces"] for _ in range(3)]
    assert polls[0] == polls[1] == polls[2]


def test_vm_get_stats_and_unknown_vm(client: RpcClient) -> None:
    vm_id = _ids(client)[2]
    (stats,) = client.call("VM.getStats", {"vmID": vm_id})
    assert stats["vmId"] == vm_id
    with pytest.raises(RpcCallError) as raised:
        client.call("VM.getStats", {"vmID": "no-such-vm"})
    assert raised.value.code == protocol.NO_SUCH_VM
    assert raised.value.message == "Virtual machine does not exist"


def test_full_list_reports_inventory_devices(host: FakeHostServer, client: RpcClient) -> None:
    spec = host_spec(host.config.seed, 0, 4, 2, 1)
    everything = client.call("Host.getVMFullList")
    assert [vm["vmId"] for vm in everything] == [vm.id for vm in spec.vms]
    assert client.call("Host.getVMFullList", {"vmList": []}) == everything
    wanted = [spec.vms[3].id, "unknown-id", spec.vms[1].id]
    chosen = client.call("Host.getVMFullList", {"vmList": wanted})
    assert [vm["vmId"] for vm in chosen] == [spec.vms[3].id, spec.vms[1].id]
    devices = chosen[0]["devices"]
    assert [(d["deviceId"], d["type"], d["device"]) for d in devices] == [
        (d.id, d.type, d.device) for d in spec.vms[3].devices
    ]
    for device, known in zip(devices, spec.vms[3].devices, strict=True):
        assert device_address_text(device["address"]) == known.address
        assert device["address"] == device_address_fields(known.address)
        assert device["alias"] == f"ua-{known.id}"
        assert device["specParams"] == {}


def test_reported_hash_is_the_inventory_devices_hash(
    host: FakeHostServer, client: RpcClient
) -> None:
    spec = host_spec(host.config.seed, 0, 4, 2, 1)
    reported = {s["vmId"]: s["hash"] for s in client.call("Host.getAllVmStats")}
    assert reported == {vm.id: devices_hash(vm.devices) for vm in spec.vms}


def test_set_status_counts_changes_and_restarts_after_down(
    client: RpcClient, clock: FakeClock
) -> None:
    ids = _ids(client)
    clock.advance(100)
    assert client.call("Sim.setStatus", {"vmIds": ids[:2], "status": "Down"}) == 2
    assert client.call("Sim.setStatus", {"vmIds": ids[:3], "status": "Down"}) == 1
    listed = {vm["vmId"]: vm["status"] for vm in client.call("Host.getVMList")}
    assert listed == {ids[0]: "Down", ids[1]: "Down", ids[2]: "Down", ids[3]: "Up"}
    clock.advance(50)
    assert client.call("Sim.setStatus", {"vmIds": [ids[0]], "status": "Up"}) == 1
    stats = _by_id(client.call("Host.getAllVmStats"))
    assert stats[ids[0]]["status"] == "Up"
    assert stats[ids[0]]["elapsedTime"] == "0"  # a fresh boot
    assert stats[ids[0]]["network"]["vnet0"]["rx"] == "0"
    assert stats[ids[3]]["elapsedTime"] == "150"
    assert client.call("Sim.setStatus", {"vmIds": [ids[3]], "status": "Paused"}) == 1
    assert client.call("VM.getStats", {"vmID": ids[3]})[0]["status"] == "Paused"
    assert client.call("VM.getStats", {"vmID": ids[3]})[0]["elapsedTime"] == "150"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"vmIds": ["nope"], "status": "Down"}, protocol.NO_SUCH_VM),
        ({"vmIds": [], "status": "Sleeping"}, protocol.INVALID_PARAMS),
        ({"vmIds": "all", "status": "Down"}, protocol.INVALID_PARAMS),
        ({"status": "Down"}, protocol.INVALID_PARAMS),
    ],
)
def test_set_status_rejects_bad_params(
    client: RpcClient, params: dict[str, Any], code: int
) -> None:
    with pytest.raises(RpcCallError) as raised:
        client.call("Sim.setStatus", params)
    assert raised.value.code == code
    assert {vm["status"] for vm in client.call("Host.getVMList")} == {"Up"}


def test_snapshot_is_the_hosts_truth(host: FakeHostServer, client: RpcClient) -> None:
    ids = _ids(client)
    client.call("Sim.setStatus", {"vmIds": [ids[1]], "status": "Down"})
    stats = _by_id(client.call("Host.getAllVmStats"))
    snapshot = client.call("Sim.snapshot")
    assert snapshot["hostId"] == host.hosts[0].spec.id
    by_id = {vm["vmId"]: vm for vm in snapshot["vms"]}
    assert list(by_id) == ids
    up = by_id[ids[0]]
    assert up["status"] == "Up"
    assert up["hash"] == stats[ids[0]]["hash"]
    assert up["dynamic"] == {key: stats[ids[0]][key] for key in DYNAMIC_FIELDS}
    assert [i["name"] for i in up["netIfaces"]] == ["eth0", "eth1"]
    assert all(i["inet"] == sorted(i["inet"]) for i in up["netIfaces"])
    assert up["devices"] == client.call("Host.getVMFullList", {"vmList": [ids[0]]})[0]["devices"]
    down = by_id[ids[1]]
    assert down["status"] == "Down"
    assert down["dynamic"] == {
        key: stats[ids[1]][key] for key in ("exitCode", "exitMessage", "exitReason", "timeOffset")
    }
    assert down["netIfaces"] == []


def test_change_devices_moves_one_address_and_the_hash(client: RpcClient) -> None:
    ids = _ids(client)
    before = client.call("Sim.snapshot")["vms"]
    assert client.call("Sim.changeDevices", {"vmIds": [ids[0], ids[2]]}) == 2
    after = client.call("Sim.snapshot")["vms"]
    for position in (0, 2):
        assert after[position]["hash"] != before[position]["hash"]
        moved = [
            (old, new)
            for old, new in zip(
                before[position]["devices"], after[position]["devices"], strict=True
            )
            if old != new
        ]
        assert len(moved) == 1
        old, new = moved[0]
        assert old["deviceId"] == new["deviceId"]
        assert old["address"]["slot"] != new["address"]["slot"]
    assert after[1] == before[1]
    reported = _by_id(client.call("Host.getAllVmStats"))
    assert reported[ids[0]]["hash"] == after[0]["hash"]
    with pytest.raises(RpcCallError) as raised:
        client.call("Sim.changeDevices", {"vmIds": ["nope"]})
    assert raised.value.code == protocol.NO_SUCH_VM


def test_reset_returns_to_the_initial_state(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    client = connect(start_host(faults=()).ports[0])
    first_poll = client.call("Host.getAllVmStats")
    initial = client.call("Sim.snapshot")
    ids = _ids(client)
    client.call("Sim.setStatus", {"vmIds": ids[:2], "status": "Down"})
    client.call("Sim.changeDevices", {"vmIds": ids})
    client.call("Sim.setFaults", {"faults": ["missing-vms:rate=1"]})
    client.call(
        "VM.hotplugMemory", {"vmID": ids[3], "params": {"memory": {"deviceId": "m1", "size": 1024}}}
    )
    assert client.call("Sim.reset") is True
    assert client.call("Sim.snapshot") == initial
    assert client.call("Host.getAllVmStats") == first_poll  # generators re-seeded
    assert client.call("Sim.stats")["faults"]["missing-vms"] == 0


def test_set_faults_rejects_a_bad_spec(client: RpcClient) -> None:
    with pytest.raises(RpcCallError) as raised:
        client.call("Sim.setFaults", {"faults": ["earthquake:rate=1"]})
    assert raised.value.code == protocol.INVALID_PARAMS
    assert "earthquake" in raised.value.message
    with pytest.raises(RpcCallError) as raised:
        client.call("Sim.setFaults", {"faults": ["delay:rate=7"]})
    assert raised.value.code == protocol.INVALID_PARAMS


def test_sim_stats_counts_requests_connections_and_bytes(
    host: FakeHostServer, connect: Callable[[int], RpcClient]
) -> None:
    first = connect(host.ports[0])
    second = connect(host.ports[0])
    first.call("Host.ping")
    second.call("Host.getVMList")
    stats = first.call("Sim.stats")
    assert stats["requests"] == 3
    assert stats["connections"] == 2
    assert stats["events_sent"] == 0
    assert stats["bytes_sent"] > 0
    assert set(stats["faults"]) == {
        "delay", "drop", "malformed", "duplicate-events", "reorder-events", "missing-vms"
    }  # fmt: skip


def test_commands_reply_true(client: RpcClient) -> None:
    vm_id = _ids(client)[0]
    assert client.call("VM.updateVmPolicy", {"vmID": vm_id, "params": {"vcpuLimit": "50"}})
    assert client.call("VM.setTicket", {"vmID": vm_id, "password": "s3cret", "ttl": 120})


def test_hotplug_memory_adds_a_device_and_changes_the_hash(client: RpcClient) -> None:
    vm_id = _ids(client)[1]
    before = client.call("VM.getStats", {"vmID": vm_id})[0]["hash"]
    memory = {"deviceId": "dimm-1", "size": 1024}
    assert client.call("VM.hotplugMemory", {"vmID": vm_id, "params": {"memory": memory}})
    after = client.call("VM.getStats", {"vmID": vm_id})[0]["hash"]
    assert after != before
    devices = client.call("Host.getVMFullList", {"vmList": [vm_id]})[0]["devices"]
    assert devices[-1]["deviceId"] == "dimm-1"
    assert (devices[-1]["type"], devices[-1]["device"]) == ("memory", "memory")
    assert devices[-1]["address"]["type"] == "dimm"
    with pytest.raises(RpcCallError) as raised:
        client.call("VM.hotplugMemory", {"vmID": vm_id, "params": {"memory": memory}})
    assert raised.value.code == protocol.INVALID_PARAMS


@pytest.mark.parametrize(
    ("method", "params", "code"),
    [
        ("VM.updateVmPolicy", {"vmID": "nope", "params": {}}, protocol.NO_SUCH_VM),
        ("VM.setTicket", {"vmID": "nope", "password": "x", "ttl": 1}, protocol.NO_SUCH_VM),
        ("VM.hotplugMemory", {"vmID": "nope", "params": {}}, protocol.NO_SUCH_VM),
        ("VM.updateVmPolicy", {"vmID": "FIRST"}, protocol.INVALID_PARAMS),
        ("VM.setTicket", {"vmID": "FIRST", "password": "x", "ttl": True}, protocol.INVALID_PARAMS),
        ("VM.hotplugMemory", {"vmID": "FIRST", "params": {"memory": {"deviceId": "d"}}}, -32602),
        ("VM.getStats", {}, protocol.INVALID_PARAMS),
        ("Host.getVMFullList", {"vmList": "all"}, protocol.INVALID_PARAMS),
        ("Events.subscribe", {"pattern": 3}, protocol.INVALID_PARAMS),
    ],
)  # fmt: skip
def test_bad_command_params(
    client: RpcClient, method: str, params: dict[str, Any], code: int
) -> None:
    if params.get("vmID") == "FIRST":
        params = {**params, "vmID": _ids(client)[0]}
    with pytest.raises(RpcCallError) as raised:
        client.call(method, params)
    assert raised.value.code == code


def test_command_latency_never_blocks_other_requests(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    server = start_host(command_latency_ms=60_000)
    client = connect(server.ports[0])
    other = connect(server.ports[0])
    vm_id = _ids(client)[0]
    command = client.send("VM.updateVmPolicy", {"vmID": vm_id, "params": {}})
    ping = client.send("Host.ping")
    assert client.response(ping)["result"] is True  # answered while the command waits
    assert other.call("Host.getVMList")
    assert client.events == []
    del command  # the server cancels the pending reply when the test closes the connection


def test_command_replies_after_its_latency(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    client = connect(start_host(command_latency_ms=50).ports[0])
    vm_id = _ids(client)[0]
    assert client.call("VM.setTicket", {"vmID": vm_id, "password": "p", "ttl": 5}) is True


def test_destroy_forgets_an_exited_vm_until_it_starts_again(client: RpcClient) -> None:
    down, running = _ids(client)[:2]
    client.call("Sim.setStatus", {"vmIds": [down], "status": "Down"})
    assert down in _ids(client)  # a host keeps reporting an exited VM ...
    assert client.call("VM.destroy", {"vmID": down}) is True  # ... until the manager destroys it
    assert down not in _ids(client)
    assert down not in [s["vmId"] for s in client.call("Host.getAllVmStats")]
    with pytest.raises(RpcCallError) as raised:
        client.call("VM.getStats", {"vmID": down})
    assert raised.value.code == protocol.NO_SUCH_VM
    truth = {vm["vmId"]: vm["status"] for vm in client.call("Sim.snapshot")["vms"]}
    assert truth[down] == "Down"
    assert client.call("Sim.setStatus", {"vmIds": [down], "status": "Up"}) == 1
    assert down in _ids(client)
    client.call("VM.destroy", {"vmID": running})  # destroying a running VM stops it first
    assert {vm["vmId"]: vm["status"] for vm in client.call("Sim.snapshot")["vms"]}[
        running
    ] == "Down"
    assert running not in _ids(client)


def test_info_says_what_the_host_serves(host: FakeHostServer, client: RpcClient) -> None:
    info = client.call("Sim.info")
    spec = host_spec(host.config.seed, 0, 4, 2, 1)
    assert info["hostId"] == spec.id
    assert info["index"] == 0
    assert (info["vms"], info["vnics"], info["disks"]) == (4, 2, 1)
    assert info["seed"] == host.config.seed
