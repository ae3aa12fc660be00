"""Simulated time: runs at real speed while work is in flight and jumps over idle waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class WarpClock:
    """Simulated seconds since start. `advance_to` skips ahead; time never goes back."""

    def __init__(self, base: Callable[[], float] = time.monotonic) -> None:
        self._base = base
        self._start = base()
        self._offset = 0.0
        self._lock = threading.Lock()
        self.warped_s = 0.0

    def now(self) -> float:
        """Simulated seconds since the clock was created."""
        return self._base() - self._start + self._offset

    def advance_to(self, target: float) -> None:
        """Jump to `target` if it lies ahead (the skipped span is counted in `warped_s`)."""
        with self._lock:
            gap = target - self.now()
            if gap > 0:
                self._offset += gap
                self.warped_s += gap
