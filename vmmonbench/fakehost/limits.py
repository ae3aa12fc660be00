"""How much a peer may cost the fake host: per-connection and overall output bounds, the ledger."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Bounds that keep one client from costing the host much or stalling the others.

    A reply is always written whole (the read loop waits for it to drain: backpressure); beyond
    the replies in flight a connection may queue `event_backlog_bytes` of events, and all
    connections together `total_backlog_bytes`. A peer whose queue has not moved for
    `stall_timeout_s` is cut off, as are the largest queues when the total is over budget.
    """

    max_connections: int = 1024
    event_backlog_bytes: int = 8 << 20
    total_backlog_bytes: int = 512 << 20
    stall_timeout_s: float = 60.0
    inflight_per_connection: int = 64  # commands and delayed replies; reading pauses beyond
    sweep_interval_s: float = 0.25


DEFAULT_LIMITS = ConnectionLimits()


class OutputLedger:
    """Bytes queued for every connection of a server, kept as each connection last reported."""

    __slots__ = ("_by_connection", "total")

    def __init__(self) -> None:
        self._by_connection: dict[object, int] = {}
        self.total = 0

    def update(self, connection: object, queued: int) -> None:
        """Record what `connection` has queued now."""
        self.total += queued - self._by_connection.get(connection, 0)
        self._by_connection[connection] = queued

    def forget(self, connection: object) -> None:
        """A closed connection queues nothing."""
        self.total -= self._by_connection.pop(connection, 0)
