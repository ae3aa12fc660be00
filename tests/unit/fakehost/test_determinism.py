"""The same seed, clock and call sequence give byte-identical replies; another seed does not."""

from __future__ import annotations

from collections.abc import Callable

from tests.unit.fakehost.client import RpcClient
from tests.unit.fakehost.conftest import FakeClock, StartHost


def _run(start_host: StartHost, seed: int) -> list[bytes]:
    clock = FakeClock()
    server = start_host(host_clock=clock, seed=seed, vms=6)
    return _events_and_replies(server.ports[0], clock)


def _events_and_replies(port: int, clock: FakeClock) -> list[bytes]:
    replies: list[bytes] = []
    with RpcClient(port) as client, RpcClient(port) as subscriber:
        subscriber.call("Events.subscribe", {"pattern": "|virt|VM_status|*"})

        def call(method: str, params: dict[str, object] | None = None) -> None:
            client.send(method, params)
            replies.append(client.read_line())

        ids = [vm["vmId"] for vm in client.call("Host.getVMList")]
        for step in range(3):
            clock.advance(15)
            call("Host.getAllVmStats")
            call("Host.getVMList")
            call("VM.getStats", {"vmID": ids[step]})
        call("Sim.setFaults", {"faults": ["missing-vms:rate=0.5", "duplicate-events:rate=0.5"]})
        call("Sim.setStatus", {"vmIds": ids[:3], "status": "Down"})
        clock.advance(3)
        call("Sim.setStatus", {"vmIds": ids[:2], "status": "Up"})
        call("Sim.changeDevices", {"vmIds": ids[1:]})
        call("Host.getAllVmStats")
        call("Host.getVMFullList")
        call("Sim.snapshot")
        stats = client.call("Sim.stats")
        replies.extend(subscriber.read_line() for _ in range(stats["events_sent"]))
    return replies


def test_same_seed_and_clock_give_identical_bytes(start_host: StartHost) -> None:
    first = _run(start_host, seed=7)
    second = _run(start_host, seed=7)
    assert len(first) > 15
    assert first == second


def test_another_seed_gives_other_hosts_and_values(start_host: StartHost) -> None:
    assert _run(start_host, seed=7)[0] != _run(start_host, seed=8)[0]


def test_hosts_of_one_process_differ_and_use_global_indexes(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    pair = start_host(hosts=2, host_offset=5, vms=2)
    assert [h.index for h in pair.hosts] == [5, 6]
    alone = start_host(hosts=1, host_offset=6, vms=2)
    first, second = (connect(port).call("Sim.snapshot") for port in pair.ports)
    assert first["hostId"] != second["hostId"]
    assert connect(alone.ports[0]).call("Sim.snapshot") == second
