"""Database connections: URL handling, engine set-up per dialect, and profiled sessions."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg.types.numeric import FloatLoader
from psycopg.types.string import TextLoader
from sqlalchemy import Connection, DateTime, Engine, create_engine, event, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from vmmonbench.db.prepared import Prepared
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


Record = dict[str, Any]
BoundTimestamp = datetime | str  # a TIMESTAMP value as the driver takes it (SQLite: text)


def _raw_cursor(dbapi_connection: Any, dialect: str) -> Any:
    cursor = dbapi_connection.cursor()
    if dialect == "postgresql":
        # What SQLAlchemy's column types did for the monitoring tables, done once by the driver
        # and for this cursor only: numerics as floats, uuids as their text form.
        cursor.adapters.register_loader("numeric", FloatLoader)
        cursor.adapters.register_loader("uuid", TextLoader)
    return cursor


class DbSession:
    """One connection used by one activity (a cycle phase, an event, a command).

    Statements go straight to the driver's cursor as prepared texts (`Prepared`), a batch as one
    `executemany`; the profiler times execute + fetch of each. Every DAO call is one logical
    checkout, as in the engine where each DAO call asks the pool for a connection: with
    validation on, each checkout first runs `select 1` (on the same driver path).
    """

    __slots__ = (
        "_clock",
        "_cursor",
        "_dbapi",
        "_dbapi_error",
        "_names",
        "_profiler",
        "_timestamp",
        "_validate",
        "dialect",
    )

    def __init__(
        self, conn: Connection, profiler: StatementProfiler | None, *, validate: bool
    ) -> None:
        self.dialect: Dialect = conn.dialect
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None  # a checked-out connection always has one
        self._dbapi = dbapi
        self._cursor = _raw_cursor(self._dbapi, conn.dialect.name)
        self._dbapi_error: type[Exception] = conn.dialect.loaded_dbapi.Error
        self._profiler = profiler
        self._clock: Callable[[], float] = profiler.clock if profiler else time.perf_counter
        self._validate = validate
        self._names: dict[str, list[str]] = {}  # a statement's column names, read once
        # SQLAlchemy's own conversion (SQLite stores text), so both paths write one format
        self._timestamp = _TIMESTAMP.dialect_impl(self.dialect).bind_processor(self.dialect)

    def timestamp(self, value: datetime) -> BoundTimestamp:
        """`value` as the driver binds it into a TIMESTAMP column."""
        return value if self._timestamp is None else str(self._timestamp(value))

    def _execute(self, statement: Prepared, args: Any, *, many: bool) -> tuple[float, Any]:
        cursor = self._cursor
        clock = self._clock
        try:
            started = clock()
            if many:
                cursor.executemany(statement.sql, args)
                return clock() - started, None
            cursor.execute(statement.sql, args)
            if statement.write:
                return clock() - started, None
            rows = cursor.fetchall()
            return clock() - started, rows
        except self._dbapi_error as exc:
            raise DBAPIError.instance(statement.sql, args, exc, self._dbapi_error) from None

    def _checkout(self) -> None:
        elapsed, _ = self._execute(_SELECT_1, (), many=False)
        if self._profiler is not None:
            # the pool reads the validation row itself: no rows reach the application
            self._profiler.record(SELECT_1, SELECT_1, elapsed, 0, write=False)

    def checkout(self) -> None:
        """A checkout that runs nothing: the engine's empty batches still take a connection."""
        if self._validate:
            self._checkout()

    @contextmanager
    def shared_checkout(self) -> Iterator[None]:
        """DAO calls inside one engine transaction share one connection: one validation."""
        self.checkout()
        validate, self._validate = self._validate, False
        try:
            yield
        finally:
            self._validate = validate

    def fetch(self, statement: Prepared, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query and fetch every row as a tuple; execute and fetch count as self time."""
        if self._validate:
            self._checkout()
        elapsed, rows = self._execute(statement, args, many=False)
        if self._profiler is not None:
            self._profiler.record(statement.label, statement.sql, elapsed, len(rows), write=False)
        return rows  # type: ignore[no-any-return]

    def fetch_records(self, statement: Prepared, args: Sequence[Any] = ()) -> list[Record]:
        """`fetch`, each row mapped to a record (column name -> value) after the timing."""
        rows = self.fetch(statement, args)
        names = self._names.get(statement.sql)
        if names is None:  # psycopg builds the description's objects anew on every access
            names = self._names[statement.sql] = [c[0] for c in self._cursor.description]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def write(self, statement: Prepared, args: Sequence[Any]) -> int:
        """Run a DML statement for one row; returns the rows affected."""
        if self._validate:
            self._checkout()
        elapsed, _ = self._execute(statement, args, many=False)
        rowcount: int = self._cursor.rowcount
        if self._profiler is not None:
            self._profiler.record(
                statement.label, statement.sql, elapsed, max(rowcount, 0), write=True
            )
        return rowcount if rowcount >= 0 else 1

    def write_many(self, statement: Prepared, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run a DML statement for a batch of rows as one executemany; returns rows affected."""
        if not rows:
            return 0
        if self._validate:
            self._checkout()
        args = list(map(statement.args, rows))
        elapsed, _ = self._execute(statement, args, many=True)
        rowcount: int = self._cursor.rowcount
        # some drivers do not report a count for a batch: one per parameter set
        count = rowcount if rowcount >= 0 else len(args)
        if self._profiler is not None:
            self._profiler.record(statement.label, statement.sql, elapsed, count, write=True)
        return count

    def commit(self) -> None:
        """Commit what this session wrote."""
        try:
            self._dbapi.commit()
        except self._dbapi_error as exc:
            raise DBAPIError.instance("COMMIT", (), exc, self._dbapi_error) from None

    def close(self) -> None:
        """Close the cursor (the connection goes back to the pool with the session)."""
        self._cursor.close()


_SELECT_1 = Prepared.of(SELECT_1, SELECT_1, (), write=False)
_TIMESTAMP = DateTime(timezone=True)


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
    def session(
        self, *, validate: bool | None = None, profiled: bool = True
    ) -> Iterator[DbSession]:
        """A session on a pooled connection; uncommitted work is rolled back at the end.

        By default it validates checkouts as the database is configured to and is profiled;
        a tool's own reads (the consistency check) may turn either off.
        """
        validate = self.validate_on_checkout if validate is None else validate
        profiler = self.profiler if profiled else None
        with self.engine.connect() as conn:
            session = DbSession(conn, profiler, validate=validate)
            try:
                yield session
            finally:
                session.close()

    def close(self) -> None:
        """Detach the profiler and close every pooled connection."""
        if self.profiler is not None:
            self.profiler.detach()
        self.engine.dispose()
