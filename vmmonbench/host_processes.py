"""Fake-host processes for a run: spawn `vmmonbench fake-host`, wait until ready, stop them."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from vmmonbench import procfs, protocol
from vmmonbench.errors import BadInputError, RunFailedError, RunInterruptedError
from vmmonbench.fakehost import READY_PREFIX
from vmmonbench.fakehost.config import MAX_HOST_INDEX
from vmmonbench.monitor.hostclient import HostCallError, HostClient
from vmmonbench.outputs import open_in_folder
from vmmonbench.workload import MAX_TOTAL_VMS, MAX_VMS_PER_HOST

MAX_DEVICES_PER_VM = 16  # vNICs or disks, as a workload allows


@dataclass(frozen=True, slots=True)
class HostEndpoint:
    """Where one emulated host listens, and who it is (inventory index, host id)."""

    index: int
    id: str
    address: str
    port: int


class FakeHostProcesses:
    """One or more fake-host child processes serving a workload's hosts on loopback."""

    def __init__(
        self,
        workload_file: Path,
        hosts: int,
        *,
        processes: int = 1,
        log_dir: Path,
        bind: str = "127.0.0.1",
        stop: threading.Event | None = None,
    ) -> None:
        self.workload_file = workload_file
        self.hosts = hosts
        self.processes = max(1, min(processes, hosts))
        self.log_dir = log_dir
        self.bind = bind
        self.stop_requested = stop or threading.Event()  # a signal while spawning ends the wait
        self._children: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def start(self, timeout_s: float = 300.0) -> list[HostEndpoint]:
        """Spawn the processes and return every host's endpoint once all are listening.

        Raises RunFailedError when a process does not become ready, RunInterruptedError when
        the run is asked to stop meanwhile (the processes started so far are stopped).
        """
        endpoints: list[HostEndpoint] = []
        share, extra = divmod(self.hosts, self.processes)
        offset = 0
        for number in range(self.processes):
            count = share + (1 if number < extra else 0)
            endpoints.extend(self._spawn(number, offset, count, timeout_s))
            offset += count
        return sorted(endpoints, key=lambda e: e.index)

    def _spawn(self, number: int, offset: int, count: int, timeout_s: float) -> list[HostEndpoint]:
        log_path = self.log_dir / f"fake-host-{number}.log"
        log = open_in_folder(log_path)
        self._logs.append(log)
        command = [
            sys.executable,
            "-m",
            "vmmonbench",
            "fake-host",
            "--workload",
            str(self.workload_file),
            "--hosts",
            str(count),
            "--host-offset",
            str(offset),
            "--port",
            "0",
            "--bind",
            self.bind,
            "--churn",
            "0",
            "--devices-change",
            "0",
            "--watch-pid",
            str(os.getpid()),
        ]
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,  # Ctrl-C reaches the runner only; it stops the children
        )
        self._children.append(child)
        line = _read_ready_line(child, timeout_s, self.stop_requested)
        if line is None:
            if self.stop_requested.is_set():
                # still building its hosts, it heeds no SIGTERM yet, and holds nothing to save
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                self.stop()
                raise RunInterruptedError("stopped while the fake hosts were starting")
            self.stop()
            raise RunFailedError(
                f"fake-host process did not become ready (see {log_path}): " + _tail(log_path)
            )
        threading.Thread(target=_drain, args=(child.stdout, log), daemon=True).start()
        ready = orjson.loads(line.removeprefix(READY_PREFIX))
        address = self.bind if self.bind not in {"0.0.0.0", "::"} else "127.0.0.1"
        return [
            HostEndpoint(
                index=int(h["index"]), id=str(h["id"]), address=address, port=int(h["port"])
            )
            for h in ready["hosts"]
        ]

    def died(self) -> str | None:
        """A one-line reason if any child exited, else None."""
        for child in self._children:
            code = child.poll()
            if code is not None:
                return f"fake-host process {child.pid} exited with code {code}"
        return None

    def peak_rss_bytes(self) -> list[int]:
        """Peak resident memory of each live child (Linux VmHWM), in bytes."""
        peaks = [procfs.memory_bytes(child.pid, "VmHWM") for child in self._children]
        return [peak for peak in peaks if peak]

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM every child, then SIGKILL what did not stop in time."""
        for child in self._children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for child in self._children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            if child.stdout is not None:
                child.stdout.close()
        for log in self._logs:
            log.close()
        self._logs.clear()


def _read_ready_line(
    child: subprocess.Popen[bytes], timeout_s: float, stop: threading.Event
) -> str | None:
    assert child.stdout is not None
    deadline = time.monotonic() + timeout_s
    buffer = b""
    fd = child.stdout.fileno()
    while time.monotonic() < deadline and not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            if child.poll() is not None:
                return None
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            text = line.decode("utf-8", "replace").strip()
            if text.startswith(READY_PREFIX):
                return text
    return None


def _drain(stream: IO[bytes] | None, log: IO[bytes]) -> None:
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        for line in iter(stream.readline, b""):
            log.write(line)


def _tail(path: Path, lines: int = 3) -> str:
    with contextlib.suppress(OSError):
        text = path.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "no output"
    return "no output"


def parse_connect(text: str) -> list[tuple[str, int]]:
    """`HOST:PORT[,HOST:PORT...]` (IPv6 as `[::1]:PORT`) into (address, port) pairs."""
    pairs: list[tuple[str, int]] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        address, sep, port = item.rpartition(":")
        address = address.strip("[]")
        if not sep or not address or not port.isdigit() or not 0 < int(port) < 65536:
            raise BadInputError(
                f"bad --connect endpoint {item!r}: use HOST:PORT, e.g. 10.0.0.5:54321"
            )
        pairs.append((address, int(port)))
    if not pairs:
        raise BadInputError("--connect needs at least one HOST:PORT")
    if len(set(pairs)) != len(pairs):
        raise BadInputError("--connect lists the same endpoint twice")
    return pairs


@dataclass(frozen=True, slots=True)
class RemoteInventory:
    """What remote fake hosts serve, as their Sim.info says (must agree across hosts)."""

    vms: int
    vnics: int
    disks: int
    seed: int


class RemoteHosts:
    """Fake hosts started elsewhere (`vmmonbench fake-host --bind ADDR`), reached by address."""

    processes = 0

    def __init__(self, endpoints: list[tuple[str, int]], *, timeout_s: float = 10.0) -> None:
        self.endpoints = endpoints
        self.timeout_s = timeout_s
        self.inventory: RemoteInventory | None = None

    def start(self, timeout_s: float = 0.0) -> list[HostEndpoint]:
        """Ask every host who it is; BadInputError when one is unreachable or they disagree."""
        found: list[HostEndpoint] = []
        inventories: set[RemoteInventory] = set()
        for address, port in self.endpoints:
            # a reply before the inventory is known is small: a host cannot make us hold more
            client = HostClient(
                address,
                port,
                timeout_s=self.timeout_s,
                connect_timeout_s=5.0,
                max_reply_bytes=protocol.MAX_CONTROL_REPLY,
            )
            try:
                info = client.call("Sim.info")
            except HostCallError as exc:
                if exc.method == "connect":
                    message = f"cannot reach fake host {address}:{port}: {exc.reason}"
                else:
                    message = f"fake host {address}:{port} gave no usable Sim.info: {exc.reason}"
                raise BadInputError(message) from None
            finally:
                client.close()
            endpoint, inventory = _checked_info(info, address, port)
            found.append(endpoint)
            inventories.add(inventory)
        if len(inventories) != 1:
            raise BadInputError(
                "the fake hosts given to --connect serve different inventories (vms, vnics, disks "
                "or seed differ): start them all from the same workload"
            )
        if len({e.index for e in found}) != len(found):
            raise BadInputError(
                "two fake hosts given to --connect have the same host index: give each process "
                "its own --host-offset"
            )
        self.inventory = inventories.pop()
        if self.inventory.vms * len(found) > MAX_TOTAL_VMS:
            raise BadInputError(
                f"the fake hosts given to --connect serve {self.inventory.vms * len(found)} VMs "
                f"in all; vmmonbench monitors at most {MAX_TOTAL_VMS}"
            )
        return sorted(found, key=lambda e: e.index)

    def died(self) -> str | None:
        """Remote processes are not ours to watch; a failing control call reports them."""
        return None

    def peak_rss_bytes(self) -> list[int]:
        """Unknown for remote processes."""
        return []

    def stop(self, timeout_s: float = 10.0) -> None:
        """Remote hosts keep running: they belong to whoever started them."""


def _checked_info(info: Any, address: str, port: int) -> tuple[HostEndpoint, RemoteInventory]:
    """A remote host's Sim.info, validated as strictly as the options it stands in for."""
    where = f"fake host {address}:{port} answered Sim.info with"

    def count(key: str, low: int, high: int) -> int:
        if key not in info:
            raise BadInputError(f"{where} no {key}")
        value = info[key]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            shown = orjson.dumps(value, default=str).decode()[:40]
            raise BadInputError(f"{where} {key} = {shown}: must be an integer {low}..{high}")
        return value

    if not isinstance(info, dict):
        raise BadInputError(
            f"{where} {orjson.dumps(info, default=str).decode()[:40]}: not an object"
        )
    host_id = info.get("hostId")
    if not isinstance(host_id, str) or not _is_uuid(host_id):
        shown = orjson.dumps(host_id, default=str).decode()[:40]
        raise BadInputError(f"{where} hostId = {shown}: not a UUID")
    endpoint = HostEndpoint(count("index", 0, MAX_HOST_INDEX), host_id, address, port)
    inventory = RemoteInventory(
        count("vms", 1, MAX_VMS_PER_HOST),
        count("vnics", 0, MAX_DEVICES_PER_VM),
        count("disks", 0, MAX_DEVICES_PER_VM),
        count("seed", 0, 2**63 - 1),
    )
    return endpoint, inventory


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
