"""PeerConnection: one client's bounded output, its owned tasks and closing, for both protocols."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

from vmmonbench.fakehost.host import EmulatedHost
from vmmonbench.fakehost.limits import ConnectionLimits, OutputLedger


class PeerConnection:
    """A connection to one host. Subclasses frame the bytes; this class bounds what they cost.

    `queue` writes without waiting (events, heart-beats) and cuts the peer off when it is
    more than `event_backlog_bytes` behind the replies in flight, or when the server is over
    its total budget; `write_reply` writes and waits until the peer has taken it.
    """

    def __init__(
        self,
        host: EmulatedHost,
        writer: asyncio.StreamWriter,
        limits: ConnectionLimits,
        ledger: OutputLedger,
    ) -> None:
        self.host = host
        self.writer = writer
        self.limits = limits
        self._ledger = ledger
        self.closed = False
        self.tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._room.set()
        self._replies_in_flight = 0
        self.stall_mark = (0, time.monotonic())  # (queued bytes, since when it has not shrunk)

    # output -----------------------------------------------------------------------------
    def queued(self) -> int:
        """Bytes written to this connection that the peer has not taken yet."""
        if self.closed:
            return 0
        return self.writer.transport.get_write_buffer_size()

    def _emit(self, data: bytes) -> None:
        self.writer.write(data)

    async def _flush(self) -> None:
        await self.writer.drain()

    def queue(self, data: bytes) -> None:
        """Write without waiting; a peer far behind (or a host over budget) is cut off."""
        if self.closed or self.writer.transport.is_closing():
            return
        self._emit(data)
        self.host.counters.bytes_sent += len(data)
        self.enforce_limits()

    def enforce_limits(self) -> None:
        """Cut this peer off if it is too far behind, or behind while the host is over budget."""
        queued = self.queued()
        self._ledger.update(self, queued)
        behind = queued - self._replies_in_flight
        if behind > self.limits.event_backlog_bytes or (
            self._ledger.total > self.limits.total_backlog_bytes
            and behind > self.limits.event_backlog_bytes // 8
        ):
            self.abort()

    async def write_reply(self, data: bytes) -> None:
        """Write a reply whole and wait until the transport has room again."""
        self._replies_in_flight += len(data)
        try:
            self.queue(data)
            if not self.closed:
                await self._flush()
        except ConnectionError:
            self.abort()
        finally:
            self._replies_in_flight -= len(data)
            if not self.closed:
                self._ledger.update(self, self.queued())

    # work owned by the connection ------------------------------------------------------
    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a reply coroutine beside the read loop (latency or delay must not block it)."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        if len(self.tasks) >= self.limits.inflight_per_connection:
            self._room.clear()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if len(self.tasks) < self.limits.inflight_per_connection:
            self._room.set()

    async def room(self) -> None:
        """Wait until fewer than `inflight_per_connection` replies are pending (backpressure)."""
        await self._room.wait()

    # closing ------------------------------------------------------------------------------
    async def flushed(self) -> None:
        """Wait until everything queued has been handed to the transport (closing cleanly)."""

    def close(self) -> None:
        """Close after flushing what is queued."""
        if not self.closed:
            self._release()
            self.writer.close()

    def abort(self) -> None:
        """Close at once, discarding what is queued."""
        if not self.closed:
            self._release()
            self.writer.transport.abort()

    def _release(self) -> None:
        self.closed = True
        self._ledger.forget(self)
        self.host.unsubscribe(self)
        self._room.set()  # a read loop waiting for room must see the close
        current = asyncio.current_task()
        for task in list(self.tasks):
            if task is not current:
                task.cancel()
