"""VM_status events: subscription, order, content, and delivery to every subscriber."""

from __future__ import annotations

from collections.abc import Callable

from tests.unit.fakehost.client import RpcClient
from tests.unit.fakehost.conftest import FakeClock
from vmmonbench import protocol
from vmmonbench.fakehost import FakeHostServer
from vmmonbench.fakehost.vmstate import DYNAMIC_FIELDS

ALL_VMS = protocol.EVENT_PREFIX + "*"


def test_events_reach_every_subscriber_in_order(
    host: FakeHostServer, connect: Callable[[int], RpcClient], clock: FakeClock
) -> None:
    control = connect(host.ports[0])
    subscribers = [connect(host.ports[0]) for _ in range(3)]
    for subscriber in subscribers:
        assert subscriber.call("Events.subscribe", {"pattern": ALL_VMS}) is True
    ids = [vm["vmId"] for vm in control.call("Host.getVMList")]
    clock.advance(1)
    control.call("Sim.setStatus", {"vmIds": [ids[2], ids[0]], "status": "Down"})
    clock.advance(1)
    control.call("Sim.setStatus", {"vmIds": [ids[0]], "status": "Up"})
    expected = [
        (ids[2], "Down", 1_001_000),
        (ids[0], "Down", 1_001_000),
        (ids[0], "Up", 1_002_000),
    ]
    streams = []
    for subscriber in subscribers:
        events = [subscriber.next_event() for _ in expected]
        streams.append(events)
        seen = [
            (e["method"].removeprefix(protocol.EVENT_PREFIX), *_status_and_time(e)) for e in events
        ]
        assert seen == expected
    assert streams[0] == streams[1] == streams[2]
    assert control.events == []  # not subscribed
    assert control.call("Sim.stats")["events_sent"] == 9


def _status_and_time(event: dict[str, object]) -> tuple[str, int]:
    params = event["params"]
    assert isinstance(params, dict)
    (vm_id,) = [k for k in params if k != "notify_time"]
    return params[vm_id]["status"], params["notify_time"]


def test_event_content(host: FakeHostServer, connect: Callable[[int], RpcClient]) -> None:
    control = connect(host.ports[0])
    subscriber = connect(host.ports[0])
    subscriber.call("Events.subscribe", {"pattern": ALL_VMS})
    vm_id = control.call("Host.getVMList")[0]["vmId"]
    stats = control.call("VM.getStats", {"vmID": vm_id})[0]
    control.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Paused"})
    paused = subscriber.next_event()
    assert paused["jsonrpc"] == "2.0"
    assert "id" not in paused
    assert paused["method"] == f"|virt|VM_status|{vm_id}"
    assert set(paused["params"]) == {vm_id, "notify_time"}
    fields = paused["params"][vm_id]
    assert fields["status"] == "Paused"
    assert fields["statusTime"] == str(paused["params"]["notify_time"])
    assert fields["hash"] == stats["hash"]
    for key in DYNAMIC_FIELDS:
        assert fields[key] == stats[key]
    control.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Down"})
    down = subscriber.next_event()["params"][vm_id]
    assert down == {
        "status": "Down",
        "statusTime": down["statusTime"],
        "exitCode": "NORMAL",
        "exitMessage": "Admin shut down from the engine",
        "exitReason": "admin shutdown",
        "timeOffset": 0,
    }


def test_a_pattern_for_one_vm_gets_only_its_events(
    host: FakeHostServer, connect: Callable[[int], RpcClient]
) -> None:
    control = connect(host.ports[0])
    ids = [vm["vmId"] for vm in control.call("Host.getVMList")]
    one = connect(host.ports[0])
    one.call("Events.subscribe", {"pattern": protocol.status_event_method(ids[1])})
    control.call("Sim.setStatus", {"vmIds": ids, "status": "Down"})
    assert one.next_event()["method"] == protocol.status_event_method(ids[1])
    assert one.call("Host.ping") is True
    assert one.events == []


def test_no_event_when_nothing_changes(
    host: FakeHostServer, connect: Callable[[int], RpcClient]
) -> None:
    subscriber = connect(host.ports[0])
    subscriber.call("Events.subscribe", {"pattern": ALL_VMS})
    ids = [vm["vmId"] for vm in subscriber.call("Host.getVMList")]
    assert subscriber.call("Sim.setStatus", {"vmIds": ids, "status": "Up"}) == 0
    subscriber.call("Sim.changeDevices", {"vmIds": ids})
    subscriber.call("Host.getAllVmStats")
    assert subscriber.events == []
    assert subscriber.call("Sim.stats")["events_sent"] == 0


def test_a_closed_subscriber_does_not_stop_the_others(
    host: FakeHostServer, connect: Callable[[int], RpcClient]
) -> None:
    gone = RpcClient(host.ports[0])
    gone.call("Events.subscribe", {"pattern": ALL_VMS})
    gone.close()
    staying = connect(host.ports[0])
    staying.call("Events.subscribe", {"pattern": ALL_VMS})
    vm_id = staying.call("Host.getVMList")[0]["vmId"]
    staying.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Down"})
    assert staying.next_event()["method"].endswith(vm_id)
