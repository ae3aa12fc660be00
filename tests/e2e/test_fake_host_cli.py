"""The real `vmmonbench fake-host` process: ready line, signals, bad input, watch-pid."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.unit.fakehost.client import RpcClient
from vmmonbench.fakehost import READY_PREFIX
from vmmonbench.inventory import host_spec

TIMEOUT_S = 60


def _command(*args: str) -> list[str]:
    exe = shutil.which("vmmonbench")
    base = [exe] if exe else [sys.executable, "-m", "vmmonbench"]
    return [*base, "fake-host", *args]


class FakeHostProcess:
    """A started `vmmonbench fake-host` and its parsed ready line."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            _command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        assert line.startswith(READY_PREFIX + " "), line
        self.ready: dict[str, Any] = orjson.loads(line.removeprefix(READY_PREFIX + " "))
        self.ready_line = line
        self.stderr = ""

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal (if still running), wait, and keep what it wrote on stderr."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        _, err = self.process.communicate(timeout=TIMEOUT_S)
        self.stderr += err.decode()
        return self.process.returncode


@pytest.fixture
def started() -> Iterator[list[FakeHostProcess]]:
    processes: list[FakeHostProcess] = []
    yield processes
    for process in processes:
        process.stop(signal.SIGKILL)


def _start(started: list[FakeHostProcess], *args: str) -> FakeHostProcess:
    process = FakeHostProcess(*args)
    started.append(process)
    return process


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_ready_line_then_sigterm_exits_0(started: list[FakeHostProcess]) -> None:
    process = _start(started, "--vms", "3", "--hosts", "2", "--port", "0", "--seed", "11")
    ready = process.ready
    assert process.ready_line.endswith("\n")
    assert set(ready) == {"ports", "bind", "pid", "hosts"}
    assert ready["bind"] == "127.0.0.1"
    assert ready["pid"] == process.process.pid
    assert len(ready["ports"]) == 2
    assert all(isinstance(p, int) and p > 0 for p in ready["ports"])
    assert ready["hosts"] == [
        {"index": i, "id": host_spec(11, i, 3, 2, 1).id, "port": ready["ports"][i]}
        for i in range(2)
    ]
    for port in ready["ports"]:
        with RpcClient(port) as client:
            assert len(client.call("Host.getAllVmStats")) == 3
    assert process.stop(signal.SIGTERM) == 0
    assert process.stderr == ""


def test_sigint_exits_0(started: list[FakeHostProcess]) -> None:
    process = _start(started, "--vms", "1")
    assert process.stop(signal.SIGINT) == 0


def test_consecutive_ports_and_host_offset(started: list[FakeHostProcess]) -> None:
    first = _free_port()
    process = _start(
        started, "--vms", "2", "--hosts", "1", "--port", str(first), "--host-offset", "3"
    )
    assert process.ready["ports"] == [first]
    assert process.ready["hosts"][0]["index"] == 3
    with RpcClient(first) as client:
        assert client.call("Sim.snapshot")["hostId"] == host_spec(20161, 3, 2, 2, 1).id


def test_port_in_use_is_exit_2_and_one_line(started: list[FakeHostProcess]) -> None:
    holder = _start(started, "--vms", "1")
    port = holder.ready["ports"][0]
    done = subprocess.run(
        _command("--vms", "1", "--port", str(port)),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "already in use" in lines[0]
    assert str(port) in lines[0]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--vms", "0"], "--vms"),
        (["--hosts", "0"], "--hosts"),
        (["--port", "70000"], "--port"),
        (["--fault", "earthquake"], "earthquake"),
        (["--churn", "-1"], "--churn"),
        (["--workload", "no-such-workload"], "no-such-workload"),
        (["--watch-pid", "999999999"], "--watch-pid"),
        (["--bind", "no.such.host.invalid"], "--bind"),
    ],
)
def test_bad_values_are_exit_2_and_one_line(args: list[str], named: str) -> None:
    done = subprocess.run(
        _command(*args), capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert named in lines[0]
    assert "Traceback" not in done.stderr


def test_non_loopback_bind_warns_once(started: list[FakeHostProcess]) -> None:
    process = _start(started, "--vms", "1", "--bind", "0.0.0.0")
    assert process.ready["bind"] == "0.0.0.0"
    assert process.stop() == 0
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "reachable from the network" in lines[0]


def test_watch_pid_exits_when_the_watched_process_ends(started: list[FakeHostProcess]) -> None:
    watched = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        process = _start(started, "--vms", "1", "--watch-pid", str(watched.pid))
        assert process.process.poll() is None
    finally:
        watched.kill()
        watched.wait(timeout=TIMEOUT_S)
    assert process.process.wait(timeout=TIMEOUT_S) == 0
    process.stop()


def test_workload_file_with_flags_overriding(
    started: list[FakeHostProcess], tmp_path: Path
) -> None:
    workload = tmp_path / "small.toml"
    workload.write_text(
        "vms = 3\nvnics = 1\ndisks = 2\nseed = 5\nguest_nic_reorder = false\n"
        'faults = ["missing-vms:rate=1"]\n[stats]\ncpu_percent = [50, 60]\n'
    )
    process = _start(started, "--workload", str(workload), "--vms", "2", "--fault", "delay:rate=0")
    with RpcClient(process.ready["ports"][0]) as client:
        stats = client.call("Host.getAllVmStats")
        assert len(stats) == 2  # --vms overrides; --fault replaces the workload's faults
        assert len(stats[0]["network"]) == 1
        assert len(stats[0]["disks"]) == 2
        assert 50 <= float(stats[0]["cpuUser"]) + float(stats[0]["cpuSys"]) <= 60.01
        assert client.call("Sim.stats")["active_faults"] == ["delay:rate=0,seconds=0.5"]
        assert client.call("Sim.snapshot")["hostId"] == host_spec(5, 0, 2, 1, 2).id
