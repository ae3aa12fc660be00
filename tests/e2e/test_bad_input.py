"""Bad input of every kind: one plain line on stderr, exit code 2, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vmmonbench.cli import main
from vmmonbench.workload import load_workload

RESULTS = Path(__file__).parents[1] / "fixtures" / "results" / "smoke.json"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    code = exited.value.code
    return int(code if isinstance(code, int) else 1), capsys.readouterr().err


@pytest.fixture
def workload_dir(tmp_path: Path) -> Path:
    (tmp_path / "broken.toml").write_text("vms = [unclosed\n")
    (tmp_path / "unknown.toml").write_text('name = "x"\nvmz = 10\n')
    (tmp_path / "badvalue.toml").write_text('name = "x"\nvms = "many"\n')
    (tmp_path / "badstats.toml").write_text('name = "x"\n[stats]\ncpu_percent = [20, 10]\n')
    (tmp_path / "adir.toml").mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "netrate.toml").write_text('name = "x"\n[stats]\nnet_rate = [1e17, 1e18]\n')
    (tmp_path / "netinf.toml").write_text('name = "x"\n[stats]\nnet_rate = [10, inf]\n')
    (tmp_path / "mixinf.toml").write_text('name = "x"\n[commands]\nmix = {update = inf}\n')
    (tmp_path / "mixnan.toml").write_text(
        'name = "x"\n[commands]\nmix = {update = nan, ticket = 1}\n'
    )
    (tmp_path / "mixhuge.toml").write_text('name = "x"\n[commands]\nmix = {update = 1e300}\n')
    (tmp_path / "ratenan.toml").write_text('name = "x"\n[commands]\nrate_per_s = nan\n')
    (tmp_path / "notutf8.toml").write_bytes(b'name = "caf\xe9"\n')
    shutil.copy(RESULTS, tmp_path / "results.json")
    return tmp_path


CASES: list[tuple[list[str], str]] = [
    (["run", "--vms", "abc"], "--vms"),
    (["run", "--vms", "0"], "vms must be between 1"),
    (["run", "--vms", "-5"], "vms must be between 1"),
    (["run", "--vms", "99999999"], "vms must be between 1"),
    (["run", "--hosts", "0"], "hosts must be between 1"),
    (["run", "--hosts", "100000"], "hosts must be between 1"),
    (["run", "--vms", "50000", "--hosts", "200"], "at most"),
    (["run", "--mode", "fast-lock"], "unknown mode 'fast-lock'"),
    (["run", "--optimization", "turbo"], "unknown optimization 'turbo'"),
    (["run", "--duration", "soon"], "bad duration 'soon'"),
    (["run", "--duration", "0"], "duration must be more than 0"),
    (["run", "--fault", "meteor"], "unknown fault 'meteor'"),
    (["run", "--fault", "delay:rate=2"], "rate must be between 0 and 1"),
    (["run", "no-such-workload"], "unknown workload 'no-such-workload'"),
    (["run", "{dir}/missing.toml"], "does not exist"),
    (["run", "{dir}/broken.toml"], "not valid TOML"),
    (["run", "{dir}/unknown.toml"], "unknown key 'vmz'"),
    (["run", "{dir}/badvalue.toml"], "key 'vms' must be int"),
    (["run", "{dir}/badstats.toml"], "stats.cpu_percent"),
    (["run", "{dir}/adir.toml"], "cannot read workload file"),
    (["run", "smoke", "--db", "not a url"], "malformed database URL"),
    (["run", "smoke", "--db", "mysql://root@localhost/x"], "unsupported database 'mysql'"),
    (["run", "smoke", "--db", "sqlite://"], "in-memory SQLite"),
    (["run", "smoke", "--sqlite-steps"], "--sqlite-steps counts SQLite's virtual-machine steps"),
    (["run", "smoke", "--out", "{dir}/a-file/sub"], "cannot write to output folder"),
    (["run", "{dir}/netrate.toml"], "'stats.net_rate' must be [low, high]"),
    (["run", "{dir}/netinf.toml"], "'stats.net_rate' must be [low, high]"),
    (["run", "{dir}/mixinf.toml"], "'commands.mix.update' must be a finite number"),
    (["run", "{dir}/mixnan.toml"], "'commands.mix.update' must be a finite number"),
    (["run", "{dir}/mixhuge.toml"], "commands.mix weights must be numbers from 0 to 1e+06"),
    (["run", "{dir}/ratenan.toml"], "'commands.rate_per_s' must be a finite number"),
    (["run", "{dir}/notutf8.toml"], "not UTF-8 text (byte 11 is 0xe9)"),
    (["run", "smoke", "--db", "postgresql://u:pw@h:abc/db"], "is the port a number?"),
    (["run", "smoke", "--db", "postgresql://u:pw@h:99999/db"], "bad port 99999"),
    (["run", "smoke", "--db", "postgresql+asyncpg://u@h/db"], "unsupported driver 'asyncpg'"),
    (["run", "smoke", "--db", "postgresql+pg8000://u@h/db"], "unsupported driver 'pg8000'"),
    (["run", "smoke", "--db", "u:s3cret@db.example/x"], "malformed database URL (not shown"),
    (["run", "smoke", "--db", "postgresql://u:p@ss@h/db"], "as %40"),
    (["sweep", "--vms", "10", "--db", "postgresql+asyncpg://u@h/db"], "unsupported driver"),
    (["export", "{dir}/results.json", "-o", "{dir}"], "it is a directory"),
    (["export", "{dir}/results.json", "-o", "{dir}/a-file/x.json"], "Not a directory"),
    (["export", "{dir}/results.json", "-o", "{dir}/results.json"], "it is the input"),
    (["export", "{dir}/results.json", "-o", "/dev/full"], "No space left on device"),
    (["report", "{dir}/results.json", "-o", "{dir}"], "it is a directory"),
    (["report", "{dir}/results.json", "-o", "/dev/full"], "No space left on device"),
    (["compare", "{dir}/results.json", "{dir}/results.json", "--html", "{dir}"], "directory"),
    (["run", "--connect", "nocolon"], "bad --connect endpoint 'nocolon'"),
    (["run", "--connect", "h:99999"], "bad --connect endpoint"),
    (["fake-host", "--vms", "0"], "--vms"),
    (["fake-host", "--fault", "meteor"], "unknown fault"),
    (["bogus-command"], "No such command"),
]


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], expected: str, workload_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [arg.replace("{dir}", str(workload_dir)) for arg in argv]
    code, err = _run(args, capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("vmmonbench: error: ")
    assert expected in lines[0]
    assert "Traceback" not in err
    assert "s3cret" not in err
    assert (workload_dir / "results.json").read_bytes() == RESULTS.read_bytes()  # never harmed


def test_a_byte_order_mark_is_not_part_of_the_workload(tmp_path: Path) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text('name = "bom"\nvms = 12\n[commands]\nmix = {update = 1}\n')
    marked = tmp_path / "marked.toml"
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert load_workload(str(marked)) == load_workload(str(plain))


def test_unreachable_database_named_without_query_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://monitor@127.0.0.1:1/engine?password=s3cret-pw&sslpassword=s3cret-2"
    code, err = _run(["run", "smoke", "--db", url, "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert "cannot connect to postgresql+psycopg://monitor@127.0.0.1:1/engine?" in err
    assert "password=***" in err
    assert "s3cret" not in err
    assert len(err.strip().splitlines()) == 1


def test_unreachable_database_names_it_without_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://monitor:s3cret-pw@127.0.0.1:1/engine"
    code, err = _run(["run", "smoke", "--db", url, "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert "cannot connect to postgresql+psycopg://monitor:***@127.0.0.1:1/engine" in err
    assert "s3cret-pw" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"format_version": 1, "runs": [', "not valid JSON"),
        (b"PK\x03\x04 binary", "not valid JSON"),
        (b'{"format_version": 99, "workload": {}, "runs": []}', "format_version 99"),
        (b'["a", "list"]', "not a vmmonbench results object"),
    ],
    ids=["truncated", "not-json", "other-version", "not-results"],
)
def test_bad_results_files_are_refused(
    tmp_path: Path, content: bytes, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "results.json"
    path.write_bytes(content)
    code, err = _run(["report", str(path), "-o", str(tmp_path / "r.html")], capsys)
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_a_missing_results_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(["report", str(tmp_path / "nope.json")], capsys)
    assert code == 2
    assert "does not exist" in err
