"""A host agent client: JSON-RPC over one TCP connection (line or STOMP framing, as the engine
speaks to VDSM), pushed events, reconnect with backoff, replies bounded by what a host can send."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vmmonbench import protocol
from vmmonbench.monitor.gcpause import GC_PAUSE
from vmmonbench.protocol import WireProtocol
from vmmonbench.stomp import frames
from vmmonbench.stomp.reader import read_frame

# the engine's destinations and session headers (vdsm-jsonrpc-java, engine defaults)
STOMP_REQUESTS = "jms.topic.vdsm_requests"
STOMP_RESPONSES = "jms.topic.vdsm_responses"
STOMP_EVENTS = "jms.queue.events"
STOMP_CONNECT = {"accept-version": "1.2", "heart-beat": "0,15000", "host": "null"}

EventHandler = Callable[[str, dict[str, Any], int], None]  # (method, params, wire bytes)


LARGE_MESSAGE = 1 << 20


class HostCallError(Exception):
    """A call failed: the host answered with an error, timed out, sent garbage or hung up."""

    def __init__(self, method: str, reason: str, *, code: int | None = None) -> None:
        super().__init__(f"{method}: {reason}")
        self.method = method
        self.reason = reason
        self.code = code


@dataclass(slots=True)
class CallTally:
    """RPC calls, bytes (sent + received) and time waited made by one thread in one activity.

    `wait_s` runs from a call's send to its reply handed back: the host's own work, the
    transfer and the reply's decode (on the reader thread), none of it the caller's processing.
    """

    calls: int = 0
    bytes: int = 0
    wait_s: float = 0.0


@dataclass(slots=True)
class ClientCounters:
    """Totals over the client's life."""

    calls: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    events: int = 0
    reconnects: int = 0
    failures: int = 0
    malformed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    message: dict[str, Any] | None = None
    size: int = 0
    error: str | None = None


class HostClient:
    """Thread-safe client of one fake host. Calls block the caller; a reader thread routes replies.

    On a lost connection, pending calls fail; the next call reconnects, with exponential backoff
    between attempts, and re-subscribes to events if a subscription was active.
    """

    def __init__(
        self,
        address: str,
        port: int,
        *,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 5.0,
        backoff_s: tuple[float, float] = (0.05, 2.0),
        on_event: EventHandler | None = None,
        wire: WireProtocol = WireProtocol.LINE,
        max_reply_bytes: int = protocol.MAX_RESPONSE_LINE,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.address = address
        self.port = port
        self.wire = wire
        self.max_reply_bytes = max_reply_bytes
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.backoff_s = backoff_s
        self.on_event = on_event
        self.clock = clock  # times the calls' waits (tests inject one)
        self.counters = ClientCounters()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._pending: dict[int, _Pending] = {}
        self._subscribed_pattern: str | None = None
        self._stomp_ids = itertools.count(1)
        self._closed = False
        self._local = threading.local()
        self._failures_in_a_row = 0
        self._next_attempt = 0.0

    # activity attribution ---------------------------------------------------------------
    def tally(self) -> CallTally:
        """Start counting this thread's calls, bytes and waits into a fresh tally (returned)."""
        tally = CallTally()
        self._local.tally = tally
        return tally

    def _record(self, size: int, wait_s: float) -> None:
        tally: CallTally | None = getattr(self._local, "tally", None)
        if tally is not None:
            tally.calls += 1
            tally.bytes += size
            tally.wait_s += wait_s

    # connection -------------------------------------------------------------------------------
    def connect(self) -> None:
        """Open the connection now (calls also connect lazily)."""
        with self._lock:
            self._ensure_connected_locked()

    def _ensure_connected_locked(self) -> socket.socket:
        if self._closed:
            raise HostCallError("connect", "client closed")
        if self._sock is not None:
            return self._sock
        wait = self._next_attempt - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # backoff between reconnect attempts, as the engine's client does
        try:
            sock = socket.create_connection((self.address, self.port), self.connect_timeout_s)
        except OSError as exc:
            self._failures_in_a_row += 1
            low, high = self.backoff_s
            self._next_attempt = time.monotonic() + min(high, low * 2**self._failures_in_a_row)
            raise HostCallError("connect", f"{self.address}:{self.port}: {exc}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        if self.counters.calls or self._failures_in_a_row:
            self.counters.reconnects += 1
        self._failures_in_a_row = 0
        self._sock = sock
        reader = threading.Thread(
            target=self._read_loop, args=(sock,), name=f"host-{self.port}-reader", daemon=True
        )
        reader.start()
        if self.wire is WireProtocol.STOMP:
            # as the engine does: subscriptions first, then CONNECT, without waiting for CONNECTED
            if self._subscribed_pattern is not None:
                self._send_locked(sock, self._stomp_subscribe(STOMP_EVENTS))
            self._send_locked(sock, self._stomp_subscribe(STOMP_RESPONSES))
            self._send_locked(sock, frames.encode("CONNECT", STOMP_CONNECT))
        elif self._subscribed_pattern is not None:
            self._send_locked(
                sock, protocol.request(0, "Events.subscribe", {"pattern": self._subscribed_pattern})
            )
        return sock

    def _stomp_subscribe(self, destination: str) -> bytes:
        subscription = f"vmmonbench-{next(self._stomp_ids)}"
        return frames.encode(
            "SUBSCRIBE", {"destination": destination, "id": subscription, "ack": "auto"}
        )

    def _send_locked(self, sock: socket.socket, data: bytes) -> None:
        with self._send_lock:
            sock.sendall(data)
        self.counters.bytes_sent += len(data)

    def _drop(self, sock: socket.socket, reason: str) -> None:
        with self._lock:
            if self._sock is sock:
                self._sock = None
                self.counters.failures += 1
                low, high = self.backoff_s
                self._failures_in_a_row += 1
                self._next_attempt = time.monotonic() + min(high, low * 2**self._failures_in_a_row)
            pending = list(self._pending.values())
            self._pending.clear()
        for waiter in pending:
            waiter.error = reason
            waiter.done.set()
        with contextlib.suppress(OSError):
            sock.close()

    def close(self) -> None:
        """Close the connection; pending and later calls fail."""
        with self._lock:
            self._closed = True
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            self._drop(sock, "client closed")

    # reading ------------------------------------------------------------------------------------
    def _read_loop(self, sock: socket.socket) -> None:
        reader = sock.makefile("rb", buffering=1 << 20)
        try:
            if self.wire is WireProtocol.STOMP:
                self._read_frames(sock, reader)
            else:
                self._read_lines(sock, reader)
        except OSError as exc:
            self._drop(sock, f"connection lost: {exc}")
        finally:
            reader.close()

    def _too_large(self) -> str:
        return (
            f"reply larger than {self.max_reply_bytes} bytes, more than the host's inventory "
            "can produce"
        )

    def _read_lines(self, sock: socket.socket, reader: Any) -> None:
        while True:
            line = reader.readline(self.max_reply_bytes + 1)
            if not line:
                self._drop(sock, "connection closed by host")
                return
            self.counters.bytes_received += len(line)
            if not line.endswith(b"\n"):
                too_large = len(line) > self.max_reply_bytes
                self._drop(
                    sock, self._too_large() if too_large else "connection closed mid-message"
                )
                return
            self._dispatch(line, len(line))

    def _read_frames(self, sock: socket.socket, reader: Any) -> None:
        while True:
            try:
                frame = read_frame(reader, self.max_reply_bytes)
            except frames.FrameError as exc:
                self.counters.malformed += 1
                self._drop(sock, str(exc))
                return
            if frame is None:
                self._drop(sock, "connection closed by host")
                return
            self.counters.bytes_received += frame.wire_size
            if frame.command == "MESSAGE":
                self._dispatch(frame.body, frame.wire_size)
            elif frame.command == "ERROR":
                self.counters.errors.append(frame.headers.get("message", "STOMP ERROR"))

    def _dispatch(self, line: bytes, size: int) -> None:
        try:
            if len(line) > LARGE_MESSAGE:
                with GC_PAUSE:
                    message = protocol.decode(line)
            else:
                message = protocol.decode(line)
        except protocol.ProtocolError:
            # a garbled reply cannot be matched to its call; fail every call waiting on it
            self.counters.malformed += 1
            with self._lock:
                pending = list(self._pending.values())
                self._pending.clear()
            for waiter in pending:
                waiter.error = "malformed response"
                waiter.done.set()
            return
        if "method" in message and message.get("id") is None:
            self.counters.events += 1
            if self.on_event is not None:
                self.on_event(str(message.get("method", "")), message.get("params") or {}, size)
            return
        request_id = message.get("id")
        with self._lock:
            answered = self._pending.pop(request_id, None) if isinstance(request_id, int) else None
        if answered is not None:
            answered.message = message
            answered.size = size
            answered.done.set()

    # calling ------------------------------------------------------------------------------------
    def call(
        self, method: str, params: dict[str, Any] | None = None, *, timeout_s: float | None = None
    ) -> Any:
        """Call `method` and return its result; raises HostCallError on any failure."""
        request_id = next(self._ids)
        data = protocol.request(request_id, method, params)
        if self.wire is WireProtocol.STOMP:
            # one object per SEND and a fixed reply-to, as the engine sends
            headers = {"destination": STOMP_REQUESTS, "reply-to": STOMP_RESPONSES}
            data = frames.encode("SEND", headers, memoryview(data)[:-1])
        waiter = _Pending()
        started = self.clock()  # a reconnect on the way is talking to the host too
        with self._lock:
            sock = self._ensure_connected_locked()
            self._pending[request_id] = waiter
        try:
            self._send_locked(sock, data)
        except OSError as exc:
            self._drop(sock, f"send failed: {exc}")
            raise HostCallError(method, f"send failed: {exc}") from None
        self.counters.calls += 1
        if not waiter.done.wait(self.timeout_s if timeout_s is None else timeout_s):
            with self._lock:
                self._pending.pop(request_id, None)
            self._record(len(data), self.clock() - started)
            raise HostCallError(method, "timed out")
        self._record(len(data) + waiter.size, self.clock() - started)
        if waiter.error is not None:
            raise HostCallError(method, waiter.error)
        assert waiter.message is not None
        if "error" in waiter.message:
            error = waiter.message["error"] or {}
            raise HostCallError(method, str(error.get("message")), code=error.get("code"))
        return waiter.message.get("result")

    def subscribe(self, pattern: str = protocol.EVENT_PREFIX + "*") -> None:
        """Subscribe this connection to status events (kept across reconnects).

        Over STOMP this is a SUBSCRIBE to the events queue (the pattern is the engine's own
        filter, applied by the caller); a ping answered after it shows it is in force.
        """
        if self.wire is WireProtocol.STOMP:
            with self._lock:
                sock = self._ensure_connected_locked()
            self._send_locked(sock, self._stomp_subscribe(STOMP_EVENTS))
            self.call("Host.ping2")
        else:
            self.call("Events.subscribe", {"pattern": pattern})
        self._subscribed_pattern = pattern
