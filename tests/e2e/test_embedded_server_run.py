"""A real `vmmonbench run` on its embedded server: the server never outlives the run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

TIMEOUT_S = 180
pytestmark = pytest.mark.slow


def _servers(parent: int | None = None) -> set[int]:
    """Running embedded postgres processes (of `parent` only, if given; others run beside us)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" or not command or not command[0].endswith(b"pginstall/bin/postgres"):
            continue
        if parent is None or int(fields[1]) == parent:
            found.add(int(entry.name))
    return found


def _wait_until(condition: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


class Run:
    """`vmmonbench run smoke` on the default database, its output awaited line by line."""

    def __init__(self, out: Path, *args: str) -> None:
        self.out = out
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vmmonbench", "run", "smoke", "--out", str(out), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def wait_for(self, text: str) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if text in line:
                return
        pytest.fail(f"the run ended before printing {text!r}")

    def its_servers(self) -> set[int]:
        """The postmaster the run started (a child of the runner)."""
        return _servers(self.process.pid)

    def finish(self) -> tuple[int, str]:
        _, err = self.process.communicate(timeout=TIMEOUT_S)
        return self.process.returncode, err


@pytest.fixture
def run() -> Iterator[type[Run]]:
    started: list[Run] = []

    class Tracked(Run):
        def __init__(self, out: Path, *args: str) -> None:
            super().__init__(out, *args)
            started.append(self)

    yield Tracked
    for item in started:
        if item.process.poll() is None:
            item.process.kill()
        item.process.communicate()  # closes its pipes whatever happened


def test_a_complete_run_names_its_server_and_stops_it(run: type[Run], tmp_path: Path) -> None:
    running = run(tmp_path / "out", "--duration", "45s", "--mode", "per-vm-lock")
    running.wait_for("started")
    servers = running.its_servers()
    assert len(servers) == 1  # one server for every configuration of the run
    code, err = running.finish()
    assert code == 0, err
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    database = results["database"]
    assert database["kind"] == "embedded"
    assert database["server"] == "embedded PostgreSQL"
    assert database["startup_s"] > 0
    assert results["environment"]["db_server_version"]
    assert all(r["server_statements"]["available"] for r in results["runs"])
    assert not (servers & _servers())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_an_interrupted_or_killed_run_leaves_no_server(
    run: type[Run], tmp_path: Path, signum: int
) -> None:
    running = run(tmp_path / "out", "--duration", "20m")
    running.wait_for("statistics cycles")
    servers = running.its_servers()
    assert servers
    running.process.send_signal(signum)
    code, err = running.finish()
    assert code == (130 if signum == signal.SIGINT else -signal.SIGKILL), err
    assert _wait_until(lambda: not (servers & _servers())), "a server outlived its run"


def test_a_failed_run_stops_its_server(run: type[Run], tmp_path: Path) -> None:
    running = run(tmp_path / "out", "--duration", "20m")
    running.wait_for("statistics cycles")
    servers = running.its_servers()
    fake_hosts = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
        and b"fake-host" in _cmdline(entry)
        and _parent(entry) == running.process.pid
    ]
    assert len(fake_hosts) == 1
    os.kill(fake_hosts[0], signal.SIGKILL)
    code, err = running.finish()
    assert code == 1, err
    assert not (servers & _servers())


def _cmdline(entry: Path) -> bytes:
    try:
        return (entry / "cmdline").read_bytes()
    except OSError:
        return b""


def _parent(entry: Path) -> int:
    try:
        return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return -1
