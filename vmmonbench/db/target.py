"""Which database a run uses, and what vmmonbench may do to it.

- `embedded` (the default): a PostgreSQL server the run starts itself (`db/embedded.py`);
  everything in it is the run's.
- `sqlite` or `sqlite:///FILE`: an in-process SQLite file. A file that exists is replaced only if
  vmmonbench made it (it holds the `vmmonbench_database` marker table).
- `postgresql://...`: an external server. vmmonbench works inside its own schema
  (`vmmonbench`), created with a marker comment; it never touches another schema, drops its own
  objects one by one without CASCADE (so a user's object that depends on them stops the drop),
  and refuses a `vmmonbench` schema it did not create. An advisory lock keeps two runs out of
  the same schema.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from vmmonbench import __version__
from vmmonbench.db import stored_sql
from vmmonbench.db.database import mask_url, parse_url, scrub_secrets
from vmmonbench.errors import BadInputError

SQLITE_FILE = "vmmonbench.db"
SQLITE_MARKER_TABLE = "vmmonbench_database"
SCHEMA = "vmmonbench"
SCHEMA_MARKER = "created by vmmonbench: dropped and recreated by every run"
_LOCK_KEY = "vmmonbench run"
_SEARCH_PATH = f"-c search_path={SCHEMA}"


class DatabaseKind(StrEnum):
    """Where the run's database lives."""

    EMBEDDED = "embedded"
    SQLITE = "sqlite"
    EXTERNAL = "postgresql"


@dataclass(frozen=True, slots=True)
class DatabaseChoice:
    """The `--db` value, understood: the kind and, for SQLite and external servers, the URL."""

    kind: DatabaseKind
    url: URL | None = None  # what the run connects to (for an external server: in its schema)
    given: URL | None = None  # what the user gave

    @classmethod
    def parse(cls, raw: str | None, out_dir: Path) -> DatabaseChoice:
        """`None`/`embedded`, `sqlite` (a file in `out_dir`), `sqlite:///FILE`, `postgresql://...`."""
        if raw is None or raw.strip() == DatabaseKind.EMBEDDED:
            return cls(DatabaseKind.EMBEDDED)
        if raw.strip() == DatabaseKind.SQLITE:
            return cls(DatabaseKind.SQLITE, parse_url(f"sqlite:///{out_dir / SQLITE_FILE}"))
        url = parse_url(raw)
        if url.get_backend_name() == "sqlite":
            return cls(DatabaseKind.SQLITE, url, url)
        # every connection works in the run's schema alone: nothing of another schema can be
        # mistaken for ours (SQLAlchemy and our SQL resolve names through search_path)
        given = url.query.get("options")
        options = " ".join([*([given] if isinstance(given, str) else given or ()), _SEARCH_PATH])
        return cls(DatabaseKind.EXTERNAL, url.update_query_dict({"options": options}), url)


# -- SQLite files -----------------------------------------------------------------------------


def check_sqlite_target(path: Path) -> None:
    """Refuse a path that is not a new file or a database vmmonbench made (BadInputError)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BadInputError(f"cannot use {path} as the SQLite database: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        raise BadInputError(
            f"{path} is not a regular file: vmmonbench replaces its SQLite database on every "
            "configuration; give a new file path or --db sqlite"
        )
    if not _has_sqlite_marker(path):
        raise BadInputError(
            f"{path} exists and was not made by vmmonbench, which replaces its SQLite database "
            "on every configuration: give a new file path or --db sqlite (a file in --out)"
        )


def _has_sqlite_marker(path: Path) -> bool:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            (SQLITE_MARKER_TABLE,),
        ).fetchall()
        return bool(found)
    except sqlite3.Error:
        return False  # not a database at all
    finally:
        connection.close()


def mark_sqlite_database(engine: Engine) -> None:
    """Leave the marker that lets a later run replace this file."""
    with engine.begin() as conn:
        conn.execute(
            text(f"CREATE TABLE IF NOT EXISTS {SQLITE_MARKER_TABLE} (created_by TEXT NOT NULL)")
        )
        conn.execute(
            text(f"INSERT INTO {SQLITE_MARKER_TABLE} VALUES (:by)"),
            {"by": f"vmmonbench {__version__}"},
        )


class FileLock:
    """An exclusive `flock` beside a file, released by the kernel when the process dies."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self._handle: IO[bytes] | None = None

    def acquire(self) -> None:
        """Take the lock or raise BadInputError naming the other run."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise BadInputError(f"cannot lock {self.path}: {exc.strerror}") from None
        handle = os.fdopen(fd, "r+b")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise BadInputError(
                f"another vmmonbench run is using {self.what}; wait for it or choose another"
            ) from None
        self._handle = handle

    def release(self) -> None:
        """Drop the lock and its file."""
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            handle.close()


# -- an external PostgreSQL server: the run's own schema ---------------------------------------


class SchemaGuard:
    """Holds the advisory lock on the `vmmonbench` schema of an external database for a run."""

    def __init__(self, url: URL, shown: URL | None = None) -> None:
        self.url = url
        self.shown = shown or url  # what messages name: the URL the user gave
        self._engine: Engine | None = None
        self._conn: Connection | None = None

    def acquire(self) -> None:
        """Lock the schema for this run, or refuse: another run, or a schema not ours."""
        engine = create_engine(self.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            conn = engine.connect()
            locked = conn.execute(
                text("SELECT pg_try_advisory_lock(hashtext(:key))"), {"key": _LOCK_KEY}
            ).scalar_one()
        except DBAPIError as exc:
            engine.dispose()
            reason = scrub_secrets(" ".join(str(exc.orig).split()), self.shown)[:200]
            raise BadInputError(f"cannot connect to {mask_url(self.shown)}: {reason}") from None
        if not locked:
            conn.close()
            engine.dispose()
            raise BadInputError(
                f"another vmmonbench run is using the {SCHEMA} schema of {mask_url(self.shown)}; "
                "wait for it or point --db at another database"
            )
        self._engine, self._conn = engine, conn
        try:
            # now, before any host starts: a schema not ours, or a user object that depends
            # on ours, is refused with nothing touched
            recreate_schema(engine, self.shown)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Unlock (closing the session releases the advisory lock)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(DBAPIError):
                conn.close()
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()


def check_schema_is_ours(conn: Connection, shown: URL) -> None:
    """Refuse an existing `vmmonbench` schema without our marker comment."""
    comment = conn.execute(
        text(
            "SELECT coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace "
            "WHERE nspname = :schema"
        ),
        {"schema": SCHEMA},
    ).scalar_one_or_none()
    if comment is not None and comment != SCHEMA_MARKER:
        raise BadInputError(
            f"the database of {mask_url(shown)} already has a schema named {SCHEMA!r} that "
            "vmmonbench did not create; drop or rename it, or point --db at another database"
        )


def recreate_schema(engine: Engine, shown: URL | None = None) -> None:
    """Drop the run's schema object by object (never CASCADE), then create it empty, marked.

    A user's view or foreign key that depends on one of our tables stops the drop with the
    server's own dependency check; nothing is dropped then (one transaction).
    """
    shown = shown or engine.url
    with engine.begin() as conn:
        check_schema_is_ours(conn, shown)
        exists = conn.execute(
            text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": SCHEMA}
        ).first()
        try:
            if exists is not None:
                _drop_own_objects(conn)
                conn.execute(text(f'DROP SCHEMA "{SCHEMA}" RESTRICT'))
        except DBAPIError as exc:
            reason = _server_message(exc)
            raise BadInputError(
                f"cannot replace the {SCHEMA} schema of {mask_url(shown)}: {reason}; "
                "vmmonbench drops nothing another object depends on"
            ) from None
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        conn.execute(text(f"COMMENT ON SCHEMA \"{SCHEMA}\" IS '{SCHEMA_MARKER}'"))


def _server_message(exc: DBAPIError) -> str:
    # the server's own words and detail, not its hint (which suggests CASCADE)
    diag = getattr(exc.orig, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if not primary:
        return " ".join(str(exc.orig).split())[:240]
    detail = getattr(diag, "message_detail", None)
    return f"{primary} ({' '.join(detail.split())})" if detail else str(primary)


def _drop_own_objects(conn: Connection) -> None:
    # views first (they depend on tables), then functions, tables, types; each RESTRICT
    in_schema = {"schema": SCHEMA}
    if conn.execute(
        text("SELECT 1 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
             "WHERE n.nspname = :schema AND e.extname = 'pg_stat_statements'"),
        in_schema,
    ).first():  # fmt: skip
        conn.execute(text("DROP EXTENSION pg_stat_statements RESTRICT"))
    stored_sql.drop(conn, SCHEMA)  # the engine's procedures and views, dependents first
    for (name,) in conn.execute(
        text("SELECT table_name FROM information_schema.views WHERE table_schema = :schema"),
        in_schema,
    ).all():
        conn.execute(text(f'DROP VIEW IF EXISTS "{SCHEMA}"."{name}" RESTRICT'))
    for (signature,) in conn.execute(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = :schema"
        ),
        in_schema,
    ).all():
        conn.execute(text(f"DROP FUNCTION IF EXISTS {signature} RESTRICT"))
    tables = [
        name
        for (name,) in conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"), in_schema
        ).all()
    ]
    if tables:  # one statement: foreign keys between our own tables do not block it
        listed = ", ".join(f'"{SCHEMA}"."{name}"' for name in tables)
        conn.execute(text(f"DROP TABLE {listed} RESTRICT"))
    for (name,) in conn.execute(
        text(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = :schema AND t.typtype IN ('c', 'e', 'd') AND t.typrelid = 0"
        ),
        in_schema,
    ).all():
        conn.execute(text(f'DROP TYPE IF EXISTS "{SCHEMA}"."{name}" RESTRICT'))
