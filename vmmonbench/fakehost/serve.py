"""Running fake hosts as a process: serve until a signal, the ready line, the exposure warning."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import signal
import time
from collections.abc import Callable

import orjson

from vmmonbench import procfs
from vmmonbench.errors import BadInputError
from vmmonbench.fakehost.config import FakeHostConfig
from vmmonbench.fakehost.host import Clock
from vmmonbench.fakehost.server import FakeHostServer

READY_PREFIX = "VMMONBENCH_FAKE_HOST_READY"
WATCH_INTERVAL_S = 0.5
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def serve(
    config: FakeHostConfig,
    *,
    on_ready: Callable[[FakeHostServer], None] | None = None,
    clock: Clock = time.monotonic,
) -> None:
    """Serve the configured hosts until SIGINT/SIGTERM or the watched process ends.

    `on_ready` is called once every port listens. Returns after a clean stop; BadInputError
    when the hosts cannot be served (port in use, bad address, no such watched process).
    """
    asyncio.run(_serve(config, on_ready, clock))


def ready_line(server: FakeHostServer) -> str:
    """The one machine-readable line a started fake-host process prints."""
    info = {
        "ports": server.ports,
        "bind": server.config.bind,
        "pid": os.getpid(),
        "hosts": [
            {"index": host.index, "id": host.spec.id, "port": port}
            for host, port in zip(server.hosts, server.ports, strict=True)
        ],
    }
    return f"{READY_PREFIX} {orjson.dumps(info).decode()}"


def exposure_warning(bind: str) -> str | None:
    """A one-line warning when `bind` is not a loopback address, else None."""
    if bind == "localhost":
        return None
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(bind).is_loopback:
            return None
    return (
        f"warning: the fake host listens on {bind}, reachable from the network, "
        "and accepts any request without authentication"
    )


async def _serve(
    config: FakeHostConfig, on_ready: Callable[[FakeHostServer], None] | None, clock: Clock
) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    # handlers first: a signal while a large inventory is built still stops cleanly
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stopping.set)
    try:
        if config.watch_pid is not None and not procfs.alive(config.watch_pid):
            raise BadInputError(f"--watch-pid {config.watch_pid}: no such process")
        server = FakeHostServer(config, clock=clock)
        await server.start()
        watcher = None
        if config.watch_pid is not None:
            watcher = loop.create_task(_watch(config.watch_pid, stopping))
        try:
            if on_ready is not None and not stopping.is_set():
                on_ready(server)
            await stopping.wait()
        finally:
            if watcher is not None:
                watcher.cancel()
            await server.stop()
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


async def _watch(pid: int, stopping: asyncio.Event) -> None:
    while procfs.alive(pid):
        await asyncio.sleep(WATCH_INTERVAL_S)
    stopping.set()
