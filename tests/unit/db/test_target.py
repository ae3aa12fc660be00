"""What vmmonbench may do to a database it is given: only ever replace what it made itself."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from vmmonbench.db.database import Database, parse_url
from vmmonbench.db.schema import create_schema
from vmmonbench.db.target import (
    SCHEMA,
    DatabaseChoice,
    DatabaseKind,
    FileLock,
    SchemaGuard,
    check_sqlite_target,
    mark_sqlite_database,
    recreate_schema,
)
from vmmonbench.errors import BadInputError

# -- choosing ---------------------------------------------------------------------------------


def test_the_default_is_the_embedded_server_and_sqlite_means_a_file_in_out(tmp_path: Path) -> None:
    assert DatabaseChoice.parse(None, tmp_path).kind is DatabaseKind.EMBEDDED
    assert DatabaseChoice.parse("embedded", tmp_path).kind is DatabaseKind.EMBEDDED
    sqlite = DatabaseChoice.parse("sqlite", tmp_path)
    assert sqlite.kind is DatabaseKind.SQLITE
    assert sqlite.url is not None
    assert sqlite.url.database == str(tmp_path / "vmmonbench.db")


def test_an_external_server_is_used_in_the_runs_schema_keeping_the_users_options(
    tmp_path: Path,
) -> None:
    choice = DatabaseChoice.parse(
        "postgresql://u:secret@db/x?options=-c%20statement_timeout%3D5000", tmp_path
    )
    assert choice.kind is DatabaseKind.EXTERNAL
    assert choice.url is not None
    assert choice.url.query["options"] == f"-c statement_timeout=5000 -c search_path={SCHEMA}"
    assert choice.given is not None
    assert "search_path" not in str(choice.given)


# -- SQLite files -----------------------------------------------------------------------------


def test_a_new_path_is_fine_and_a_file_vmmonbench_made_may_be_replaced(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    check_sqlite_target(path)
    database = Database(parse_url(f"sqlite:///{path}"))
    create_schema(database.engine)
    mark_sqlite_database(database.engine)
    database.close()
    check_sqlite_target(path)


def test_a_foreign_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "theirs.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE vm_static (x INTEGER)")
    connection.execute("INSERT INTO vm_static VALUES (42)")
    connection.commit()
    connection.close()
    before = path.read_bytes()
    with pytest.raises(BadInputError, match="was not made by vmmonbench"):
        check_sqlite_target(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("kind", ["text file", "directory", "symlink", "device"])
def test_anything_but_a_regular_file_of_ours_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "target.db"
    if kind == "text file":
        path.write_text("notes")
        expected = "was not made by vmmonbench"
    elif kind == "directory":
        path.mkdir()
        expected = "not a regular file"
    elif kind == "symlink":
        ours = tmp_path / "ours.db"
        database = Database(parse_url(f"sqlite:///{ours}"))
        mark_sqlite_database(database.engine)
        database.close()
        path.symlink_to(ours)
        expected = "not a regular file"
    else:
        path = Path(os.devnull)
        expected = "not a regular file"
    with pytest.raises(BadInputError, match=expected):
        check_sqlite_target(path)
    assert Path(os.devnull).is_char_device()


def test_a_second_holder_of_a_file_lock_is_refused_until_the_first_lets_go(
    tmp_path: Path,
) -> None:
    first = FileLock(tmp_path / ".db.lock", "the SQLite database db")
    second = FileLock(tmp_path / ".db.lock", "the SQLite database db")
    first.acquire()
    with pytest.raises(BadInputError, match="another vmmonbench run is using the SQLite"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()
    assert not (tmp_path / ".db.lock").exists()


# -- an external PostgreSQL server --------------------------------------------------------------


@pytest.fixture
def external(pg_database_url: str, tmp_path: Path) -> Iterator[DatabaseChoice]:
    """A database with a user's own objects in public, and the choice that points at it."""
    admin = create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text("DROP TABLE IF EXISTS public.vm_static CASCADE"))
        conn.execute(text("CREATE TABLE public.vm_static (x INTEGER)"))
        conn.execute(text("INSERT INTO public.vm_static VALUES (42)"))
    yield DatabaseChoice.parse(pg_database_url, tmp_path)
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text("DROP TABLE IF EXISTS public.vm_static CASCADE"))
    admin.dispose()


def _scalar(url: str, query: str) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_run_works_in_its_own_schema_and_the_users_tables_stay(
    external: DatabaseChoice, pg_database_url: str
) -> None:
    assert external.url is not None
    guard = SchemaGuard(external.url)
    guard.acquire()
    try:
        engine = create_engine(external.url)
        create_schema(engine)
        recreate_schema(engine)  # a second configuration: ours is replaced again
        create_schema(engine)
        engine.dispose()
    finally:
        guard.release()
    assert _scalar(pg_database_url, "SELECT x FROM public.vm_static") == 42
    assert _scalar(pg_database_url, f"SELECT count(*) FROM {SCHEMA}.vm_dynamic") == 0


@pytest.mark.postgres
def test_a_schema_of_that_name_not_made_by_vmmonbench_is_refused(
    external: DatabaseChoice, pg_database_url: str
) -> None:
    admin = create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        conn.execute(text(f'CREATE TABLE "{SCHEMA}".precious (x INTEGER)'))
    admin.dispose()
    assert external.url is not None
    with pytest.raises(BadInputError, match="did not create"):
        SchemaGuard(external.url, external.given).acquire()
    assert _scalar(pg_database_url, f"SELECT count(*) FROM {SCHEMA}.precious") == 0


@pytest.mark.postgres
def test_a_users_view_on_our_tables_stops_the_drop_and_nothing_is_dropped(
    external: DatabaseChoice, pg_database_url: str
) -> None:
    assert external.url is not None
    guard = SchemaGuard(external.url, external.given)
    guard.acquire()
    engine = create_engine(external.url)
    create_schema(engine)
    guard.release()
    admin = create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE VIEW public.my_view AS SELECT count(*) FROM {SCHEMA}.vm_static"))
    admin.dispose()
    with pytest.raises(BadInputError, match=r"my_view depends on") as caught:
        recreate_schema(engine, external.given)
    engine.dispose()
    assert "CASCADE" not in str(caught.value)
    assert "secret" not in str(caught.value)
    assert _scalar(pg_database_url, "SELECT * FROM public.my_view") == 0
    assert _scalar(pg_database_url, f"SELECT count(*) FROM {SCHEMA}.vm_dynamic") == 0


@pytest.mark.postgres
def test_two_runs_cannot_share_the_schema(external: DatabaseChoice) -> None:
    assert external.url is not None
    first, second = SchemaGuard(external.url), SchemaGuard(external.url)
    first.acquire()
    try:
        with pytest.raises(BadInputError, match="another vmmonbench run is using"):
            second.acquire()
    finally:
        first.release()
    second.acquire()
    second.release()


def test_masked_urls_in_messages_never_show_the_password(tmp_path: Path) -> None:
    choice = DatabaseChoice.parse("postgresql://u:secret@127.0.0.1:1/x", tmp_path)
    assert choice.url is not None
    with pytest.raises(BadInputError) as caught:
        SchemaGuard(choice.url, choice.given).acquire()
    assert "secret" not in str(caught.value)
    assert choice.given is not None
    assert choice.given.password == "secret"  # kept for connecting, never shown
