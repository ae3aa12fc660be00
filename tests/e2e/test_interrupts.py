"""Ctrl-C, SIGTERM and a dying fake host during a real run: partial results, right exit code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

START_TIMEOUT_S = 120


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _fake_hosts(pid: int) -> list[int]:
    # the run's children also include its database server and that server's watchdog
    found = []
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"fake-host" in command:
            found.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Run:
    """A `vmmonbench run` subprocess whose progress lines can be awaited."""

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

    def finish(self) -> tuple[int, str, dict[str, object]]:
        _, err = self.process.communicate(timeout=START_TIMEOUT_S)
        results = json.loads((self.out / "results.json").read_text())
        return self.process.returncode, err, results


@pytest.fixture
def run(tmp_path: Path) -> Iterator[type[Run]]:
    started: list[Run] = []

    class Tracked(Run):
        def __init__(self, out: Path, *args: str) -> None:
            super().__init__(out, *args)
            started.append(self)

    yield Tracked
    for item in started:
        if item.process.poll() is None:
            item.process.kill()
            item.process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_signal_stops_the_run_keeps_what_was_measured_and_exits_130(
    run: type[Run], tmp_path: Path, signum: int
) -> None:
    running = run(tmp_path / "out", "--duration", "20m")
    running.wait_for("[2/5]")  # the first configuration is complete and saved
    running.wait_for("statistics cycles")  # ... and the second one has measured something
    fake_hosts = _fake_hosts(running.process.pid)
    assert fake_hosts
    running.process.send_signal(signum)
    code, err, results = running.finish()
    assert code == 130, err
    assert "Traceback" not in err
    assert results["status"] == "interrupted"
    runs = results["runs"]
    assert isinstance(runs, list)
    assert runs[0]["status"] == "complete"
    assert runs[-1]["status"] == "interrupted"
    assert runs[-1]["summary"]["statements"] > 0  # what the stopped configuration measured
    assert not any(_alive(pid) for pid in fake_hosts)


@pytest.mark.slow
def test_a_fake_host_crash_fails_the_run_with_partial_results(
    run: type[Run], tmp_path: Path
) -> None:
    running = run(tmp_path / "out", "--duration", "20m")
    running.wait_for("[2/5]")
    running.wait_for("statistics cycles")
    (fake_host,) = _fake_hosts(running.process.pid)
    os.kill(fake_host, signal.SIGKILL)
    code, err, results = running.finish()
    assert code == 1, err
    assert "Traceback" not in err
    assert results["status"] == "failed"
    assert "fake-host process" in str(results["failure"])
    runs = results["runs"]
    assert isinstance(runs, list)
    assert runs[0]["status"] == "complete"
    assert runs[-1]["status"] == "failed"
