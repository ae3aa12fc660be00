"""`run --connect`: monitoring fake hosts started separately, on loopback."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.e2e.test_run import check_contract, run_vmmonbench
from tests.processes import fake_host_process


@pytest.fixture
def two_fake_hosts() -> Iterator[list[str]]:
    """Two separately started `vmmonbench fake-host` processes (host index 0 and 1)."""
    with ExitStack() as stack:
        endpoints = []
        for offset in (0, 1):
            args = ("--vms", "30", "--hosts", "1", "--host-offset", str(offset), "--seed", "99")
            _, ready = stack.enter_context(fake_host_process(*args, "--port", "0"))
            (host,) = ready["hosts"]
            endpoints.append(f"127.0.0.1:{host['port']}")
        yield endpoints


@pytest.mark.slow
def test_run_monitors_separately_started_fake_hosts(
    two_fake_hosts: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = run_vmmonbench(
        "run",
        "stable",
        "--connect",
        ",".join(two_fake_hosts),
        "--duration",
        "30s",
        "--mode",
        "per-vm-lock",
        "--mode",
        "event-plus-stats",
        "--protocol",
        "line",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    check_contract(results)
    assert results["extra"]["fake_hosts"]["protocol"] == "line"
    assert results["workload"]["hosts"] == 2
    assert results["workload"]["vms"] == 30
    assert results["workload"]["seed"] == 99
    assert results["extra"]["fake_hosts"]["remote"] is True
    assert any("taken from the connected fake hosts" in note for note in results["notes"])
    for run in results["runs"]:
        assert run["consistency"]["checked_vms"] == 60
        assert run["consistency"]["divergent_vms"] == 0
        assert {cycle["host"] for cycle in run["cycles"] if cycle["kind"] == "stats"} == {0, 1}


def test_connect_to_nothing_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run_vmmonbench(
        "run", "smoke", "--connect", "127.0.0.1:1", "--out", str(tmp_path / "o"), cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "cannot reach fake host 127.0.0.1:1" in done.stderr


@contextmanager
def hostile_host(reply: bytes | Callable[[dict[str, Any]], bytes]) -> Iterator[str]:
    """A TCP server answering the first request of each connection with `reply`, or every
    request line with `reply(request)` (connections are kept open until the end)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        connections: list[socket.socket] = []
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            connections.append(conn)
            if callable(reply):
                threading.Thread(target=_answer_lines, args=(conn, reply), daemon=True).start()
                continue
            with contextlib.suppress(OSError):
                conn.recv(65536)
                conn.sendall(reply)
        for conn in connections:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()


def _answer_lines(conn: socket.socket, reply: Callable[[dict[str, Any]], bytes]) -> None:
    with contextlib.suppress(OSError, ValueError), conn.makefile("rb") as lines:
        for line in lines:
            conn.sendall(reply(orjson.loads(line)))


def _info(**fields: object) -> bytes:
    info = {
        "hostId": "2458d6b9-d1ad-4610-ae7f-ecd9b89c2c56",
        "index": 0,
        "vms": 30,
        "vnics": 2,
        "disks": 1,
        "seed": 1,
        **fields,
    }
    result = {key: value for key, value in info.items() if value is not None}
    return orjson.dumps({"jsonrpc": "2.0", "id": 1, "result": result}) + b"\n"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (_info(vms=10**9), "vms = 1000000000"),
        (_info(vms="6000"), 'vms = "6000"'),
        (_info(vnics=None), "no vnics"),
        (_info(index=-1), "index = -1"),
        (_info(seed=True), "seed = true"),
        (_info(hostId=5), "not a UUID"),
        (b'{"jsonrpc": "2.0", "id": 1, "result": [1, 2]}\n', "not an object"),
        (b"\x00garbage\n", "malformed response"),
        (b"x" * (3 << 20), "reply larger than 1048576 bytes"),
    ],
)
def test_a_hostile_connect_host_is_one_line_and_exit_2(
    tmp_path: Path, reply: bytes, expected: str
) -> None:
    with hostile_host(reply) as endpoint:
        done = run_vmmonbench(
            "run", "smoke", "--connect", endpoint, "--out", str(tmp_path / "o"), cwd=tmp_path
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert expected in done.stderr


def test_hosts_serving_more_vms_than_a_run_can_monitor_are_refused(tmp_path: Path) -> None:
    with ExitStack() as stack:
        endpoints = [
            stack.enter_context(hostile_host(_info(vms=50_000, index=i))) for i in range(6)
        ]
        done = run_vmmonbench(
            "run", "smoke", "--connect", ",".join(endpoints), "--out", str(tmp_path), cwd=tmp_path
        )
    assert done.returncode == 2
    assert "300000 VMs in all" in done.stderr


def test_unusable_replies_mid_run_fail_the_run_with_one_line(tmp_path: Path) -> None:
    def reply(request: dict[str, Any]) -> bytes:
        if request.get("method") == "Sim.info":
            return _info(vms=5)
        # right framing, wrong shapes: a list of numbers where VM maps belong
        return orjson.dumps({"jsonrpc": "2.0", "id": request.get("id"), "result": [1]}) + b"\n"

    out = tmp_path / "o"
    with hostile_host(reply) as endpoint:
        done = run_vmmonbench(
            "run", "smoke", "--connect", endpoint, "--duration", "10s", "--out", str(out),
            cwd=tmp_path, timeout=120,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "failed"
    assert results["extra"]["fake_hosts"]["protocol"] == "stomp"  # the default, as the engine
    assert "a fake host given to --connect sent an unusable reply" in results["failure"]


def test_an_unknown_protocol_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run_vmmonbench("run", "smoke", "--protocol", "xml-rpc", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "stomp" in done.stderr
