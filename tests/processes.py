"""Real vmmonbench subprocesses for tests: a fake host (ready line parsed, stopped), a run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from vmmonbench.fakehost import READY_PREFIX
from vmmonbench.results import Results


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


def run_to_results(command: list[str], out: Path, *, timeout_s: float = 240) -> Results:
    """Run `command` (a run writing into `out`), which must succeed; its results as written."""
    argv = [*command, "--out", str(out)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    assert done.returncode == 0, done.stderr
    return Results.load(out / "results.json")
