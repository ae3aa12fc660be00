"""Garbage on the wire is answered with the right JSON-RPC error; nothing else is disturbed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.unit.fakehost.client import RpcClient
from vmmonbench import protocol
from vmmonbench.fakehost import FakeHostServer

PING = b'"jsonrpc": "2.0", "id": 1, "method": "Host.ping"'


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"this is not json\n", protocol.PARSE_ERROR),
        (b"{" + PING + b"\n", protocol.PARSE_ERROR),
        (b"\xff\xfe\x00\x01binary\x00\n", protocol.PARSE_ERROR),
        (b"{" + PING + b', "params": "\xc3\x28"}\n', protocol.PARSE_ERROR),
        (b"[1, 2, 3]\n", protocol.INVALID_REQUEST),
        (b'"Host.ping"\n', protocol.INVALID_REQUEST),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "Host.ping"}\n', protocol.INVALID_REQUEST),
        (b'{"id": 1, "method": "Host.ping"}\n', protocol.INVALID_REQUEST),
        (b'{"jsonrpc": "2.0", "id": 1, "method": 42}\n', protocol.INVALID_REQUEST),
        (b'{"jsonrpc": "2.0", "id": [1], "method": "Host.ping"}\n', protocol.INVALID_REQUEST),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "Host.reboot"}\n', protocol.METHOD_NOT_FOUND),
        (b"{" + PING + b', "params": [1]}\n', protocol.INVALID_PARAMS),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "VM.getStats", "params": {"vmID": 7}}\n', -32602),
    ],
)  # fmt: skip
def test_garbage_gets_the_right_error_and_the_connection_lives_on(
    host: FakeHostServer, connect: Callable[[int], RpcClient], line: bytes, code: int
) -> None:
    bystander = connect(host.ports[0])
    bystander.call("Events.subscribe", {"pattern": "|virt|VM_status|*"})
    client = connect(host.ports[0])
    client.send_raw(line)
    reply = client.read_message()
    assert reply["error"]["code"] == code
    assert reply["error"]["message"]
    assert reply["id"] in (None, 1)
    assert client.call("Host.ping") is True
    vm_id = bystander.call("Host.getVMList")[0]["vmId"]
    assert bystander.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Down"}) == 1
    assert bystander.next_event()["method"].endswith(vm_id)


def test_an_oversized_line_is_one_error_and_skipped_whole(
    host: FakeHostServer, connect: Callable[[int], RpcClient]
) -> None:
    client = connect(host.ports[0])
    other = connect(host.ports[0])
    huge = b'{"jsonrpc": "2.0", "id": 1, "method": "Host.ping", "params": {"x": "'
    huge += b"a" * (protocol.MAX_REQUEST_LINE + 10) + b'"}}\n'
    client.send_raw(huge)
    assert other.call("Host.ping") is True
    reply = client.read_message()
    assert reply["error"]["code"] == protocol.INVALID_REQUEST
    assert reply["id"] is None
    assert client.call("Host.ping") is True  # no second error for the tail of the long line
    assert client.events == []


def test_a_line_without_newline_never_grows_without_bound(
    host: FakeHostServer, connect: Callable[[int], RpcClient]
) -> None:
    client = connect(host.ports[0])
    chunk = b"x" * (1 << 20)
    for _ in range(4):
        client.send_raw(chunk)
    client.send_raw(b"\n")
    assert client.read_message()["error"]["code"] == protocol.INVALID_REQUEST
    assert client.call("Host.ping") is True


def test_blank_lines_are_heartbeats_and_notifications_get_no_reply(
    host: FakeHostServer, connect: Callable[[int], RpcClient]
) -> None:
    client = connect(host.ports[0])
    client.send_raw(b"\n\r\n   \n")
    client.send_raw(b'{"jsonrpc": "2.0", "method": "Host.ping"}\n')
    client.send_raw(b'{"jsonrpc": "2.0", "method": "No.such"}\n')
    reply = client.response(client.send("Host.ping"))
    assert reply["result"] is True
    assert reply["id"] == 1
    stats = client.call("Sim.stats")
    assert stats["requests"] == 4  # two notifications, ping, Sim.stats


def test_requests_split_across_packets_and_pipelined(
    host: FakeHostServer, connect: Callable[[int], RpcClient]
) -> None:
    client = connect(host.ports[0])
    one = protocol.request(1, "Host.ping")
    two = protocol.request(2, "Host.getVMList")
    client.send_raw(one[:10])
    client.send_raw(one[10:] + two)
    assert client.read_message() == {"jsonrpc": "2.0", "id": 1, "result": True}
    assert client.read_message()["id"] == 2


def test_an_abrupt_disconnect_leaves_the_host_serving(
    host: FakeHostServer, connect: Callable[[int], RpcClient]
) -> None:
    rude = RpcClient(host.ports[0])
    rude.send("Host.getAllVmStats")
    rude.close()  # with the reply unread: the host sees a reset
    assert connect(host.ports[0]).call("Host.ping") is True
