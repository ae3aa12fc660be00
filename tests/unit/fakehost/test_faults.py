"""Each fault kind is observable on the wire and counted in Sim.stats; Sim.* is never faulted."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest

from tests.unit.fakehost.client import RpcClient
from tests.unit.fakehost.conftest import FakeClock, StartHost
from vmmonbench.fakehost import FakeHostServer
from vmmonbench.faults import parse_fault

ALL_VMS = "|virt|VM_status|*"


def _faulted(start_host: StartHost, *specs: str, **fields: object) -> FakeHostServer:
    return start_host(faults=tuple(parse_fault(s) for s in specs), **fields)


def _fault_counts(port: int) -> dict[str, int]:
    with RpcClient(port) as control:
        counts: dict[str, int] = control.call("Sim.stats")["faults"]
    return counts


def test_delay_holds_the_response_but_not_the_connection(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    server = _faulted(start_host, "delay:rate=1,seconds=1")
    client = connect(server.ports[0])
    delayed = client.send("Host.ping")
    control = client.send("Sim.stats")  # never faulted: overtakes the held ping
    first = client.read_message()
    assert first["id"] == control
    assert first["result"]["faults"]["delay"] == 1
    assert client.read_message() == {"jsonrpc": "2.0", "id": delayed, "result": True}


def test_drop_writes_part_of_the_response_then_closes(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    server = _faulted(start_host, "drop:rate=1")
    client = connect(server.ports[0])
    client.send("Host.getVMList")
    partial = client.read_line()
    assert partial
    assert not partial.endswith(b"\n")
    assert client.read_line() == b""  # closed
    assert _fault_counts(server.ports[0])["drop"] == 1


def test_malformed_sends_an_unparsable_line(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    server = _faulted(start_host, "malformed:rate=1")
    client = connect(server.ports[0])
    for method in ("Host.ping", "Host.getAllVmStats"):
        client.send(method)
        line = client.read_line()
        assert line.endswith(b"\n")
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(line)
    assert client.call("Sim.stats")["faults"]["malformed"] == 2


def test_duplicate_events_are_sent_twice(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    server = _faulted(start_host, "duplicate-events:rate=1")
    subscriber = connect(server.ports[0])
    subscriber.call("Events.subscribe", {"pattern": ALL_VMS})
    vm_id = subscriber.call("Host.getVMList")[0]["vmId"]
    subscriber.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Down"})
    first, second = subscriber.next_event(), subscriber.next_event()
    assert first == second
    stats = subscriber.call("Sim.stats")
    assert stats["faults"]["duplicate-events"] == 1
    assert stats["events_sent"] == 2


def test_reorder_events_follows_an_event_with_a_stale_copy(
    start_host: StartHost, connect: Callable[[int], RpcClient], clock: FakeClock
) -> None:
    server = _faulted(start_host, "reorder-events:rate=1")
    subscriber = connect(server.ports[0])
    subscriber.call("Events.subscribe", {"pattern": ALL_VMS})
    vm_id = subscriber.call("Host.getVMList")[0]["vmId"]
    subscriber.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Down"})
    clock.advance(1)
    subscriber.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Up"})
    down = subscriber.next_event()
    up = subscriber.next_event()
    stale = subscriber.next_event()
    assert up["params"][vm_id]["status"] == "Up"
    assert stale == down
    assert stale["params"]["notify_time"] < up["params"]["notify_time"]
    assert subscriber.call("Sim.stats")["faults"]["reorder-events"] == 1


def test_missing_vms_leaves_vms_out_of_polls(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    server = _faulted(start_host, "missing-vms:rate=1", vms=5)
    client = connect(server.ports[0])
    assert client.call("Host.getAllVmStats") == []
    assert client.call("Host.getVMList") == []
    assert len(client.call("Sim.snapshot")["vms"]) == 5
    assert client.call("Sim.stats")["faults"]["missing-vms"] == 10
    client.call("Sim.setFaults", {"faults": ["missing-vms:rate=0.5"]})
    sizes = {len(client.call("Host.getAllVmStats")) for _ in range(10)}
    assert min(sizes) < 5
    assert max(sizes) > 0


def test_sim_methods_are_never_faulted(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    server = _faulted(start_host, "drop:rate=1", "malformed:rate=1", "delay:rate=1,seconds=60")
    client = connect(server.ports[0])
    snapshot = client.call("Sim.snapshot")
    vm_id = snapshot["vms"][0]["vmId"]
    assert client.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Down"}) == 1
    assert client.call("Sim.stats")["faults"] == {
        "delay": 0, "drop": 0, "malformed": 0,
        "duplicate-events": 0, "reorder-events": 0, "missing-vms": 0,
    }  # fmt: skip
    assert client.call("Sim.setFaults", {"faults": []}) is True
    assert client.call("Host.ping") is True


def test_faults_apply_only_to_their_hosts(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    server = _faulted(start_host, "missing-vms:rate=1,hosts=1", hosts=2, vms=3)
    spared, hit = (connect(port) for port in server.ports)
    assert len(spared.call("Host.getVMList")) == 3
    assert hit.call("Host.getVMList") == []
    assert spared.call("Sim.stats")["active_faults"] == []
    assert hit.call("Sim.stats")["active_faults"] == ["missing-vms:rate=1,hosts=1"]


def test_fault_draws_are_seeded(start_host: StartHost) -> None:
    def sizes() -> list[int]:
        server = _faulted(start_host, "missing-vms:rate=0.5", vms=20, seed=3)
        with RpcClient(server.ports[0]) as client:
            return [len(client.call("Host.getAllVmStats")) for _ in range(5)]

    assert sizes() == sizes()


def test_reset_restores_the_start_faults(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    client = connect(_faulted(start_host, "missing-vms:rate=1").ports[0])
    client.call("Sim.setFaults", {"faults": []})
    assert len(client.call("Host.getVMList")) == 4
    client.call("Sim.reset")
    assert client.call("Host.getVMList") == []
