"""FakeHostServer: one asyncio TCP (or TLS) listener per emulated host, each port serving the line
protocol and STOMP (chosen by peeking at a connection's first bytes, as VDSM does), with bounds."""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import socket
import ssl
import time
from typing import Any

from vmmonbench.errors import BadInputError
from vmmonbench.fakehost.churn import churn
from vmmonbench.fakehost.config import FakeHostConfig
from vmmonbench.fakehost.host import Clock, EmulatedHost
from vmmonbench.fakehost.limits import DEFAULT_LIMITS, ConnectionLimits, OutputLedger
from vmmonbench.fakehost.line_session import LineConnection, serve_lines
from vmmonbench.fakehost.peer import PeerConnection
from vmmonbench.fakehost.stomp_session import StompConnection, serve_stomp
from vmmonbench.fakehost.wire import READ_CHUNK
from vmmonbench.inventory import host_spec
from vmmonbench.stomp import frames

SNIFF_LIMIT = 1 << 16  # bytes looked at to choose the protocol
TLS_HANDSHAKE_TIMEOUT_S = 10.0  # VDSM's

log = logging.getLogger(__name__)


class FakeHostServer:
    """Serves `config.hosts` emulated hosts, each on its own port, from one event loop.

    Build it (that builds the inventory), `await start()`, read `.ports`, `await stop()`.
    `clock` returns seconds (default time.monotonic); every time field derives from it.
    """

    def __init__(
        self,
        config: FakeHostConfig,
        *,
        clock: Clock = time.monotonic,
        limits: ConnectionLimits = DEFAULT_LIMITS,
    ) -> None:
        config.validate()
        self.config = config
        self.limits = limits
        self.ledger = OutputLedger()
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
        self._connections: set[PeerConnection] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._background: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Listen on every host's port; BadInputError (nothing left open) if one cannot."""
        try:
            address = await _resolve(self.config.bind)
            tls = _tls_context(self.config)
            for position, host in enumerate(self.hosts):
                port = self.config.port_for(position)
                try:
                    server = await asyncio.start_server(
                        functools.partial(self._serve, host),
                        address,
                        port,
                        ssl=tls,
                        ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT_S if tls else None,
                    )
                except OSError as exc:
                    raise BadInputError(_listen_error(self.config.bind, port, exc)) from None
                self._servers.append(server)
                self.ports.append(server.sockets[0].getsockname()[1])
        except BaseException:
            await self.stop()
            raise
        self._run_background(self._sweep())
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
        if len(self._connections) >= self.limits.max_connections:
            log.warning("fake host: %d connections open, refusing one", len(self._connections))
            writer.transport.abort()
            return
        if task is not None:
            self._handlers.add(task)
        connection: PeerConnection | None = None
        host.counters.connections += 1
        try:
            first = await _sniff(reader)
            if first and frames.is_stomp_start(first):
                stomp = StompConnection(host, writer, self.limits, self.ledger)
                connection = stomp
                self._connections.add(stomp)
                await serve_stomp(stomp, reader, first)
            elif first:
                lines = LineConnection(host, writer, self.limits, self.ledger)
                connection = lines
                self._connections.add(lines)
                await serve_lines(lines, reader, first)
        except (ConnectionError, ssl.SSLError):
            pass  # the peer went away; nothing to answer
        finally:
            host.counters.connections -= 1
            if connection is None:
                writer.transport.abort()
            elif not connection.closed:
                await connection.flushed()
                connection.close()
            if connection is not None:
                self._connections.discard(connection)
            if task is not None:
                self._handlers.discard(task)

    async def _sweep(self) -> None:
        """Cut off peers whose queue has not moved for the stall timeout, then the largest
        queues while all together are over budget; the ledger is made exact on the way."""
        limits = self.limits
        while True:
            await asyncio.sleep(limits.sweep_interval_s)
            now = time.monotonic()
            for connection in list(self._connections):
                queued = connection.queued()
                self.ledger.update(connection, queued)
                before, since = connection.stall_mark
                if queued == 0 or queued < before:
                    connection.stall_mark = (queued, now)
                elif now - since > limits.stall_timeout_s:
                    log.warning("fake host: a peer took nothing for %.0f s, cut off", now - since)
                    connection.abort()
            by_size = sorted(self._connections, key=lambda c: c.queued(), reverse=True)
            for connection in by_size:
                if self.ledger.total <= limits.total_backlog_bytes:
                    break
                connection.abort()


async def _sniff(reader: asyncio.StreamReader) -> bytes:
    """The first bytes of a connection, enough to tell STOMP (a command name) from JSON lines."""
    data = b""
    while len(data) < SNIFF_LIMIT:
        chunk = await reader.read(READ_CHUNK)
        if not chunk:
            return data
        data += chunk
        text = data.lstrip(b"\r\n \t")
        if text and (text[:1] in b"{[" or len(text) >= frames.LONGEST_COMMAND or b"\n" in text):
            return data
    return data


def _tls_context(config: FakeHostConfig) -> ssl.SSLContext | None:
    if config.tls_cert is None or config.tls_key is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise BadInputError(
            f"cannot use --tls-cert {config.tls_cert} / --tls-key {config.tls_key}: {exc}"
        ) from None
    return context


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
