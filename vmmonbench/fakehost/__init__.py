"""Emulated VDSM hosts: VM state and statistics, an asyncio JSON-RPC server, faults, events."""

from __future__ import annotations

from vmmonbench.fakehost.background import running_fake_host
from vmmonbench.fakehost.config import FakeHostConfig
from vmmonbench.fakehost.host import Clock, EmulatedHost
from vmmonbench.fakehost.serve import READY_PREFIX, exposure_warning, ready_line, serve
from vmmonbench.fakehost.server import FakeHostServer
from vmmonbench.fakehost.vmstate import VM_STATUSES

__all__ = [
    "READY_PREFIX",
    "VM_STATUSES",
    "Clock",
    "EmulatedHost",
    "FakeHostConfig",
    "FakeHostServer",
    "exposure_warning",
    "ready_line",
    "running_fake_host",
    "serve",
]
