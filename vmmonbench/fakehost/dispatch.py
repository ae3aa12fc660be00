"""Answering one request, whatever the framing: method call, command latency, response faults."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from vmmonbench import protocol
from vmmonbench.fakehost.host import EmulatedHost
from vmmonbench.fakehost.rpc import MethodKind, RpcError, Subscriber
from vmmonbench.fakehost.wire import Request
from vmmonbench.faults import FaultKind

log = logging.getLogger(__name__)


class Outlet(Protocol):
    """Where the replies of one request go: a line connection, or a STOMP reply destination."""

    @property
    def closed(self) -> bool:
        """Whether the connection is gone."""

    async def reply(self, line: bytes) -> None:
        """Deliver one reply line (a JSON-RPC message and its newline) and wait for room."""

    def cut(self, line: bytes) -> None:
        """Deliver the first half of a reply, then close the connection (the drop fault)."""

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a reply coroutine beside the read loop."""

    async def room(self) -> None:
        """Wait until the connection may start more pending replies."""


@dataclass(frozen=True, slots=True)
class ResponseFaults:
    """What happens to one response on its way out (drawn when the request arrives)."""

    delay_s: float = 0.0
    drop: bool = False
    malformed: bool = False


NO_FAULTS = ResponseFaults()


async def answer(
    host: EmulatedHost, outlet: Outlet, caller: Subscriber, request: Request | bytes | None
) -> None:
    """Answer one parsed request (or send the error reply `parse_request` produced)."""
    host.counters.requests += 1
    if not isinstance(request, Request):
        if request is not None:
            await outlet.reply(request)
        return
    faulted = request.method.kind is not MethodKind.SIM and request.wants_reply
    faults = _draw_faults(host) if faulted else NO_FAULTS
    if request.method.kind is MethodKind.COMMAND:
        await outlet.room()
        outlet.spawn(_command(outlet, caller, request, faults))
        return
    data = _call(request, caller)
    if not request.wants_reply:
        return
    if faults.delay_s:
        await outlet.room()
        outlet.spawn(_deliver(outlet, data, faults))
    else:
        await _deliver(outlet, data, faults)


async def _command(
    outlet: Outlet, caller: Subscriber, request: Request, faults: ResponseFaults
) -> None:
    command = request.method.command
    assert command is not None
    try:
        data = protocol.result(request.id, await command(request.params, caller))
    except RpcError as exc:
        data = protocol.error(request.id, exc.code, str(exc))
    except Exception:
        log.exception("fake host: request %r failed", request.id)
        data = protocol.error(request.id, protocol.INTERNAL_ERROR, "internal error")
    if request.wants_reply:
        await _deliver(outlet, data, faults)


def _call(request: Request, caller: Subscriber) -> bytes:
    handler = request.method.handler
    assert handler is not None
    try:
        return protocol.result(request.id, handler(request.params, caller))
    except RpcError as exc:
        return protocol.error(request.id, exc.code, str(exc))
    except Exception:
        # a bug in a handler must not take the host down; the traceback goes to the log
        log.exception("fake host: request %r failed", request.id)
        return protocol.error(request.id, protocol.INTERNAL_ERROR, "internal error")


def _draw_faults(host: EmulatedHost) -> ResponseFaults:
    delay = host.faults.fires(FaultKind.DELAY)
    drop = host.faults.fires(FaultKind.DROP) is not None
    malformed = not drop and host.faults.fires(FaultKind.MALFORMED) is not None
    if delay is None and not drop and not malformed:
        return NO_FAULTS
    return ResponseFaults(delay.seconds if delay else 0.0, drop, malformed)


async def _deliver(outlet: Outlet, data: bytes, faults: ResponseFaults) -> None:
    if faults.delay_s:
        await asyncio.sleep(faults.delay_s)
    if outlet.closed:
        return
    if faults.drop:
        outlet.cut(data)
        return
    if faults.malformed:
        # cut inside the JSON object: never parseable, still one message
        data = data[: len(data) // 2] + b"\n"
    await outlet.reply(data)
