"""Load: many clients and subscribers against one fake host; a long churn run. Errors, memory."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_run import run_vmmonbench
from tests.processes import fake_host_process
from vmmonbench.monitor.hostclient import HostCallError, HostClient

SOAK_S = 8.0  # bounded: the soak is a test, not a benchmark
CLIENTS = 16
SUBSCRIBERS = 8
VMS = 300
MAX_GROWTH_BYTES = 64 * 2**20


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@pytest.fixture
def fake_host() -> Iterator[tuple[int, int]]:
    """One fake-host process: its pid and port."""
    args = ("--vms", str(VMS), "--port", "0", "--seed", "5", "--command-latency-ms", "1")
    with fake_host_process(*args) as (process, ready):
        yield process.pid, int(ready["ports"][0])


@pytest.mark.slow
def test_many_clients_and_subscribers_for_a_while(fake_host: tuple[int, int]) -> None:
    pid, port = fake_host
    control = HostClient("127.0.0.1", port)
    vm_ids = [vm["vmId"] for vm in control.call("Host.getVMList")]
    for _ in range(3):
        control.call("Host.getAllVmStats")  # warm up before the memory baseline
    baseline = _rss(pid)

    received: list[dict[str, list[int]]] = [defaultdict(list) for _ in range(SUBSCRIBERS)]
    lock = threading.Lock()

    def collector(index: int) -> Any:
        def on_event(method: str, params: dict[str, Any], _size: int) -> None:
            with lock:
                received[index][method].append(int(params["notify_time"]))

        return on_event

    subscribers = [HostClient("127.0.0.1", port, on_event=collector(i)) for i in range(SUBSCRIBERS)]
    for subscriber in subscribers:
        subscriber.subscribe()

    stop = threading.Event()
    calls = [0] * CLIENTS
    errors: list[str] = []

    def client_loop(index: int) -> None:
        rng = random.Random(index)
        client = HostClient("127.0.0.1", port)
        try:
            while not stop.is_set():
                method, params = rng.choice(
                    [
                        ("Host.getAllVmStats", {}),
                        ("Host.getVMList", {}),
                        ("VM.getStats", {"vmID": rng.choice(vm_ids)}),
                        ("Host.getVMFullList", {"vmList": rng.sample(vm_ids, 5)}),
                        ("VM.setTicket", {"vmID": rng.choice(vm_ids), "password": "x", "ttl": 5}),
                    ]
                )
                result = client.call(method, params)
                if result is None:
                    errors.append(f"{method}: empty result")
                calls[index] += 1
        except HostCallError as exc:
            errors.append(str(exc))
        finally:
            client.close()

    workers = [threading.Thread(target=client_loop, args=(i,)) for i in range(CLIENTS)]
    for worker in workers:
        worker.start()
    changes = 0
    churn = random.Random(7)
    deadline = time.monotonic() + SOAK_S
    paused: set[str] = set()
    while time.monotonic() < deadline:
        vm_id = churn.choice(vm_ids)
        status = "Up" if vm_id in paused else "Paused"
        paused.symmetric_difference_update({vm_id})
        changes += control.call("Sim.setStatus", {"vmIds": [vm_id], "status": status})
    stop.set()
    for worker in workers:
        worker.join(60)
    control.call("Host.ping")  # every event was written before this reply on the same host
    for subscriber in subscribers:
        subscriber.call("Host.ping")  # ... and has reached each subscriber before its pong
        subscriber.close()
    grown = _rss(pid) - baseline
    control.close()

    assert errors == []
    assert min(calls) > 0
    assert changes > 100
    for events in received:
        assert sum(len(times) for times in events.values()) == changes
        for times in events.values():
            assert times == sorted(times)  # in order, per VM
    assert grown < MAX_GROWTH_BYTES, f"fake host grew by {grown / 2**20:.1f} MiB"
    print(  # the soak figures, for `pytest -s`
        f"soak: {sum(calls)} calls from {CLIENTS} clients, {changes} status changes delivered "
        f"to {SUBSCRIBERS} subscribers in {SOAK_S:g} s; fake host RSS +{grown / 2**20:.1f} MiB"
    )


@pytest.mark.slow
def test_a_long_churn_run_has_no_errors_and_flat_memory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_vmmonbench(
        "run",
        "churn",
        "--vms",
        "200",
        "--duration",
        "15m",
        "--no-legacy",
        "--optimization",
        "all",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (run,) = json.loads((out / "results.json").read_text())["runs"]
    assert run["summary"]["failed_cycles"] == 0
    assert run["consistency"]["divergent_vms"] == 0
    assert run["world"]["status_changes"] > 300
    samples = [rss for _, rss in run["memory"]["rss_samples"]]
    quarter = len(samples) // 4
    assert quarter >= 2
    early = sorted(samples[quarter : 2 * quarter])[quarter // 2]
    late = sorted(samples[-quarter:])[quarter // 2]
    assert late - early < MAX_GROWTH_BYTES, f"runner grew by {(late - early) / 2**20:.1f} MiB"
    print(
        f"long churn: {run['summary']['cycles']} cycles, {run['world']['status_changes']} status "
        f"changes, runner RSS median {early / 2**20:.0f} -> {late / 2**20:.0f} MiB"
    )
