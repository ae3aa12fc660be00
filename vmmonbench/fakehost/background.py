"""Embedding: run a FakeHostServer on a background thread for tests and in-process tools."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from vmmonbench.fakehost.config import FakeHostConfig
from vmmonbench.fakehost.host import Clock
from vmmonbench.fakehost.limits import DEFAULT_LIMITS, ConnectionLimits
from vmmonbench.fakehost.server import FakeHostServer


@contextmanager
def running_fake_host(
    config: FakeHostConfig,
    *,
    clock: Clock = time.monotonic,
    limits: ConnectionLimits = DEFAULT_LIMITS,
) -> Iterator[FakeHostServer]:
    """A started FakeHostServer (real sockets, own event loop thread) for the `with` block."""
    server = FakeHostServer(config, clock=clock, limits=limits)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-host", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result()
        try:
            yield server
        finally:
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
