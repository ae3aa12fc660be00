"""Fixtures for fake-host tests: a fake clock, in-process hosts on real sockets, clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.unit.fakehost.client import RpcClient
from tests.unit.fakehost.vdsm_schema import VdsmSchema
from vmmonbench.fakehost import FakeHostConfig, FakeHostServer, running_fake_host
from vmmonbench.fakehost.limits import DEFAULT_LIMITS, ConnectionLimits


class FakeClock:
    """A host clock that moves only when told (seconds, like time.monotonic)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


StartHost = Callable[..., FakeHostServer]


@pytest.fixture
def start_host(clock: FakeClock) -> Iterator[StartHost]:
    """Start a fake host in-process: start_host(vms=4, ...) -> the running server."""
    with ExitStack() as stack:

        def start(
            *,
            host_clock: Callable[[], float] | None = None,
            limits: ConnectionLimits = DEFAULT_LIMITS,
            **fields: Any,
        ) -> FakeHostServer:
            fields.setdefault("vms", 4)
            fields.setdefault("command_latency_ms", 0.0)
            config = FakeHostConfig(**fields)
            running = running_fake_host(config, clock=host_clock or clock, limits=limits)
            return stack.enter_context(running)

        yield start


@pytest.fixture
def connect() -> Iterator[Callable[[int], RpcClient]]:
    """Open clients to a port; all closed at the end of the test."""
    with ExitStack() as stack:
        yield lambda port: stack.enter_context(RpcClient(port))


@pytest.fixture
def host(start_host: StartHost) -> FakeHostServer:
    """One host with 4 VMs, 2 vNICs and 1 disk each, zero command latency, fake clock."""
    return start_host()


@pytest.fixture
def client(host: FakeHostServer, connect: Callable[[int], RpcClient]) -> RpcClient:
    return connect(host.ports[0])


@pytest.fixture(scope="session")
def vdsm_schema(vdsm_schema_path: Path) -> VdsmSchema:
    return VdsmSchema(vdsm_schema_path)
