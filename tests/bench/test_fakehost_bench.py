"""Fake-host performance: a 6000-VM getAllVmStats round trip, server-side poll cost, memory.

Run with `python -m pytest tests/bench/test_fakehost_bench.py --benchmark-enable` to measure;
by default (benchmarks disabled) each runs once as a test. Targets (not asserted for time):
round trip median <= 150 ms at 6000 VMs on loopback including client decode; served to the
reply's last byte <= 100 ms median over STOMP (and the same measured over lines, to compare);
resident memory <= 300 MB for a 6000-VM host process and <= 3 GB for 20 hosts x 5000 VMs.
"""

from __future__ import annotations

import gc
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from vmmonbench import protocol
from vmmonbench.fakehost import READY_PREFIX, FakeHostConfig
from vmmonbench.fakehost.host import EmulatedHost
from vmmonbench.inventory import host_spec
from vmmonbench.stomp import frames

VMS = 6000
MB = 1 << 20
RSS_TARGET_6000 = 300 * MB
RSS_TARGET_FLEET = 3 << 30
TIMEOUT_S = 300


class FakeHostProcess:
    """The real `vmmonbench fake-host` as a subprocess, with its ready line parsed."""

    def __init__(self, *args: str) -> None:
        exe = shutil.which("vmmonbench")
        command = [exe] if exe else [sys.executable, "-m", "vmmonbench"]
        self.process = subprocess.Popen(
            [*command, "fake-host", *args], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith(READY_PREFIX), line
        self.ports: list[int] = json.loads(line.split(" ", 1)[1])["ports"]

    def peak_rss(self) -> int:
        """VmHWM of the process in bytes (skips where /proc is not there)."""
        status = Path(f"/proc/{self.process.pid}/status")
        if not status.exists():
            pytest.skip("no /proc: cannot read the resident memory peak")
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("VmHWM missing from /proc status")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=TIMEOUT_S) == 0
        assert self.process.stdout is not None
        self.process.stdout.close()


class PollingClient:
    """What a manager's client does per poll: send, read one line into a reused buffer, decode.

    The cyclic GC is paused while decoding: orjson builds ~1.5 million containers per 6000-VM
    reply, and letting the collector walk them repeatedly triples the decode time.
    """

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
        self.buffer = bytearray(64 * MB)
        self.next_id = 0

    def call(self, method: str) -> Any:
        self.next_id += 1
        self.sock.sendall(protocol.request(self.next_id, method))
        view = memoryview(self.buffer)
        size = 0
        while True:
            if size == len(self.buffer):
                self.buffer.extend(bytes(len(self.buffer)))
                view = memoryview(self.buffer)
            got = self.sock.recv_into(view[size:])
            if not got:
                raise ConnectionError("fake host closed the connection")
            size += got
            if self.buffer[size - 1] == ord("\n"):
                break
        line = bytes(view[:size])
        view.release()
        gc.disable()
        try:
            reply = orjson.loads(line)
        finally:
            gc.enable()
        return reply["result"]

    def close(self) -> None:
        self.sock.close()


class LastByteClient:
    """Send one request and read its whole reply, undecoded: the host's serving time.

    `stomp`: the engine's way (SUBSCRIBE, CONNECT, SEND with a fixed reply-to); the reply's
    end is found from its content-length. Lines: the reply ends at its newline.
    """

    def __init__(self, port: int, *, stomp: bool) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.stomp = stomp
        self.buffer = bytearray(64 * MB)
        self.next_id = 0
        if stomp:
            self.sock.sendall(
                frames.encode("SUBSCRIBE", {"destination": "jms.topic.vdsm_responses", "id": "r"})
                + frames.encode("CONNECT", {"accept-version": "1.2", "host": "null"})
            )
            self._read_one()  # CONNECTED

    def call(self, method: str) -> int:
        """Bytes of the reply, once its last byte has arrived."""
        self.next_id += 1
        data = protocol.request(self.next_id, method)
        if self.stomp:
            headers = {
                "destination": "jms.topic.vdsm_requests",
                "reply-to": "jms.topic.vdsm_responses",
            }
            data = frames.encode("SEND", headers, data[:-1])
        self.sock.sendall(data)
        return self._read_one()

    def _read_one(self) -> int:
        view = memoryview(self.buffer)
        size, end = 0, -1
        while end < 0 or size < end:
            got = self.sock.recv_into(view[size:])
            if not got:
                raise ConnectionError("fake host closed the connection")
            size += got
            if end < 0:
                end = self._end(size)
        view.release()
        return size

    def _end(self, size: int) -> int:
        if not self.stomp:
            return size if self.buffer[size - 1] == ord("\n") else -1
        head_end = self.buffer.find(b"\n\n", 0, size)
        if head_end < 0:
            return -1
        head = bytes(self.buffer[:head_end]).decode()
        lengths = [line for line in head.split("\n") if line.startswith("content-length:")]
        body = int(lengths[0].split(":", 1)[1]) if lengths else 0
        return head_end + 2 + body + 1

    def close(self) -> None:
        self.sock.close()


class _NoEvents:
    """A caller that never subscribes (polls need no connection)."""

    def send(self, data: bytes) -> None:
        raise AssertionError("a poll sends no events")


@pytest.fixture(scope="module")
def fake_host_6000() -> Iterator[FakeHostProcess]:
    process = FakeHostProcess("--vms", str(VMS), "--port", "0")
    try:
        yield process
    finally:
        process.stop()


def test_get_all_vm_stats_round_trip_6000(
    benchmark: BenchmarkFixture, fake_host_6000: FakeHostProcess
) -> None:
    client = PollingClient(fake_host_6000.ports[0])
    try:
        result = benchmark.pedantic(
            client.call, args=("Host.getAllVmStats",), rounds=15, warmup_rounds=2
        )
        assert len(result) == VMS
    finally:
        client.close()
    rss = fake_host_6000.peak_rss()
    benchmark.extra_info["peak_rss_mb"] = round(rss / MB, 1)
    assert rss <= RSS_TARGET_6000


@pytest.mark.parametrize("wire", ["stomp", "line"])
def test_get_all_vm_stats_served_to_the_last_byte_6000(
    benchmark: BenchmarkFixture, fake_host_6000: FakeHostProcess, wire: str
) -> None:
    client = LastByteClient(fake_host_6000.ports[0], stomp=wire == "stomp")
    try:
        size = benchmark.pedantic(
            client.call, args=("Host.getAllVmStats",), rounds=15, warmup_rounds=2
        )
        assert size > VMS * 1000
        benchmark.extra_info["reply_mb"] = round(size / MB, 2)
    finally:
        client.close()


def _host_in_process() -> EmulatedHost:
    config = FakeHostConfig(vms=VMS)
    spec = host_spec(config.seed, 0, VMS, config.vnics, config.disks)
    return EmulatedHost(spec, config, time.monotonic)


def test_server_side_poll_6000(benchmark: BenchmarkFixture) -> None:
    """Statistics refresh plus encoding, in process: the host's share of the round trip."""
    host = _host_in_process()

    def poll() -> bytes:
        return protocol.result(1, host.get_all_vm_stats({}, _NoEvents()))

    data = benchmark.pedantic(poll, rounds=15, warmup_rounds=1)
    benchmark.extra_info["reply_mb"] = round(len(data) / MB, 2)


def test_server_side_reset_and_snapshot_6000(benchmark: BenchmarkFixture) -> None:
    """What a host does between two configurations: Sim.reset, then the consistency snapshot."""
    host = _host_in_process()
    host.sim_snapshot({}, _NoEvents())  # a run's first check: every VM's device list built once

    def reset_and_snapshot() -> bytes:
        host.sim_reset({}, _NoEvents())
        return protocol.result(1, host.sim_snapshot({}, _NoEvents()))

    data = benchmark.pedantic(reset_and_snapshot, rounds=10, warmup_rounds=1)
    snapshot = orjson.loads(data)["result"]
    assert len(snapshot["vms"]) == VMS
    assert all(vm["devices"] for vm in snapshot["vms"])
    benchmark.extra_info["reply_mb"] = round(len(data) / MB, 2)


@pytest.mark.slow
def test_fleet_of_20_hosts_x_5000_vms_memory() -> None:
    process = FakeHostProcess("--vms", "5000", "--hosts", "20", "--port", "0")
    try:
        for port in process.ports:
            client = PollingClient(port)
            try:
                assert len(client.call("Host.getAllVmStats")) == 5000
            finally:
                client.close()
        assert process.peak_rss() <= RSS_TARGET_FLEET
    finally:
        process.stop()
