"""Process facts from /proc: alive (zombies are not), children, memory fields."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vmmonbench import procfs

pytestmark = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")


def test_a_zombie_is_not_alive_and_a_reaped_process_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    # wait until it has exited, leaving it unreaped: a zombie
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    assert child.pid in procfs.children(os.getpid())
    assert not procfs.alive(child.pid)
    child.wait()
    assert child.pid not in procfs.children(os.getpid())
    assert not procfs.alive(child.pid)


def test_a_running_child_is_alive_and_listed() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        assert procfs.alive(child.pid)
        assert child.pid in procfs.children(os.getpid())
        assert procfs.memory_bytes(child.pid, "VmRSS") > 0
        assert procfs.proportional_bytes(child.pid) > 0
    finally:
        child.communicate(b"")
    assert procfs.memory_bytes(child.pid, "VmRSS") == 0  # gone: 0, not an error


def test_memory_fields_of_this_process() -> None:
    rss = procfs.memory_bytes("self", "VmRSS")
    assert rss > 0
    assert procfs.memory_bytes("self", "VmHWM") >= rss
    assert procfs.memory_bytes("self", "NoSuchField") == 0
