"""A peer that stops reading costs the host little and stalls nobody (issue 14), either protocol."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable

import pytest

from tests.unit.fakehost.client import RpcCallError, RpcClient
from tests.unit.fakehost.conftest import StartHost
from tests.unit.fakehost.stomp_client import EVENTS
from vmmonbench import protocol
from vmmonbench.fakehost import FakeHostServer
from vmmonbench.fakehost.host import MAX_PATTERN_CHARS
from vmmonbench.fakehost.limits import ConnectionLimits
from vmmonbench.stomp import frames

SMALL = ConnectionLimits(
    event_backlog_bytes=256 << 10,
    total_backlog_bytes=4 << 20,
    stall_timeout_s=0.5,
    inflight_per_connection=8,
    max_connections=6,
    sweep_interval_s=0.05,
)
ALL_VMS = "|virt|VM_status|*"
WAIT_S = 20.0


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def _non_reader(port: int, first: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(first)
    return sock


def _send_until_blocked(sock: socket.socket, data: bytes, limit: int) -> int:
    """Bytes sent before the peer stopped taking them (the limit is far beyond any buffer)."""
    sent = 0
    while sent < limit:
        try:
            sock.sendall(data)
        except TimeoutError:
            return sent
        sent += len(data)
    return sent


def _connections(server: FakeHostServer) -> int:
    return len(server._connections)


def _stomp_events_subscriber() -> bytes:
    return frames.encode("CONNECT", {"accept-version": "1.2"}) + frames.encode(
        "SUBSCRIBE", {"destination": EVENTS, "id": "e"}
    )


@pytest.mark.parametrize("wire", ["line", "stomp"])
def test_a_subscriber_that_stops_reading_is_cut_off_and_others_carry_on(
    start_host: StartHost, connect: Callable[[int], RpcClient], wire: str
) -> None:
    server = start_host(vms=500, limits=SMALL)
    first = (
        protocol.request(1, "Events.subscribe", {"pattern": ALL_VMS})
        if wire == "line"
        else _stomp_events_subscriber()
    )
    victim = _non_reader(server.ports[0], first)
    reader = connect(server.ports[0])
    reader.call("Events.subscribe", {"pattern": ALL_VMS})
    driver = connect(server.ports[0])
    vm_ids = [vm["vmId"] for vm in driver.call("Host.getVMList")]
    _wait_until(lambda: _connections(server) == 3, "all three are connected")
    for flip in range(20):
        status = "Paused" if flip % 2 == 0 else "Up"
        driver.call("Sim.setStatus", {"vmIds": vm_ids, "status": status})
        for _ in vm_ids:
            reader.next_event()  # a reading subscriber gets every event
    _wait_until(lambda: _connections(server) == 2, "the non-reader is cut off")
    assert server.ledger.total <= SMALL.total_backlog_bytes
    assert driver.call("Host.ping") is True
    victim.close()


@pytest.mark.parametrize("wire", ["line", "stomp"])
def test_pipelined_commands_from_a_non_reader_stop_being_read(
    start_host: StartHost, connect: Callable[[int], RpcClient], wire: str
) -> None:
    server = start_host(vms=2, limits=SMALL, command_latency_ms=60_000.0)
    vm_id = connect(server.ports[0]).call("Host.getVMList")[0]["vmId"]
    command = protocol.request(7, "VM.setTicket", {"vmID": vm_id, "password": "x", "ttl": 1})
    first = b""
    if wire == "stomp":
        first = frames.encode("CONNECT", {"accept-version": "1.2"})
        headers = {"destination": "jms.topic.vdsm_requests", "reply-to": "r"}
        command = frames.encode("SEND", headers, command[:-1])
    attacker = _non_reader(server.ports[0], first)
    attacker.settimeout(0.5)
    sent = _send_until_blocked(attacker, command * 1000, limit=64 << 20)
    control = connect(server.ports[0])
    requests = control.call("Sim.stats")["requests"]
    # the host read only what fits in the in-flight bound (+ the one waiting for room)
    assert requests <= 1 + SMALL.inflight_per_connection + 1 + 1
    assert sent < 64 << 20
    assert control.call("Host.ping") is True
    attacker.close()


def test_a_peer_whose_reply_does_not_move_is_cut_off_after_the_stall_timeout(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    server = start_host(vms=3000, limits=SMALL)
    stalled = _non_reader(server.ports[0], protocol.request(1, "Host.getAllVmStats"))
    _wait_until(lambda: _connections(server) == 1, "the stalled peer is connected")
    _wait_until(lambda: _connections(server) == 0, "the stalled peer is cut off")
    assert connect(server.ports[0]).call("Host.ping") is True
    stalled.close()


def test_the_largest_queues_are_cut_when_all_together_are_over_budget(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    budget = ConnectionLimits(total_backlog_bytes=2 << 20, sweep_interval_s=0.05)
    server = start_host(vms=2000, limits=budget)
    hogs = [_non_reader(server.ports[0], protocol.request(1, "Sim.snapshot")) for _ in range(3)]
    _wait_until(lambda: server.ledger.total <= budget.total_backlog_bytes, "under budget")
    _wait_until(lambda: _connections(server) < 3, "hogs are cut off")
    assert connect(server.ports[0]).call("Host.ping") is True
    for hog in hogs:
        hog.close()


def test_connections_beyond_the_cap_are_refused(
    start_host: StartHost, connect: Callable[[int], RpcClient]
) -> None:
    server = start_host(limits=SMALL)
    clients = [connect(server.ports[0]) for _ in range(SMALL.max_connections)]
    for client in clients:
        assert client.call("Host.ping") is True
    extra = socket.create_connection(("127.0.0.1", server.ports[0]), timeout=10)
    extra.sendall(protocol.request(1, "Host.ping"))
    with contextlib.suppress(ConnectionResetError):  # refused with a reset: as good as a close
        assert extra.recv(1024) == b""
    extra.close()
    clients[0].close()
    _wait_until(lambda: _connections(server) < SMALL.max_connections, "a slot is free")
    assert connect(server.ports[0]).call("Host.ping") is True


@pytest.mark.parametrize(
    "pattern", ["|virt|VM_status|" + "*a" * 2000, "*" * 9, "x" * (MAX_PATTERN_CHARS + 1)]
)
def test_a_huge_or_wild_subscribe_glob_is_refused(client: RpcClient, pattern: str) -> None:
    with pytest.raises(RpcCallError) as refused:
        client.call("Events.subscribe", {"pattern": pattern})
    assert refused.value.code == protocol.INVALID_PARAMS


def test_what_a_connection_owned_is_freed_when_it_goes(
    host: FakeHostServer, connect: Callable[[int], RpcClient]
) -> None:
    leaving = RpcClient(host.ports[0])
    leaving.call("Events.subscribe", {"pattern": "|virt|VM_status|" + "*" * 8})
    assert len(host.hosts[0]._subscribers) == 1
    leaving.close()
    _wait_until(lambda: not host.hosts[0]._subscribers, "the subscription is gone")
    _wait_until(lambda: host.ledger.total == 0, "its queue is forgotten")
    assert connect(host.ports[0]).call("Host.ping") is True
