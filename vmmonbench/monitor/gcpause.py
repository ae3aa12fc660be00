"""Pausing Python's cyclic garbage collector while a monitoring cycle holds large reports."""

from __future__ import annotations

import gc
import threading


class GcPause:
    """A re-entrant, thread-shared pause of the cyclic garbage collector.

    A 6000-VM poll decodes into millions of containers that live until the cycle ends. Left on,
    the collector walks them again and again, and its pauses land inside whatever runs next,
    typically a database fetch, inflating the very DB self time the tool measures. Reference
    counting still frees everything; only cycle detection waits until no cycle holds the pause.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._holders += 1

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._was_enabled:
                gc.enable()


GC_PAUSE = GcPause()
