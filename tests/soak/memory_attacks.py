"""Three memory attacks on a real fake-host process, each reporting the process's peak RSS.

`python -m tests.soak.memory_attacks` prints the table used in the issue-14 note; the tests in
test_memory_attacks.py run the same attacks and check the bounds.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

from tests.processes import fake_host_process
from vmmonbench import protocol

MB = 1 << 20
NON_READERS = 3
ATTACK_S = 20.0  # every attack is bounded in time: it is a test, not a siege


@dataclass(frozen=True, slots=True)
class AttackOutcome:
    """What one attack did to the fake host."""

    name: str
    rss_before: int
    rss_peak: int
    cut_off: int  # attacking connections the host closed
    detail: str = ""


def status_field(pid: int, field: str) -> int:
    """A /proc/<pid>/status memory field (VmRSS, VmHWM) in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"{field} missing from /proc/{pid}/status")


def _non_reader(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    # a tiny receive window: what the host queues stays in the host, not in our kernel buffer
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


def _call(sock: socket.socket, file: object, method: str, params: dict[str, object]) -> object:
    sock.sendall(protocol.request(1, method, params))
    while True:
        message = orjson.loads(file.readline())  # type: ignore[attr-defined]
        if message.get("id") == 1:
            return message.get("result")


def _open_connections(sock: socket.socket, file: object) -> int:
    """How many connections the host has open now (its own count, from Sim.stats)."""
    stats = _call(sock, file, "Sim.stats", {})
    return int(stats["connections"])  # type: ignore[index]


def _await_connections(
    sock: socket.socket, file: object, done: Callable[[int], bool], timeout_s: float
) -> int:
    """The host's open-connection count once `done` holds for it (or at the deadline)."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout_s
    while True:
        count = _open_connections(sock, file)
        if done(count) or time.monotonic() > deadline:
            return count
        pause.wait(0.05)  # the host closes a connection on its own loop: ask again shortly


def non_reading_subscribers(port: int, pid: int, vms: list[str]) -> AttackOutcome:
    """Subscribers that never read while every VM's status flips over and over.

    Whether the host cut a victim off is read from the host's own count of open connections:
    draining a victim to see its end would take minutes through its tiny receive window.
    """
    before = status_field(pid, "VmRSS")
    victims = [_non_reader(port) for _ in range(NON_READERS)]
    for sock in victims:
        sock.sendall(protocol.request(1, "Events.subscribe", {"pattern": "|virt|VM_status|*"}))
        with sock.makefile("rb") as answer:
            assert orjson.loads(answer.readline())["result"] is True  # subscribed before flips
    driver = socket.create_connection(("127.0.0.1", port), timeout=60)
    file = driver.makefile("rb")
    attackers = NON_READERS + 1  # the victims and this driver; the listing connection is gone
    assert _await_connections(driver, file, lambda n: n == attackers, 10.0) == attackers
    deadline = time.monotonic() + ATTACK_S
    flips = 0
    while time.monotonic() < deadline and flips < 120:
        status = "Paused" if flips % 2 == 0 else "Up"
        _call(driver, file, "Sim.setStatus", {"vmIds": vms, "status": status})
        flips += 1
    peak = status_field(pid, "VmHWM")
    cut = attackers - _await_connections(driver, file, lambda n: n < attackers, 10.0)
    for sock in [*victims, driver]:
        sock.close()
    return AttackOutcome("3 non-reading subscribers", before, peak, cut, f"{flips} flips")


def pipelined_non_reader(port: int, pid: int, vms: list[str]) -> AttackOutcome:
    """One client pipelining commands without ever reading a reply."""
    before = status_field(pid, "VmRSS")
    sock = _non_reader(port)
    sock.settimeout(2.0)
    command = protocol.request(7, "VM.setTicket", {"vmID": vms[0], "password": "x", "ttl": 1})
    batch = command * 2000
    sent = 0
    deadline = time.monotonic() + ATTACK_S
    while time.monotonic() < deadline and sent < 400 * MB:
        try:
            sock.sendall(batch)
        except TimeoutError:
            break  # the host stopped reading us: backpressure
        except OSError:
            break  # the host cut us off
        sent += len(batch)
    peak = status_field(pid, "VmHWM")
    with socket.create_connection(("127.0.0.1", port), timeout=60) as driver:
        cut = 2 - _open_connections(driver, driver.makefile("rb"))  # the attacker, and this one
    sock.close()
    return AttackOutcome(
        "pipelined requests, never read", before, peak, cut, f"{sent // MB} MB sent"
    )


def huge_glob(port: int, pid: int, vms: list[str]) -> AttackOutcome:
    """A 480 KB glob in Events.subscribe, then events while another client pings."""
    before = status_field(pid, "VmRSS")
    attacker = socket.create_connection(("127.0.0.1", port), timeout=60)
    attacker_file = attacker.makefile("rb")
    pattern = "|virt|VM_status|" + "*a" * (240 * 1024)
    reply = _call(attacker, attacker_file, "Events.subscribe", {"pattern": pattern})
    driver = socket.create_connection(("127.0.0.1", port), timeout=60)
    file = driver.makefile("rb")
    started = time.perf_counter()
    for vm_id in vms[:3]:
        _call(driver, file, "Sim.setStatus", {"vmIds": [vm_id], "status": "Paused"})
    stalled = time.perf_counter() - started
    attacker.close()
    peak = status_field(pid, "VmHWM")
    driver.close()
    detail = f"subscribe answered {reply!r}; 3 status changes took {stalled:.2f} s"
    return AttackOutcome("480 KB Events.subscribe glob", before, peak, 0, detail)


ATTACKS: tuple[Callable[[int, int, list[str]], AttackOutcome], ...] = (
    non_reading_subscribers,
    pipelined_non_reader,
    huge_glob,
)


def run_attack(
    attack: Callable[[int, int, list[str]], AttackOutcome], vms: int = 6000
) -> AttackOutcome:
    """Run one attack against a fresh `vmmonbench fake-host --vms N` process."""
    with fake_host_process("--vms", str(vms), "--port", "0") as (process, ready):
        port = int(ready["ports"][0])
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            listed = _call(sock, sock.makefile("rb"), "Host.getVMList", {})
        ids = [vm["vmId"] for vm in listed]  # type: ignore[attr-defined]
        return attack(port, process.pid, ids)


def main() -> None:
    """Print every attack's outcome as a table row."""
    print("| attack | RSS before | peak RSS | cut off | detail |")
    print("|---|---|---|---|---|")
    for attack in ATTACKS:
        outcome = run_attack(attack)
        print(
            f"| {outcome.name} | {outcome.rss_before / MB:.0f} MB | {outcome.rss_peak / MB:.0f} MB "
            f"| {outcome.cut_off} | {outcome.detail} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
