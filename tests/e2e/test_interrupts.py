"""Signals, a dying fake host, a closed stdout and a bug during a real run: what is kept, exit code.

Every way a run can end that lets it run code leaves no scratch file and no process; after a
SIGKILL the next run in the folder removes what was left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vmmonbench import measurement, procfs
from vmmonbench.cli import main

START_TIMEOUT_S = 120
# A run stopped in its second configuration, as it starts or after its first statistics cycle
# (a plain progress line at once): the first configuration completes in seconds, the second
# takes seconds of wall time more, so the stop lands inside it.
TWO_CONFIGURATIONS = ("--duration", "4m")
SECOND = "host-lock+event-plus-stats+3.6"  # the second configuration of a full run
SCRATCH_NAMES = (".fake-hosts.toml", ".vmmonbench.lock", "vmmonbench.db-wal", "vmmonbench.db-shm")


def _fake_hosts(pid: int) -> list[int]:
    # the run's children also include its database server and that server's watchdog
    found = []
    for child in procfs.children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"fake-host" in command:
            found.append(child)
    return found


def _wait_until(condition: Any, timeout_s: float, what: str) -> None:
    done = threading.Event()
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        done.wait(0.05)  # polling /proc: there is nothing to block on


def scratch_left(folder: Path) -> list[str]:
    """Names of a run's scratch files still in the folder."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name in SCRATCH_NAMES
        or p.name.startswith((".template.db", ".cpu-profile-"))
        or p.name.endswith(".tmp")
    )


class Run:
    """A `vmmonbench run` subprocess whose progress lines can be awaited."""

    def __init__(self, out: Path, *args: str, workload: str = "smoke") -> None:
        self.out = out
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vmmonbench", "run", workload, "--out", str(out), *args],
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

    def finish(self) -> tuple[int, str, dict[str, Any]]:
        _, err = self.process.communicate(timeout=START_TIMEOUT_S)
        results = json.loads((self.out / "results.json").read_text())
        return self.process.returncode, err, results


@pytest.fixture
def run() -> Iterator[type[Run]]:
    started: list[Run] = []

    class Tracked(Run):
        def __init__(self, out: Path, *args: str, workload: str = "smoke") -> None:
            super().__init__(out, *args, workload=workload)
            started.append(self)

    yield Tracked
    for item in started:
        if item.process.poll() is None:
            item.process.kill()
        item.process.communicate()


def _in_second_configuration(run: type[Run], out: Path, *, measured: bool) -> Run:
    """A run whose first configuration is complete and saved, and whose second has just
    started (`measured=False`) or done its first statistics cycle (`measured=True`)."""
    running = run(out, *TWO_CONFIGURATIONS)
    running.wait_for("[2/5]")
    if measured:
        running.wait_for("statistics cycles")
    return running


STOP_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT]


def _stop(running: Run, signum: signal.Signals) -> list[dict[str, Any]]:
    """Send `signum` to a run that has measured something; check the common ending; its runs."""
    fake_hosts = _fake_hosts(running.process.pid)
    assert fake_hosts
    running.process.send_signal(signum)
    code, err, results = running.finish()
    assert code == 130, err
    assert "Traceback" not in err
    assert f"{signum.name}: stopping" in err
    assert results["status"] == "interrupted"
    runs: list[dict[str, Any]] = results["runs"]
    assert runs[-1]["status"] == "interrupted"
    assert runs[-1]["summary"]["statements"] > 0  # what the stopped configuration measured
    assert not any(procfs.alive(pid) for pid in fake_hosts)
    assert scratch_left(running.out) == []
    assert (running.out / "report.html").is_file()
    return runs


@pytest.mark.slow
def test_a_signal_stops_the_run_keeps_what_was_measured_and_exits_130(
    run: type[Run], tmp_path: Path
) -> None:
    running = _in_second_configuration(run, tmp_path / "out", measured=True)
    runs = _stop(running, signal.SIGINT)
    assert [r["status"] for r in runs] == ["complete", "interrupted"]


@pytest.mark.slow
@pytest.mark.parametrize("signum", STOP_SIGNALS, ids=[s.name.lower() for s in STOP_SIGNALS])
def test_every_stop_signal_ends_the_run_the_same_way(
    run: type[Run], tmp_path: Path, signum: signal.Signals
) -> None:
    # one path for all four: stopped inside the first configuration, it is kept as measured
    running = run(tmp_path / "out", "--duration", "20m")
    running.wait_for("statistics cycles")
    runs = _stop(running, signum)
    assert len(runs) == 1


@pytest.mark.slow
@pytest.mark.parametrize("measured", [True, False], ids=["measuring", "setting-up"])
def test_a_fake_host_crash_fails_the_run_naming_the_configuration(
    run: type[Run], tmp_path: Path, measured: bool
) -> None:
    running = _in_second_configuration(run, tmp_path / "out", measured=measured)
    (fake_host,) = _fake_hosts(running.process.pid)
    os.kill(fake_host, signal.SIGKILL)
    code, err, results = running.finish()
    assert code == 1, err
    assert "Traceback" not in err
    assert "the run failed: fake-host process" in err
    assert f"(in configuration 2/5, {SECOND})" in err
    assert results["status"] == "failed"
    assert f"(in configuration 2/5, {SECOND})" in results["failure"]
    statuses = [r["status"] for r in results["runs"]]
    if measured:  # what the failed configuration measured is kept with it
        assert statuses == ["complete", "failed"]
    else:  # nothing measured yet: no run of its own (had it just begun measuring, a failed one)
        assert statuses in (["complete"], ["complete", "failed"])
    assert scratch_left(running.out) == []


@pytest.mark.slow
def test_after_a_sigkill_the_file_says_unfinished_and_the_next_run_cleans_up(
    run: type[Run], tmp_path: Path
) -> None:
    running = _in_second_configuration(run, tmp_path / "out", measured=False)
    helpers = procfs.children(running.process.pid)  # fake hosts, database server, its watchdog
    assert _fake_hosts(running.process.pid)
    running.process.send_signal(signal.SIGKILL)
    code, _, results = running.finish()
    assert code == -signal.SIGKILL
    assert results["status"] == "unfinished"  # never "complete": the run did not end
    assert [r["status"] for r in results["runs"]] == ["complete"]
    assert ".fake-hosts.toml" in scratch_left(running.out)
    # the fake hosts and the database's watchdog watch the runner's pid and go with it
    _wait_until(
        lambda: not any(procfs.alive(pid) for pid in helpers), 60, "the run's helpers to exit"
    )

    again = run(running.out, "--duration", "5s", "--no-legacy")
    code, err, kept = again.finish()
    assert code == 2
    assert "already holds results (status unfinished" in err
    assert "--overwrite" in err
    assert kept == results  # nothing measured is lost
    assert scratch_left(running.out) == []  # the dead run's scratch is gone

    replaced = run(running.out, "--duration", "5s", "--no-legacy", "--overwrite")
    code, err, fresh = replaced.finish()
    assert code == 0, err
    assert fresh["status"] == "complete"


def _caught_signals(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return int(line.split()[1], 16)
    return 0


@pytest.mark.slow
@pytest.mark.parametrize("delay_s", [0.0, 0.1, 0.2, 0.3])
def test_a_signal_while_starting_up_is_one_line_and_130(
    run: type[Run], tmp_path: Path, delay_s: float
) -> None:
    running = run(tmp_path / "out")
    sighup_bit = 1 << (signal.SIGHUP - 1)
    # the entry point's handlers are in place: the imports are under way
    _wait_until(lambda: _caught_signals(running.process.pid) & sighup_bit, 30, "the early handlers")
    threading.Event().wait(delay_s)  # the moment of the interrupt within the start-up
    running.process.send_signal(signal.SIGINT)
    _, err = running.process.communicate(timeout=START_TIMEOUT_S)
    assert running.process.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err


@pytest.mark.slow
def test_sigterm_while_the_fake_hosts_build_ends_the_run_at_once(
    run: type[Run], tmp_path: Path
) -> None:
    # 250 000 VMs in one fake-host process take minutes to build: the run must not wait
    running = run(
        tmp_path / "out",
        "--vms",
        "50000",
        "--hosts",
        "5",
        "--fake-host-processes",
        "1",
        workload="stable",
    )
    _wait_until(lambda: _fake_hosts(running.process.pid), 60, "the fake-host process")
    (fake_host,) = _fake_hosts(running.process.pid)
    running.process.send_signal(signal.SIGTERM)
    code, err, results = running.finish()  # well before the fake host could be ready
    assert code == 130, err
    assert results["status"] == "interrupted"
    assert results["runs"] == []
    assert not procfs.alive(fake_host)
    assert scratch_left(running.out) == []


@pytest.mark.slow
def test_a_closed_stdout_stops_the_run_and_keeps_what_it_measured(
    run: type[Run], tmp_path: Path
) -> None:
    running = run(tmp_path / "out")  # as `vmmonbench run smoke | head -1`
    assert running.process.stdout is not None
    assert running.process.stdout.readline().startswith("[1/5]")
    running.process.stdout.close()
    code, err, results = running.finish()
    assert code == 130, err
    assert "Traceback" not in err
    assert "standard output failed (Broken pipe)" in err
    assert results["status"] == "interrupted"
    assert results["runs"]
    assert results["runs"][-1]["summary"]["statements"] > 0
    assert scratch_left(running.out) == []


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return int(exited.value.code or 0)


@pytest.mark.slow
def test_a_bug_inside_a_run_saves_what_was_measured_before_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real_check = measurement._settle_and_check

    def second_one_breaks(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("injected bug")
        return real_check(*args)

    monkeypatch.setattr(measurement, "_settle_and_check", second_one_breaks)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="injected bug"):  # a bug keeps its traceback
        main(["run", "smoke", "--out", str(out), "--duration", "10s", "--mode", "per-vm-lock"])
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "failed"
    assert results["failure"] == "unexpected error: RuntimeError: injected bug"
    first, second = results["runs"]
    assert first["status"] == "complete"
    assert second["status"] == "failed"
    assert second["summary"]["statements"] > 0  # what it measured before the bug
    assert "injected bug" in second["error"]
    assert scratch_left(out) == []
    assert not any(procfs.alive(pid) for pid in procfs.children(os.getpid()))


@pytest.mark.slow
def test_sigterm_while_the_report_is_written_is_130_with_the_results_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from vmmonbench import cli

    def interrupted_rendering(*_args: Any, **_kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        threading.Event().wait(60)  # a long rendering, cut short by the signal
        pytest.fail("the signal did not stop the report")

    monkeypatch.setattr(cli, "write_report", interrupted_rendering)
    out = tmp_path / "out"
    code = _exit_code(["run", "smoke", "--out", str(out), "--duration", "5s", "--no-legacy"])
    err = capsys.readouterr().err
    assert code == 130, err
    assert f"interrupted by SIGTERM; the results are saved in {out / 'results.json'}" in err
    assert json.loads((out / "results.json").read_text())["status"] == "complete"
    assert not (out / "report.html").exists()
    assert scratch_left(out) == []


@pytest.mark.slow
def test_a_run_with_no_statistics_cycle_says_so_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["run", "smoke", "--out", str(out), "--duration", "20s", "--no-legacy"]
    code = _exit_code([*argv, "--fault", "malformed:rate=1"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "no statistics cycle completed in per-vm-lock+event-plus-stats+4.1" in err
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "failed"
    assert results["runs"][0]["status"] == "failed"
