"""Database connections: URL handling, engine set-up per dialect, and profiled sessions."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Row, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.sql import Executable

from vmmonbench.errors import DatabaseUrlError

if TYPE_CHECKING:
    from vmmonbench.db.profiler import StatementProfiler

SELECT_1 = "select 1"
POSTGRES_DRIVER = "postgresql+psycopg"


def parse_url(raw: str) -> URL:
    """Parse a database URL; `postgresql://` means psycopg 3. Raises DatabaseUrlError."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseUrlError(
            f"malformed database URL {mask_url_text(raw)!r}: expected e.g. "
            "sqlite:///path/to/file.db or postgresql://user@host:5432/dbname"
        ) from None
    if url.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        url = url.set(drivername=POSTGRES_DRIVER)
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise DatabaseUrlError(
            f"unsupported database {url.get_backend_name()!r} in {mask_url(url)}: "
            "use sqlite:///FILE or postgresql://..."
        )
    if url.get_backend_name() == "sqlite" and url.database in {None, "", ":memory:"}:
        raise DatabaseUrlError("an in-memory SQLite database cannot be shared: give a file path")
    return url


def mask_url(url: URL | str) -> str:
    """The URL with its password replaced by `***` (safe to print and store)."""
    if isinstance(url, str):
        try:
            parsed = make_url(url)
        except ArgumentError:
            return mask_url_text(url)
        return parsed.render_as_string(hide_password=True)
    return url.render_as_string(hide_password=True)


def mask_url_text(raw: str) -> str:
    """Best-effort masking of `user:password@` in a string that is not a parseable URL."""
    scheme, sep, rest = raw.partition("://")
    if not sep or "@" not in rest:
        return raw
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else raw


def create_db_engine(url: URL, *, pool_size: int = 16) -> Engine:
    """An engine tuned for concurrent monitoring, commands and event workers."""
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 120},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; NORMAL sync is the usual WAL setting
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def check_reachable(engine: Engine) -> str:
    """Connect once and return the server version; raises DatabaseUrlError with a masked URL."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                return str(conn.execute(text("select sqlite_version()")).scalar_one())
            return str(conn.execute(text("show server_version")).scalar_one())
    except (DBAPIError, NoSuchModuleError, OSError) as exc:
        reason = " ".join(str(getattr(exc, "orig", exc) or exc).split())[:200]
        raise DatabaseUrlError(f"cannot connect to {mask_url(engine.url)}: {reason}") from None


def copy_sqlite_file(source: Path, target: Path) -> None:
    """Copy a populated SQLite database (with its WAL checkpointed) to a fresh file."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


class DbSession:
    """One connection used by one activity (a cycle phase, an event, a command).

    Every DAO call is one logical checkout, as in the engine where each DAO call asks the pool
    for a connection: with validation on, each checkout first runs `select 1`.
    """

    def __init__(
        self, conn: Connection, profiler: StatementProfiler | None, *, validate: bool
    ) -> None:
        self._conn = conn
        self._profiler = profiler
        self._validate = validate

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._conn.dialect.name

    def _checkout(self) -> None:
        if self._validate:
            with self._label(SELECT_1):
                self._conn.exec_driver_sql(SELECT_1).all()

    def _label(self, label: str) -> Any:
        return self._profiler.labelled(label) if self._profiler else nullcontext()

    def fetch(
        self, label: str, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        """Run a query and fetch every row; execute and fetch time both count as self time."""
        self._checkout()
        with self._label(label):
            result = self._conn.execute(statement, params or {})
            if self._profiler is None:
                return result.all()
            with self._profiler.fetching() as tally:
                rows = result.all()
                tally.rows = len(rows)
            return rows

    def write(
        self,
        label: str,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    ) -> int:
        """Run a DML statement for one row or a batch (one executemany); returns rows affected."""
        if isinstance(params, Sequence) and not params:
            return 0
        self._checkout()
        with self._label(label):
            result = self._conn.execute(statement, params)
        if result.rowcount >= 0:
            return int(result.rowcount)
        # some drivers do not report a count (psycopg for a plain INSERT): one per parameter set
        return len(params) if isinstance(params, Sequence) else 1

    def commit(self) -> None:
        """Commit what this session wrote."""
        self._conn.commit()


class Database:
    """An engine plus the profiler attached to it and the checkout-validation switch."""

    def __init__(
        self,
        url: URL,
        *,
        profiler: StatementProfiler | None = None,
        validate_on_checkout: bool = True,
        pool_size: int = 16,
    ) -> None:
        self.url = url
        self.engine = create_db_engine(url, pool_size=pool_size)
        self.profiler = profiler
        self.validate_on_checkout = validate_on_checkout
        if profiler is not None:
            # connect once first: the dialect's own start-up queries are not monitoring work
            with self.engine.connect():
                pass
            profiler.attach(self.engine)

    @contextmanager
    def session(self) -> Iterator[DbSession]:
        """A session on a pooled connection; uncommitted work is rolled back at the end."""
        with self.engine.connect() as conn:
            yield DbSession(conn, self.profiler, validate=self.validate_on_checkout)

    def close(self) -> None:
        """Detach the profiler and close every pooled connection."""
        if self.profiler is not None:
            self.profiler.detach()
        self.engine.dispose()
