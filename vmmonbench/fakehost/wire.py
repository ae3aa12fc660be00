"""Wire framing of the fake host: requests split into lines, and each line parsed or refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any

from vmmonbench import protocol
from vmmonbench.fakehost.rpc import Method

READ_CHUNK = 1 << 16
MAX_METHOD_ECHO = 80  # characters of an unknown method name quoted back


@dataclass(frozen=True, slots=True)
class Request:
    """A well-formed request for a known method (`wants_reply` is False for notifications)."""

    method: Method
    params: Mapping[str, Any]
    id: Any
    wants_reply: bool


async def read_lines(
    reader: asyncio.StreamReader, first: bytes = b""
) -> AsyncGenerator[bytes | None, None]:
    """Non-blank lines without their newline (`first`: bytes already read from the stream);
    None stands for a line over MAX_REQUEST_LINE, skipped up to its newline without being
    held in memory."""
    pending = bytearray()
    oversized = False
    chunk = first or await reader.read(READ_CHUNK)
    while chunk:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if oversized or len(pending) + end - start > protocol.MAX_REQUEST_LINE:
                yield None
            else:
                pending += chunk[start:end]
                if pending.strip():  # blank lines are heart-beats, as on STOMP
                    yield bytes(pending)
            pending.clear()
            oversized = False
            start = end + 1
        if not oversized:
            pending += chunk[start:]
            if len(pending) > protocol.MAX_REQUEST_LINE:
                oversized = True
                pending.clear()
        chunk = await reader.read(READ_CHUNK)


def parse_request(methods: Mapping[str, Method], line: bytes | None) -> Request | bytes | None:
    """The request a line carries, else the error reply to send (None: a notification gets none)."""
    if line is None:
        message = f"request line longer than {protocol.MAX_REQUEST_LINE} bytes"
        return protocol.error(None, protocol.INVALID_REQUEST, message)
    try:
        message_object = protocol.decode(line)
    except protocol.ProtocolError as exc:
        return protocol.error(None, exc.code, str(exc))
    return request_from(methods, message_object)


def request_from(methods: Mapping[str, Method], message_object: Any) -> Request | bytes | None:
    """The request a decoded JSON value carries, else the error reply (None: no reply at all)."""
    if not isinstance(message_object, dict) or message_object.get("jsonrpc") != "2.0":
        return protocol.error(None, protocol.INVALID_REQUEST, "not a JSON-RPC 2.0 message object")
    request_id = message_object.get("id")
    if request_id is not None and (
        not isinstance(request_id, str | int) or isinstance(request_id, bool)
    ):
        return protocol.error(
            None, protocol.INVALID_REQUEST, "id must be a string, an integer or null"
        )
    name = message_object.get("method")
    if not isinstance(name, str):
        return protocol.error(request_id, protocol.INVALID_REQUEST, "method must be a string")
    wants_reply = "id" in message_object
    method = methods.get(name)
    if method is None:
        message = f"unknown method {name[:MAX_METHOD_ECHO]!r}"
        return (
            protocol.error(request_id, protocol.METHOD_NOT_FOUND, message) if wants_reply else None
        )
    params = message_object.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        message = "params must be an object"
        return protocol.error(request_id, protocol.INVALID_PARAMS, message) if wants_reply else None
    return Request(method, params, request_id, wants_reply)
