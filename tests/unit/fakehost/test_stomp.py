"""STOMP 1.2 as VDSM serves it, driven by stomp.py as the engine and as VDSM's client would."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import orjson
import pytest

from tests.unit.fakehost.client import RpcClient
from tests.unit.fakehost.conftest import FakeClock, StartHost
from tests.unit.fakehost.stomp_client import EVENTS, REQUESTS, StompRpc, Style
from tests.unit.fakehost.vdsm_schema import VdsmSchema
from vmmonbench import protocol
from vmmonbench.fakehost import FakeHostServer
from vmmonbench.faults import parse_fault
from vmmonbench.stomp import frames

STYLES: list[Style] = ["engine", "vdsm"]
OpenStomp = Callable[..., StompRpc]


@pytest.fixture
def open_stomp() -> Iterator[OpenStomp]:
    """open_stomp(port, style, ...) -> a connected stomp.py client; all closed at the end."""
    with ExitStack() as stack:

        def start(port: int, style: Style, **options: object) -> StompRpc:
            client = StompRpc(port, style, **options)  # type: ignore[arg-type]
            stack.callback(client.close)
            return client

        yield start


def _raw(port: int, data: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if data:
        sock.sendall(data)
    return sock


def _read_frames(sock: socket.socket, count: int) -> list[frames.Frame]:
    parser = frames.FrameParser(max_body_bytes=1 << 26)
    found: list[frames.Frame] = []
    while len(found) < count:
        chunk = sock.recv(1 << 16)
        assert chunk, f"closed after {len(found)} frames"
        for item in parser.feed(chunk):
            assert isinstance(item, frames.Frame), item
            found.append(item)
    return found


def _connect(heart_beat: str | None = None) -> bytes:
    headers = {"accept-version": "1.2"}
    if heart_beat is not None:
        headers["heart-beat"] = heart_beat
    return frames.encode("CONNECT", headers)


VERBS_WITH_SCHEMA = [
    ("Host.ping2", {}),
    ("Host.confirmConnectivity", {}),
    ("Host.getCapabilities", {}),
    ("Host.getHardwareInfo", {}),
    ("Host.getStats", {}),
    ("Host.hostdevListByCaps", {}),
    ("Host.hostdevListByCaps", {"caps": ["pci"]}),
    ("Host.getAllVmStats", {}),
]


@pytest.mark.parametrize("style", STYLES)
def test_every_verb_answers_and_validates_against_vdsms_schema(
    host: FakeHostServer,
    open_stomp: OpenStomp,
    vdsm_schema: VdsmSchema,
    style: Style,
) -> None:
    client = open_stomp(host.ports[0], style)
    for method, params in VERBS_WITH_SCHEMA:
        result = client.call(method, params)
        if method in vdsm_schema.returns:
            assert vdsm_schema.return_errors(result, method) == [], method
    assert client.call("Host.ping") is True
    listed = client.call("Host.getVMList")
    vm_ids = [vm["vmId"] for vm in listed]
    assert len(vm_ids) == 4
    (stats,) = client.call("VM.getStats", {"vmID": vm_ids[0]})
    assert vdsm_schema.errors(stats, "VmStats") == []
    assert [vm["vmId"] for vm in client.call("Host.getVMFullList", {"vmList": vm_ids[:2]})] == (
        vm_ids[:2]
    )
    xmls = client.call("Host.dumpxmls", {"vmList": vm_ids[:2]})
    assert set(xmls) == set(vm_ids[:2])
    assert f"<uuid>{vm_ids[0]}</uuid>" in xmls[vm_ids[0]]
    assert client.call("Host.setMOMPolicyParameters", {"key_value_store": {"ksmEnabled": 1}})
    assert client.call("VM.setTicket", {"vmID": vm_ids[0], "password": "p", "ttl": 30})
    assert client.call("Sim.setStatus", {"vmIds": vm_ids[:1], "status": "Paused"}) == 1
    assert client.call("Sim.info")["vms"] == 4


@pytest.mark.parametrize("style", STYLES)
def test_capabilities_carry_what_an_engine_validates(
    host: FakeHostServer, open_stomp: OpenStomp, style: Style
) -> None:
    caps = open_stomp(host.ports[0], style).call("Host.getCapabilities")
    assert {"4.2", "4.7"} <= set(caps["clusterLevels"])
    assert "ovirtmgmt" in caps["networks"]
    assert caps["networks"]["ovirtmgmt"]["bridged"] is True
    assert "model_Skylake-Server" in caps["cpuFlags"].split(",")
    assert caps["kvmEnabled"] == "true"
    assert int(caps["memSize"]) >= 65536
    assert caps["uuid"].lower() == host.hosts[0].spec.id


@pytest.mark.parametrize("style", STYLES)
def test_errors_echo_the_request_id(
    host: FakeHostServer, open_stomp: OpenStomp, style: Style
) -> None:
    client = open_stomp(host.ports[0], style)
    for method, code in (
        ("Host.reboot", protocol.METHOD_NOT_FOUND),
        ("Events.subscribe", protocol.METHOD_NOT_FOUND),  # over STOMP, SUBSCRIBE subscribes
        ("VM.getStats", protocol.INVALID_PARAMS),
    ):
        request_id = client.send(method, {"pattern": "*"} if method == "Events.subscribe" else {})
        reply = client.response(request_id)
        assert reply["id"] == request_id
        assert reply["error"]["code"] == code


@pytest.mark.parametrize("style", STYLES)
def test_events_reach_every_subscription_in_order(
    host: FakeHostServer, open_stomp: OpenStomp, style: Style, clock: FakeClock
) -> None:
    watchers = [open_stomp(host.ports[0], style, events=2) for _ in range(2)]
    driver = open_stomp(host.ports[0], "engine", events=0)
    vm_ids = [vm["vmId"] for vm in driver.call("Host.getVMList")]
    changes = [("Down", vm_ids[0]), ("Paused", vm_ids[1]), ("Up", vm_ids[0])]
    for status, vm_id in changes:
        clock.advance(1)
        assert driver.call("Sim.setStatus", {"vmIds": [vm_id], "status": status}) == 1
    assert driver.events == []
    for watcher in watchers:
        seen: dict[str, list[tuple[str, str]]] = {sid: [] for sid in watcher.event_subscriptions}
        while any(len(got) < len(changes) for got in seen.values()):
            event = watcher.next_event()
            assert event["_headers"]["destination"] == EVENTS
            (vm_id,) = (key for key in event["params"] if key != "notify_time")
            assert event["method"] == protocol.status_event_method(vm_id)
            assert isinstance(event["params"]["notify_time"], int)
            assert "id" not in event
            sid = event["_headers"]["subscription"]
            seen[sid].append((event["params"][vm_id]["status"], vm_id))
        assert all(got == changes for got in seen.values())


def test_a_burst_of_events_is_packed_into_one_notification(
    host: FakeHostServer, open_stomp: OpenStomp
) -> None:
    watcher = open_stomp(host.ports[0], "engine")
    vm_ids = [vm["vmId"] for vm in watcher.call("Host.getVMList")]
    assert watcher.call("Sim.setStatus", {"vmIds": vm_ids, "status": "Paused"}) == 4
    event = watcher.next_event()
    assert set(event["params"]) == {*vm_ids, "notify_time"}
    assert event["method"] == protocol.status_event_method(vm_ids[0])


def test_unsubscribe_stops_events(host: FakeHostServer, open_stomp: OpenStomp) -> None:
    watcher = open_stomp(host.ports[0], "vdsm")
    watcher.connection.unsubscribe(watcher.event_subscriptions[0])
    vm_ids = [vm["vmId"] for vm in watcher.call("Host.getVMList")]
    watcher.call("Sim.setStatus", {"vmIds": vm_ids[:1], "status": "Down"})
    assert watcher.call("Host.ping2") is True
    assert watcher.events == []
    assert watcher.call("Sim.stats")["events_sent"] == 0


@pytest.mark.parametrize(
    ("asked", "answered"),
    [
        (None, "0,0"),
        ("0,0", "0,0"),
        ("0,24000", "24000,0"),  # VDSM's Python client
        ("0,15000", "15000,0"),  # the engine
        ("10,300", "1000,1000"),  # raised to a second
        ("garbage", "0,0"),
    ],
)
def test_connected_follows_vdsms_heart_beat_rule(
    host: FakeHostServer, asked: str | None, answered: str
) -> None:
    with _raw(host.ports[0], _connect(asked)) as sock:
        (connected,) = _read_frames(sock, 1)
    assert connected.command == "CONNECTED"
    assert connected.headers == {"version": "1.2", "heart-beat": answered}


def test_only_version_1_2_is_accepted(host: FakeHostServer) -> None:
    data = frames.encode("CONNECT", {"accept-version": "1.1,1.2"})
    with _raw(host.ports[0], data) as sock:
        (error,) = _read_frames(sock, 1)
    assert error.command == "ERROR"
    assert b"Version unsupported" in error.body


def test_heart_beats_flow_both_ways(host: FakeHostServer, open_stomp: OpenStomp) -> None:
    client = open_stomp(host.ports[0], "vdsm", heartbeats=(1000, 1000))
    assert client.listener.connected_headers["heart-beat"] == "1000,1000"
    deadline = time.monotonic() + 15
    while client.listener.heartbeats < 3 and time.monotonic() < deadline:
        client.listener.heartbeat_seen.wait(5)
        client.listener.heartbeat_seen.clear()
    assert client.listener.heartbeats >= 3  # the host beat at least three times while idle
    # the client's own beats kept it alive past twice its promised interval
    assert client.call("Host.ping2") is True
    assert not client.listener.disconnected.is_set()


def test_a_client_that_promised_heart_beats_and_went_silent_is_dropped(
    host: FakeHostServer, connect: Callable[[int], RpcClient]
) -> None:
    with _raw(host.ports[0], _connect("1000,0")) as sock:
        (connected,) = _read_frames(sock, 1)
        assert connected.headers["heart-beat"] == "0,1000"
        started = time.monotonic()
        sock.settimeout(15)
        assert sock.recv(1024) == b""  # closed by the host
        assert time.monotonic() - started >= 1.5
    assert connect(host.ports[0]).call("Host.ping") is True


def test_a_silent_engine_keeps_its_connection_and_gets_beats(host: FakeHostServer) -> None:
    with _raw(host.ports[0], _connect("0,1000")) as sock:
        (connected,) = _read_frames(sock, 1)
        assert connected.headers["heart-beat"] == "1000,0"
        sock.settimeout(10)
        assert sock.recv(16) == frames.HEARTBEAT


def _send(body: bytes, reply_to: str = "q", destination: str = REQUESTS) -> bytes:
    return frames.encode("SEND", {"destination": destination, "reply-to": reply_to}, body)


def _subscribe(destination: str, sid: str) -> bytes:
    return frames.encode("SUBSCRIBE", {"destination": destination, "id": sid, "ack": "auto"})


PING = orjson.dumps({"jsonrpc": "2.0", "id": "p", "method": "Host.ping2", "params": {}})


@pytest.mark.parametrize(
    ("garbage", "expect"),
    [
        (b"FOO\n\n\0", "unknown or unexpected command"),
        (b"STOMPISH\n\n\0", "unknown or unexpected command"),
        (b"SEND\nno colon here\n\n\0", "without a colon"),
        (b"MESSAGE\ndestination:x\n\n\0", "unknown or unexpected command"),
        (b"SUBSCRIBE\nid:1\n\n\0", "Missing destination"),
        (b"SEND\ndestination:nowhere\n\n{}\0", "Subscription not available"),
        (b"SEND\ndestination:jms.topic.vdsm_requests\n\n{}\0", "without reply-to"),
        (b"SEND\xff\xfe\nx:y\n\n\0", "not UTF-8"),
    ],
)
def test_garbage_frames_get_an_error_and_the_session_lives_on(
    host: FakeHostServer, garbage: bytes, expect: str
) -> None:
    start = _connect() + _subscribe("q", "s1")
    with _raw(host.ports[0], start + garbage + _send(PING)) as sock:
        connected, *rest = _read_frames(sock, 3)
    assert connected.command == "CONNECTED"
    error, reply = rest
    assert error.command == "ERROR"
    assert expect.encode() in error.body or expect in error.headers.get("message", "")
    assert reply.command == "MESSAGE"
    assert orjson.loads(reply.body) == {"jsonrpc": "2.0", "id": "p", "result": True}


@pytest.mark.parametrize(
    "garbage", [b"SEND\ncontent-length:x\n\n\0", b"SEND\ncontent-length:2\n\nabc\0"]
)
def test_unrecoverable_framing_gets_an_error_then_a_close(
    host: FakeHostServer, connect: Callable[[int], RpcClient], garbage: bytes
) -> None:
    with _raw(host.ports[0], _connect() + garbage) as sock:
        _connected, error = _read_frames(sock, 2)
        assert error.command == "ERROR"
        sock.settimeout(10)
        assert sock.recv(1024) == b""
    assert connect(host.ports[0]).call("Host.ping") is True


def test_an_oversized_body_is_refused_and_skipped_whole(host: FakeHostServer) -> None:
    big = b"x" * (protocol.MAX_REQUEST_LINE + 10)
    with _raw(host.ports[0], _connect() + _subscribe("q", "s")) as sock:
        sock.sendall(_send(big) + _send(big[:-20].replace(b"x", b" ") + b"\n") + _send(PING))
        _connected, error, *rest = _read_frames(sock, 4)
    assert error.command == "ERROR"
    assert b"frame body over" in error.body
    (reply,) = [orjson.loads(f.body) for f in rest if orjson.loads(f.body).get("id") == "p"]
    assert reply["result"] is True


def test_a_stomp_first_frame_is_not_recognised_like_vdsm(host: FakeHostServer) -> None:
    with _raw(host.ports[0], b"STOMP\naccept-version:1.2\n\n\0\n") as sock:
        reply = orjson.loads(sock.makefile("rb").readline())
    assert reply["error"]["code"] == protocol.PARSE_ERROR  # the line protocol answered


def test_subscription_ids_are_per_connection_and_unique(host: FakeHostServer) -> None:
    data = _connect() + _subscribe(EVENTS, "a") + _subscribe(EVENTS, "a")
    with _raw(host.ports[0], data) as sock, _raw(host.ports[0], _subscribe(EVENTS, "a")) as other:
        _connected, error = _read_frames(sock, 2)
        other.sendall(frames.encode("DISCONNECT", {"receipt": "r"}))
        (receipt,) = _read_frames(other, 1)
    assert b"already exists" in error.body
    assert receipt.command == "RECEIPT"  # the same id on another connection was fine


def test_disconnect_gets_a_receipt_then_the_connection_closes(host: FakeHostServer) -> None:
    with _raw(host.ports[0], _connect() + frames.encode("DISCONNECT", {"receipt": "bye"})) as sock:
        _connected, receipt = _read_frames(sock, 2)
        assert receipt.headers == {"receipt-id": "bye"}
        sock.settimeout(10)
        assert sock.recv(16) == b""


def test_headers_are_escaped_and_the_first_value_wins(host: FakeHostServer) -> None:
    reply_to = "a:b\\c\nd"
    data = (
        _connect()
        + _subscribe(reply_to, "s")
        + b"SEND\ndestination:jms.topic.vdsm_requests.extra\nreply-to:"
        + frames.escape(reply_to).encode()
        + b"\nreply-to:ignored\r\ncontent-length:"
        + str(len(PING)).encode()
        + b"\r\n\r\n"
        + PING
        + b"\0"
    )
    with _raw(host.ports[0], b"\n\n" + data) as sock:
        _connected, reply = _read_frames(sock, 2)
    assert reply.headers["destination"] == reply_to
    assert reply.headers["subscription"] == "s"


def test_a_body_that_is_not_json_gets_a_parse_error_reply(host: FakeHostServer) -> None:
    with _raw(host.ports[0], _connect() + _subscribe("q", "s") + _send(b"abc\0\0")) as sock:
        _connected, reply = _read_frames(sock, 2)
    assert reply.command == "MESSAGE"
    assert orjson.loads(reply.body)["error"]["code"] == protocol.PARSE_ERROR


def test_a_batch_of_several_requests_is_answered_one_by_one(host: FakeHostServer) -> None:
    batch = orjson.dumps(
        [
            {"jsonrpc": "2.0", "id": 1, "method": "Host.ping"},
            {"jsonrpc": "2.0", "id": 2, "method": "Host.ping2"},
        ]
    )
    with _raw(host.ports[0], _connect() + _subscribe("q", "s") + _send(batch)) as sock:
        _connected, *replies = _read_frames(sock, 3)
    assert [orjson.loads(r.body)["id"] for r in replies] == [1, 2]


def test_both_protocols_share_one_port_and_one_host(
    host: FakeHostServer, open_stomp: OpenStomp, connect: Callable[[int], RpcClient]
) -> None:
    line = connect(host.ports[0])
    line.call("Events.subscribe", {"pattern": "|virt|VM_status|*"})
    stomp_client = open_stomp(host.ports[0], "engine")
    vm_id = line.call("Host.getVMList")[0]["vmId"]
    stomp_client.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Down"})
    assert line.next_event()["params"][vm_id]["status"] == "Down"
    assert stomp_client.next_event()["params"][vm_id]["status"] == "Down"


# faults over STOMP ------------------------------------------------------------------------------


def _faulted(start_host: StartHost, *specs: str) -> FakeHostServer:
    return start_host(faults=tuple(parse_fault(s) for s in specs))


def test_delay_over_stomp_lets_other_replies_overtake(
    start_host: StartHost, open_stomp: OpenStomp
) -> None:
    client = open_stomp(_faulted(start_host, "delay:rate=1,seconds=1").ports[0], "engine")
    held = client.send("Host.ping2")
    assert client.call("Sim.stats")["faults"]["delay"] == 2  # with the client's start-up ping
    assert client.response(held)["result"] is True


def test_drop_over_stomp_cuts_the_frame_and_closes(start_host: StartHost) -> None:
    server = _faulted(start_host, "drop:rate=1")
    with _raw(server.ports[0], _connect() + _subscribe("q", "s") + _send(PING)) as sock:
        sock.settimeout(10)
        received = b""
        while chunk := sock.recv(1 << 16):
            received += chunk
    connected, partial = received.split(b"\0", 1)
    assert connected.startswith(b"CONNECTED")
    assert partial.startswith(b"MESSAGE")
    assert b"\0" not in partial


def test_malformed_over_stomp_is_a_valid_frame_with_a_broken_body(start_host: StartHost) -> None:
    server = _faulted(start_host, "malformed:rate=1")
    with _raw(server.ports[0], _connect() + _subscribe("q", "s") + _send(PING)) as sock:
        _connected, reply = _read_frames(sock, 2)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(reply.body)


@pytest.mark.parametrize("style", STYLES)
def test_event_faults_over_stomp(
    start_host: StartHost, open_stomp: OpenStomp, clock: FakeClock, style: Style
) -> None:
    server = _faulted(start_host, "duplicate-events:rate=1", "reorder-events:rate=1")
    client = open_stomp(server.ports[0], style)
    vm_id = client.call("Host.getVMList")[0]["vmId"]
    client.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Down"})
    clock.advance(1)
    client.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Up"})
    seen = [client.next_event()["params"] for _ in range(5)]
    statuses = [params[vm_id]["status"] for params in seen]
    assert statuses == ["Down", "Down", "Up", "Up", "Down"]  # duplicates, then a stale copy
    assert seen[4]["notify_time"] < seen[3]["notify_time"]


def test_missing_vms_over_stomp(start_host: StartHost, open_stomp: OpenStomp) -> None:
    client = open_stomp(_faulted(start_host, "missing-vms:rate=1").ports[0], "vdsm")
    assert client.call("Host.getAllVmStats") == []


# scale ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("style", STYLES)
def test_get_all_vm_stats_for_6000_vms(
    start_host: StartHost, open_stomp: OpenStomp, vdsm_schema: VdsmSchema, style: Style
) -> None:
    server = start_host(vms=6000, host_clock=time.monotonic)
    stats = open_stomp(server.ports[0], style).call("Host.getAllVmStats")
    assert len(stats) == 6000
    assert len({s["vmId"] for s in stats}) == 6000
    for sample in stats[::600]:
        assert vdsm_schema.errors(sample, "RunningVmStats") == []
