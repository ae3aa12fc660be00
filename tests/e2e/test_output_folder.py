"""What a run may do to its --out and to the paths a user names: nothing of the user's is lost."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from vmmonbench.cli import main

QUICK = ["--duration", "5s", "--no-legacy"]
RESULTS = Path(__file__).parents[1] / "fixtures" / "results" / "smoke.json"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.mark.slow
def test_earlier_results_are_never_replaced_without_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, err = _run(["run", "smoke", "--out", str(out), *QUICK], capsys)
    assert code == 0, err
    earlier = (out / "results.json").read_bytes()

    code, _, err = _run(["run", "smoke", "--out", str(out), *QUICK], capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert f"{out / 'results.json'} already holds results (status complete, created " in err
    assert "pass --overwrite to replace them, or choose another --out" in err
    assert (out / "results.json").read_bytes() == earlier

    code, _, err = _run(["run", "smoke", "--out", str(out), *QUICK, "--overwrite"], capsys)
    assert code == 0, err
    assert (out / "results.json").read_bytes() != earlier


@pytest.mark.slow
def test_a_second_run_on_the_same_out_is_refused_while_the_first_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    first = subprocess.Popen(
        [sys.executable, "-m", "vmmonbench", "run", "smoke", "--out", str(out), "--no-legacy"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert first.stdout is not None
        assert first.stdout.readline().startswith("[1/1]")  # the first run holds the folder
        code, _, err = _run(["run", "smoke", "--out", str(out), *QUICK, "--overwrite"], capsys)
        assert code == 2
        assert f"another vmmonbench run (pid {first.pid}) is using {out}" in err
        _, first_err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGKILL)
            first.communicate()
    assert first.returncode == 0, first_err
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "complete"
    assert results["runs"][0]["consistency"]["divergent_vms"] == 0


@pytest.mark.parametrize("name", ["workload.toml", "report.html", "fake-host-0.log"])
def test_a_symlink_planted_in_out_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(victim)
    code, _, err = _run(["run", "smoke", "--out", str(out), *QUICK], capsys)
    assert code == 2
    assert f"refusing to write {out / name}: it is a symbolic link" in err
    assert victim.read_text() == "precious"
    assert not (out / "results.json").exists()  # refused before the run


@pytest.mark.slow
def test_a_symlinked_scratch_file_is_removed_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".fake-hosts.toml").symlink_to(victim)
    code, _, err = _run(["run", "smoke", "--out", str(out), *QUICK], capsys)
    assert code == 0, err
    assert victim.read_text() == "precious"
    assert not (out / ".fake-hosts.toml").exists()


def test_export_to_dev_null_leaves_the_device_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = Path("/dev/null").stat()
    code, out, err = _run(["export", str(RESULTS), "-o", "/dev/null"], capsys)
    assert code == 0, err
    assert "pytest-benchmark: /dev/null" in out
    after = Path("/dev/null").stat()
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_export_through_a_symlink_writes_the_file_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "bench.json"
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    code, _, err = _run(["export", str(RESULTS), "-o", str(link)], capsys)
    assert code == 0, err
    assert link.is_symlink()
    assert "benchmarks" in json.loads(target.read_text())


@pytest.mark.slow
def test_a_sweep_refuses_an_earlier_sweep_and_runs_a_repeated_size_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep"
    argv = ["sweep", "smoke", "--vms", "5,5", "--duration", "5s", "--out", str(out)]
    argv += ["--mode", "per-vm-lock", "--mode", "event-plus-stats"]
    code, _, err = _run(argv, capsys)
    assert code == 0, err
    sweep = json.loads((out / "sweep.json").read_text())
    assert [(r["vms"], r["hosts"]) for r in sweep["runs"]] == [(5, 1)]
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert f"{out / 'sweep.json'} already holds results" in err


@pytest.mark.slow
@pytest.mark.postgres
def test_secrets_in_a_database_url_reach_no_output(
    pg_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # trust authentication ignores the password; libpq takes sslpassword and passfile as given
    url = make_url(pg_database_url).set(
        password="s3cret-user",
        query={"password": "s3cret-query", "sslpassword": "s3cret-ssl", "passfile": "/s3cret"},
    )
    raw = url.render_as_string(hide_password=False)
    out = tmp_path / "out"
    code, stdout, err = _run(["run", "smoke", "--out", str(out), *QUICK, "--db", raw], capsys)
    assert code == 0, err
    results = (out / "results.json").read_text()
    stored = json.loads(results)["database"]["url"]
    assert "password=***" in stored
    assert "sslpassword=***" in stored
    for text in (results, (out / "report.html").read_text(), stdout, err):
        assert "s3cret" not in text
