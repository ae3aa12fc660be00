"""FakeHostServer: one asyncio TCP listener per emulated host, line framing, faults on replies."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any

from vmmonbench import protocol
from vmmonbench.errors import BadInputError
from vmmonbench.fakehost.churn import churn
from vmmonbench.fakehost.config import FakeHostConfig
from vmmonbench.fakehost.host import Clock, EmulatedHost
from vmmonbench.fakehost.rpc import MethodKind, RpcError
from vmmonbench.fakehost.wire import Request, parse_request, read_lines
from vmmonbench.faults import FaultKind
from vmmonbench.inventory import host_spec

MAX_PENDING_BYTES = 256 << 20  # queued for a peer that stopped reading: drop that peer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ResponseFaults:
    """What happens to one response on its way out (drawn when the request arrives)."""

    delay_s: float = 0.0
    drop: bool = False
    malformed: bool = False


NO_FAULTS = ResponseFaults()


class Connection:
    """One client of one host: writes whole lines, counts bytes, owns its pending replies."""

    __slots__ = ("_host", "_writer", "closed", "tasks")

    def __init__(self, host: EmulatedHost, writer: asyncio.StreamWriter) -> None:
        self._host = host
        self._writer = writer
        self.closed = False
        self.tasks: set[asyncio.Task[None]] = set()

    def send(self, data: bytes) -> None:
        """Queue bytes without waiting (events); a peer that stops reading is cut off."""
        if self.closed or self._writer.transport.is_closing():
            return
        self._writer.write(data)
        self._host.counters.bytes_sent += len(data)
        if self._writer.transport.get_write_buffer_size() > MAX_PENDING_BYTES:
            self.abort()

    async def reply(self, data: bytes) -> None:
        """Write a response and wait until the transport has room again."""
        self.send(data)
        if self.closed:
            return
        try:
            await self._writer.drain()
        except ConnectionError:
            self.abort()

    def spawn(self, work: Any) -> None:
        """Run a reply coroutine beside the read loop (latency or delay must not block it)."""
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def close(self) -> None:
        """Close after flushing what is queued."""
        self.closed = True
        self._writer.close()

    def abort(self) -> None:
        """Close at once, discarding what is queued."""
        self.closed = True
        self._writer.transport.abort()


class FakeHostServer:
    """Serves `config.hosts` emulated hosts, each on its own port, from one event loop.

    Build it (that builds the inventory), `await start()`, read `.ports`, `await stop()`.
    `clock` returns seconds (default time.monotonic); every time field derives from it.
    """

    def __init__(self, config: FakeHostConfig, *, clock: Clock = time.monotonic) -> None:
        config.validate()
        self.config = config
        self.hosts = [
            EmulatedHost(
                host_spec(config.seed, index, config.vms, config.vnics, config.disks),
                config,
                clock,
            )
            for index in config.host_indexes
        ]
        self.ports: list[int] = []
        self._servers: list[asyncio.Server] = []
        self._connections: set[Connection] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._background: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Listen on every host's port; BadInputError (nothing left open) if one cannot."""
        try:
            address = await _resolve(self.config.bind)
            for position, host in enumerate(self.hosts):
                port = self.config.port_for(position)
                try:
                    server = await asyncio.start_server(
                        functools.partial(self._serve, host), address, port
                    )
                except OSError as exc:
                    raise BadInputError(_listen_error(self.config.bind, port, exc)) from None
                self._servers.append(server)
                self.ports.append(server.sockets[0].getsockname()[1])
        except BaseException:
            await self.stop()
            raise
        for host in self.hosts:
            if self.config.churn_per_vm_hour > 0:
                self._run_background(churn(self.config.churn_per_vm_hour, host, host.churn_status))
            if self.config.devices_change_per_vm_hour > 0:
                self._run_background(
                    churn(self.config.devices_change_per_vm_hour, host, host.churn_devices)
                )

    async def stop(self) -> None:
        """Stop listening, close every connection, cancel pending replies and churn."""
        for task in self._background:
            task.cancel()
        for server in self._servers:
            server.close()
        for connection in list(self._connections):
            connection.abort()
        for server in self._servers:
            await server.wait_closed()
        await asyncio.gather(*self._background, *self._handlers, return_exceptions=True)
        self._servers.clear()
        self._background.clear()

    def _run_background(self, work: Any) -> None:
        self._background.append(asyncio.get_running_loop().create_task(work))

    async def _serve(
        self, host: EmulatedHost, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        connection = Connection(host, writer)
        self._connections.add(connection)
        host.counters.connections += 1
        try:
            async with contextlib.aclosing(read_lines(reader)) as lines:
                async for line in lines:
                    await self._handle(host, connection, line)
                    if connection.closed:
                        break
        except ConnectionError:
            pass  # the peer went away; nothing to answer
        finally:
            host.counters.connections -= 1
            host.unsubscribe(connection)
            for pending in list(connection.tasks):
                pending.cancel()
            if not connection.closed:
                connection.close()
            self._connections.discard(connection)
            if task is not None:
                self._handlers.discard(task)

    async def _handle(self, host: EmulatedHost, connection: Connection, line: bytes | None) -> None:
        host.counters.requests += 1
        request = parse_request(host.methods, line)
        if not isinstance(request, Request):
            if request is not None:
                await connection.reply(request)
            return
        faulted = request.method.kind is not MethodKind.SIM and request.wants_reply
        faults = _draw_faults(host) if faulted else NO_FAULTS
        if request.method.kind is MethodKind.COMMAND:
            connection.spawn(self._command(connection, request, faults))
            return
        data = _call(request, connection)
        if not request.wants_reply:
            return
        if faults.delay_s:
            connection.spawn(_deliver(connection, data, faults))
        else:
            await _deliver(connection, data, faults)

    async def _command(
        self, connection: Connection, request: Request, faults: ResponseFaults
    ) -> None:
        command = request.method.command
        assert command is not None
        try:
            data = protocol.result(request.id, await command(request.params, connection))
        except RpcError as exc:
            data = protocol.error(request.id, exc.code, str(exc))
        except Exception:
            log.exception("fake host: request %r failed", request.id)
            data = protocol.error(request.id, protocol.INTERNAL_ERROR, "internal error")
        if request.wants_reply:
            await _deliver(connection, data, faults)


def _call(request: Request, connection: Connection) -> bytes:
    handler = request.method.handler
    assert handler is not None
    try:
        return protocol.result(request.id, handler(request.params, connection))
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


async def _deliver(connection: Connection, data: bytes, faults: ResponseFaults) -> None:
    if faults.delay_s:
        await asyncio.sleep(faults.delay_s)
    if faults.drop:
        connection.send(data[: len(data) // 2])
        connection.close()
        return
    if faults.malformed:
        # cut inside the JSON object: never parseable, still one line
        data = data[: len(data) // 2] + b"\n"
    await connection.reply(data)


async def _resolve(bind: str) -> str:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            bind, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise BadInputError(f"--bind {bind!r} is not a usable address: {exc.strerror}") from None
    # one address only: a name that resolves to several would get a different free port each
    return str(infos[0][4][0])


def _listen_error(bind: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {bind} is already in use; choose another --port (0 picks free ports)"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot bind {bind}: not an address of this machine"
    if exc.errno == errno.EACCES:
        return f"port {port} on {bind}: permission denied (ports below 1024 need privileges)"
    return f"cannot listen on {bind} port {port}: {exc.strerror or exc}"
