"""A real `vmmonbench fake-host` subprocess for tests: started, ready line parsed, stopped."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from vmmonbench.fakehost import READY_PREFIX


@contextmanager
def fake_host_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """Run `vmmonbench fake-host ARGS`; yields the process and its parsed ready line.

    On leaving, the process is stopped with SIGTERM and must have exited cleanly.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "vmmonbench", "fake-host", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(READY_PREFIX), process.stderr.read() if process.stderr else line
        yield process, orjson.loads(line.removeprefix(READY_PREFIX))
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == 0
