"""Timers on simulated time: actions run when due; idle gaps are skipped, busy time is real."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable

from vmmonbench.monitor.clock import WarpClock

Action = Callable[[], None]


class Scheduler:
    """A timer queue over a WarpClock.

    The clock may only jump ahead when nothing is in flight (no cycle, event or command running,
    and no event announced by the host still on its way), so every piece of work runs for real
    and everything that overlaps in real life overlaps here.
    """

    def __init__(self, clock: WarpClock, *, expected_event_timeout_s: float = 2.0) -> None:
        self.clock = clock
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Action]] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._expected = 0
        self._expected_since = 0.0
        self._expected_timeout_s = expected_event_timeout_s
        self.expected_events_lost = 0

    def at(self, when: float, action: Action) -> None:
        """Run `action` (quickly; it should hand work to a pool) at simulated time `when`."""
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._seq), action))
            self._cond.notify_all()

    def begin_work(self) -> None:
        """One more piece of work in flight: the clock will not jump."""
        with self._cond:
            self._in_flight += 1

    def end_work(self) -> None:
        """A piece of work finished."""
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    def expect_events(self, count: int) -> None:
        """The host announced `count` events (e.g. after Sim.setStatus); hold the clock for them."""
        with self._cond:
            self._expected = max(0, self._expected + count)
            self._expected_since = time.monotonic()
            self._cond.notify_all()

    def event_arrived(self) -> None:
        """One announced event reached the monitor."""
        with self._cond:
            if self._expected > 0:
                self._expected -= 1
            self._cond.notify_all()

    def _idle(self) -> bool:
        if self._in_flight:
            return False
        if self._expected and time.monotonic() - self._expected_since > self._expected_timeout_s:
            # an announced event never came (dropped connection, fault): stop waiting for it
            self.expected_events_lost += self._expected
            self._expected = 0
        return self._expected == 0

    def run_until(self, end: float, stop: threading.Event) -> None:
        """Run due actions until simulated time `end` or `stop`; warps over idle gaps."""
        while not stop.is_set():
            with self._cond:
                if not self._heap:
                    if self._idle():
                        self.clock.advance_to(end)
                        return
                    self._cond.wait(0.05)
                    continue
                when, _, action = self._heap[0]
                if when >= end:
                    if self._idle():
                        self.clock.advance_to(end)
                        return
                    self._cond.wait(min(0.05, max(0.0, end - self.clock.now())))
                    if self.clock.now() >= end:
                        return
                    continue
                now = self.clock.now()
                if now < when:
                    if self._idle():
                        self.clock.advance_to(when)
                    else:
                        self._cond.wait(min(0.05, when - now))
                        continue
                heapq.heappop(self._heap)
            action()

    def drain(self, timeout_s: float) -> bool:
        """Wait (real time) until nothing is in flight; False if `timeout_s` passed first."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))
        return True

    def clear(self) -> None:
        """Forget every pending action."""
        with self._cond:
            self._heap.clear()
