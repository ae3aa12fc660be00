"""STOMP 1.2 on one connection, as VDSM serves it: session, subscriptions, requests, events.

Frames go out one per write with a loop turn between them, and bursts of status events are
packed into one notification per subscription: the engine's Java client parses one frame per
socket read, so a small frame that lands behind another waits for the next bytes to arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from vmmonbench import protocol
from vmmonbench.fakehost.dispatch import answer
from vmmonbench.fakehost.host import EmulatedHost
from vmmonbench.fakehost.limits import ConnectionLimits, OutputLedger
from vmmonbench.fakehost.peer import PeerConnection
from vmmonbench.fakehost.rpc import Method
from vmmonbench.fakehost.wire import READ_CHUNK, request_from
from vmmonbench.stomp import frames
from vmmonbench.stomp.frames import Frame, FrameError, FrameParser

REQUEST_QUEUES = ("jms.topic.vdsm_requests", "jms.topic.vdsm_irs_requests")
EVENT_QUEUE = "jms.queue.events"
JSON = "application/json"
LINE_ONLY_METHODS = frozenset({"Events.subscribe"})  # over STOMP, SUBSCRIBE is the subscription
MAX_VMS_PER_EVENT = 100
SILENCE_FACTOR = 2.0  # a client that promised heart-beats may miss one before it is dropped
FLUSH_TIMEOUT_S = 5.0  # for the last frames (ERROR, RECEIPT) before a close
FRAME_SPACING_S = 0.0005  # between two frames written back to back (see the module docstring)


@dataclass(slots=True)
class _EventBatch:
    """Status events not yet written, packed into one notification (distinct VMs, one time)."""

    method: str
    notify_time: Any
    vms: dict[str, Any] = field(default_factory=dict)
    size: int = 0


def _is_request_queue(destination: str) -> bool:
    return any(destination == q or destination.startswith(q + ".") for q in REQUEST_QUEUES)


class StompConnection(PeerConnection):
    """A STOMP client of one host: per-connection subscriptions, a frame writer, heart-beats."""

    def __init__(
        self,
        host: EmulatedHost,
        writer: asyncio.StreamWriter,
        limits: ConnectionLimits,
        ledger: OutputLedger,
    ) -> None:
        super().__init__(host, writer, limits, ledger)
        self.subscriptions: dict[str, str] = {}  # id -> destination
        self.methods: Mapping[str, Method] = {
            name: method for name, method in host.methods.items() if name not in LINE_ONLY_METHODS
        }
        self.send_every_s = 0.0
        self.expect_every_s = 0.0
        self._out: deque[bytes | _EventBatch] = deque()
        self._out_bytes = 0
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._closing = False
        self._writer_task = asyncio.get_running_loop().create_task(self._write_frames())

    # output: one frame per write --------------------------------------------------------
    def queued(self) -> int:
        """Frames not yet written plus what the transport holds."""
        return 0 if self.closed else super().queued() + self._out_bytes

    def _emit(self, data: bytes) -> None:
        self._push(data)

    def _push(self, item: bytes | _EventBatch, size: int | None = None) -> None:
        self._out.append(item)
        self._out_bytes += len(item) if isinstance(item, bytes) else (size or 0)
        self._drained.clear()
        self._wake.set()

    async def _flush(self) -> None:
        await self._drained.wait()
        if self.closed:
            raise ConnectionResetError("connection closed")

    async def flushed(self) -> None:
        """Wait (bounded) until the frame writer has written what is queued."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), FLUSH_TIMEOUT_S)

    def frame(self, command: str, headers: Mapping[str, str], body: bytes = b"") -> None:
        """Queue one frame without waiting (bounded like events)."""
        self.queue(frames.encode(command, headers, body))

    def finish(self, data: bytes = b"") -> None:
        """Write what is queued (and `data`), then close."""
        if data:
            self.queue(data)
        self._closing = True
        self._wake.set()

    async def _write_frames(self) -> None:
        try:
            while not self.closed:
                if not self._out:
                    self._drained.set()
                    if self._closing:
                        self.close()
                        return
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.send_every_s or None)
                    except TimeoutError:
                        self.writer.write(frames.HEARTBEAT)  # idle: VDSM beats every sx ms
                        self.host.counters.bytes_sent += 1
                    continue
                item = self._out.popleft()
                data = self._render(item) if isinstance(item, _EventBatch) else item
                self._out_bytes -= len(item) if isinstance(item, bytes) else item.size
                for piece in data if isinstance(data, list) else [data]:
                    self.writer.write(piece)
                    await self.writer.drain()
                    await asyncio.sleep(FRAME_SPACING_S if self._out else 0)
        except ConnectionError:
            self.abort()
        finally:
            self._drained.set()

    # events --------------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        """An event line from the host: packed with queued ones, for every events subscription."""
        if self.closed:
            return
        event = orjson.loads(data)
        params = event.get("params") or {}
        notify_time = params.get("notify_time")
        vms = {key: value for key, value in params.items() if key != "notify_time"}
        last = self._out[-1] if self._out else None
        if not (
            isinstance(last, _EventBatch)
            and last.notify_time == notify_time
            and len(last.vms) + len(vms) <= MAX_VMS_PER_EVENT
            and not vms.keys() & last.vms.keys()
        ):
            last = _EventBatch(str(event.get("method", "")), notify_time)
            self._push(last)
        last.vms.update(vms)
        grown = len(data) * max(1, len(self._event_subscriptions()))
        last.size += grown
        self._out_bytes += grown
        self.host.counters.bytes_sent += grown
        self.enforce_limits()

    def _event_subscriptions(self) -> list[str]:
        return [sid for sid, dest in self.subscriptions.items() if dest == EVENT_QUEUE]

    def _render(self, batch: _EventBatch) -> list[bytes]:
        body = orjson.dumps(
            {
                "jsonrpc": "2.0",
                "method": batch.method,
                "params": {**batch.vms, "notify_time": batch.notify_time},
            }
        )
        return [
            frames.encode(
                "MESSAGE",
                {"destination": EVENT_QUEUE, "content-type": JSON, "subscription": sid},
                body,
            )
            for sid in self._event_subscriptions()
        ]

    # replies -----------------------------------------------------------------------------------
    def message_frames(self, destination: str, body: bytes | memoryview) -> list[bytes]:
        """MESSAGE frames carrying `body` to every subscription of `destination` here."""
        ids = [sid for sid, dest in self.subscriptions.items() if dest == destination]
        base = {"destination": destination, "content-type": JSON}
        if not ids:  # no subscription: still deliver (the Java client ignores the header)
            return [frames.encode("MESSAGE", base, bytes(body))]
        return [frames.encode("MESSAGE", {**base, "subscription": sid}, body) for sid in ids]

    @property
    def closing(self) -> bool:
        """DISCONNECT (or a fatal error) seen: nothing more is read."""
        return self._closing

    def _release(self) -> None:
        super()._release()
        if self._writer_task is not asyncio.current_task():
            self._writer_task.cancel()


class ReplyOutlet:
    """The replies of one SEND: MESSAGE frames to its reply-to destination."""

    __slots__ = ("_connection", "_reply_to")

    def __init__(self, connection: StompConnection, reply_to: str) -> None:
        self._connection = connection
        self._reply_to = reply_to

    @property
    def closed(self) -> bool:
        """Whether the connection is gone."""
        return self._connection.closed

    def _frames(self, line: bytes) -> list[bytes]:
        body = memoryview(line)[:-1] if line.endswith(b"\n") else memoryview(line)
        return self._connection.message_frames(self._reply_to, body)

    async def reply(self, line: bytes) -> None:
        """The reply as MESSAGE frames, waited for until written (backpressure)."""
        *first, last = self._frames(line)
        for data in first:
            self._connection.queue(data)
        await self._connection.write_reply(last)

    def cut(self, line: bytes) -> None:
        """Half the reply frame, then close."""
        data = self._frames(line)[0]
        self._connection.finish(data[: len(data) // 2])

    def spawn(self, work: Any) -> None:
        """Pending replies belong to the connection."""
        self._connection.spawn(work)

    async def room(self) -> None:
        """Backpressure on pending replies."""
        await self._connection.room()


async def serve_stomp(
    connection: StompConnection, reader: asyncio.StreamReader, first: bytes
) -> None:
    """Serve STOMP frames until the peer goes, disconnects, goes silent or breaks the framing."""
    parser = FrameParser(max_body_bytes=protocol.MAX_REQUEST_LINE)
    chunk = first
    while chunk and not connection.closed:
        for item in parser.feed(chunk):
            if isinstance(item, FrameError):
                _error(connection, str(item), item.headers)
                if item.fatal:
                    connection.finish()
                    return
                continue
            await _on_frame(connection, item)
            if connection.closed or connection.closing:
                return
        timeout = connection.expect_every_s * SILENCE_FACTOR or None
        try:
            chunk = await asyncio.wait_for(reader.read(READ_CHUNK), timeout)
        except TimeoutError:
            connection.abort()  # it promised heart-beats and went silent
            return


def _error(
    connection: StompConnection, message: str, headers: Mapping[str, str] | None = None
) -> None:
    out = {"message": message[:200]}
    if headers and "receipt" in headers:
        out["receipt-id"] = headers["receipt"]
    connection.frame("ERROR", out, message.encode())


def _receipt(connection: StompConnection, frame: Frame) -> None:
    receipt = frame.headers.get("receipt")
    if receipt is not None:
        connection.frame("RECEIPT", {"receipt-id": receipt})


async def _on_frame(connection: StompConnection, frame: Frame) -> None:
    command = frame.command
    if command == "SEND":
        await _on_send(connection, frame)
    elif command == "SUBSCRIBE":
        _on_subscribe(connection, frame)
    elif command == "UNSUBSCRIBE":
        connection.subscriptions.pop(frame.headers.get("id", ""), None)
        if not connection._event_subscriptions():
            connection.host.unsubscribe(connection)
        _receipt(connection, frame)
    elif command == "CONNECT":
        _on_connect(connection, frame)
    elif command == "DISCONNECT":
        _receipt(connection, frame)
        connection.finish()
    else:
        _error(connection, f"unknown or unexpected command {command[:40]!r}", frame.headers)


def _on_connect(connection: StompConnection, frame: Frame) -> None:
    if frame.headers.get("accept-version") != "1.2":
        _error(connection, "Version unsupported", frame.headers)  # VDSM wants exactly 1.2
        return
    send_ms, expect_ms = frames.negotiate_heartbeat(frame.headers.get("heart-beat"))
    connection.send_every_s = send_ms / 1000
    connection.expect_every_s = expect_ms / 1000
    connection.frame("CONNECTED", {"version": "1.2", "heart-beat": f"{send_ms},{expect_ms}"})


def _on_subscribe(connection: StompConnection, frame: Frame) -> None:
    destination = frame.headers.get("destination")
    subscription = frame.headers.get("id")
    if not destination or not subscription:
        _error(connection, "Missing destination or subscription id header", frame.headers)
        return
    if subscription in connection.subscriptions:
        _error(connection, "Subscription id already exists", frame.headers)
        return
    connection.subscriptions[subscription] = destination
    if destination == EVENT_QUEUE:
        connection.host.subscribe_all(connection)
    _receipt(connection, frame)


async def _on_send(connection: StompConnection, frame: Frame) -> None:
    destination = frame.headers.get("destination", "")
    if not _is_request_queue(destination):
        if destination in connection.subscriptions.values():
            for data in connection.message_frames(destination, frame.body):
                connection.queue(data)  # broker behaviour, as VDSM forwards
        else:
            _error(connection, "Subscription not available", frame.headers)
        return
    reply_to = frame.headers.get("reply-to")
    if not reply_to:
        _error(connection, "SEND without reply-to: not executed, its reply has nowhere to go")
        return
    outlet = ReplyOutlet(connection, reply_to)
    try:
        decoded = orjson.loads(frame.body)
    except orjson.JSONDecodeError as exc:
        await outlet.reply(protocol.error(None, protocol.PARSE_ERROR, f"parse error: {exc}"))
        return
    # the Python client sends a one-element array; several elements are answered one by one
    messages = decoded if isinstance(decoded, list) and decoded else [decoded]
    for message in messages:
        request = request_from(connection.methods, message)
        await answer(connection.host, outlet, connection, request)
        if connection.closed:
            return
    _receipt(connection, frame)
