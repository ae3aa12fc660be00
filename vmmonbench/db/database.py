"""Database connections: URL handling, engine set-up per dialect, and profiled sessions."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from psycopg.types.numeric import FloatLoader
from psycopg.types.string import TextLoader
from sqlalchemy import Connection, DateTime, Engine, create_engine, event, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from vmmonbench.db.prepared import Prepared
from vmmonbench.db.vmsteps import STEPS_KEY, StepCounter, count_steps
from vmmonbench.errors import DatabaseUrlError

if TYPE_CHECKING:
    from vmmonbench.db.profiler import StatementProfiler

SELECT_1 = "select 1"
POSTGRES_DRIVER = "postgresql+psycopg"


# drivers vmmonbench is built and tested with; any other (asyncpg, pg8000, aiosqlite...) is refused
_DRIVERS = {
    "postgresql": POSTGRES_DRIVER,
    "postgres": POSTGRES_DRIVER,
    "postgresql+psycopg": POSTGRES_DRIVER,
    "postgresql+psycopg2": POSTGRES_DRIVER,
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
}
# query parameters that carry a secret or point at one (libpq's and any like them)
_SECRET_KEYS = {"password", "passfile", "sslpassword", "sslkey", "sslcert", "sslcrl", "sslcrldir"}
_SECRET_KEY_PARTS = ("pass", "pwd", "secret", "token", "key", "credential", "auth")
MASK = "***"
URL_EXAMPLE = "expected e.g. sqlite:///path/to/file.db or postgresql://user@host:5432/dbname"


def parse_url(raw: str) -> URL:
    """Parse a database URL; `postgresql://` means psycopg 3. Raises DatabaseUrlError.

    Error messages show the URL masked (mask_url), or not at all when it cannot be parsed.
    """
    if "://" not in raw:
        raise DatabaseUrlError(
            f"malformed database URL (not shown: it may hold a password): {URL_EXAMPLE}"
        )
    try:
        url = make_url(raw)
        port = url.port  # SQLAlchemy parses the port lazily in some versions
    except (ArgumentError, ValueError, TypeError):
        raise DatabaseUrlError(
            f"malformed database URL {mask_url_text(raw)} (is the port a number?): {URL_EXAMPLE}"
        ) from None
    if url.host is not None and "@" in url.host:
        raise DatabaseUrlError(
            f"the database URL {mask_url_text(raw)} has an '@' after the user name: write an "
            "'@' inside a user name or password as %40"
        )
    if port is not None and not 0 < port < 65536:
        raise DatabaseUrlError(f"bad port {port} in the database URL {mask_url(url)}: use 1-65535")
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        backend = url.get_backend_name()
        if backend in {"postgresql", "sqlite"}:
            raise DatabaseUrlError(
                f"unsupported driver {url.get_driver_name()!r} in {mask_url(url)}: vmmonbench uses "
                + (
                    "psycopg 3; write postgresql://..."
                    if backend == "postgresql"
                    else "sqlite3; write sqlite:///FILE"
                )
            )
        raise DatabaseUrlError(
            f"unsupported database {backend!r} in {mask_url(url)}: "
            "use sqlite:///FILE or postgresql://..."
        )
    url = url.set(drivername=driver)
    if url.get_backend_name() == "sqlite" and url.database in {None, "", ":memory:"}:
        raise DatabaseUrlError("an in-memory SQLite database cannot be shared: give a file path")
    return url


def mask_url(url: URL | str) -> str:
    """The URL with every secret replaced by `***`: the password and secret query parameters.

    Safe to print and store. A string that does not parse is masked as mask_url_text does.
    """
    if isinstance(url, str):
        try:
            parsed = make_url(url)
            _ = parsed.port
        except (ArgumentError, ValueError, TypeError):
            return mask_url_text(url)
        url = parsed
    if url.host is not None and "@" in url.host:
        # an unescaped `@` in the password: what SQLAlchemy took for the host holds its tail
        url = url.set(host=url.host.rpartition("@")[2], password=url.password or MASK)
    base = url.set(query={}).render_as_string(hide_password=True)
    pairs = [
        (key, value)
        for key, values in sorted(url.query.items())
        for value in ((values,) if isinstance(values, str) else values)
    ]
    if not pairs:
        return base
    shown = "&".join(
        f"{quote(key, safe='')}={MASK if is_secret_key(key) else quote(value, safe='/')}"
        for key, value in pairs
    )
    return f"{base}?{shown}"


def is_secret_key(key: str) -> bool:
    """Whether a URL query parameter carries a secret (password, key file, ...)."""
    lowered = key.lower()
    return lowered in _SECRET_KEYS or any(part in lowered for part in _SECRET_KEY_PARTS)


def mask_url_text(raw: str) -> str:
    """What may be shown of a URL that does not parse: scheme, user and host, never a secret.

    Everything before the last `@` is user information (an unescaped `@`, `/` or `?` in a
    password is masked whole), and a query string is replaced by `?***`.
    """
    scheme, sep, rest = raw.partition("://")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,40}", scheme):
        return "(not shown: it may hold a password)"
    credentials, at, place = rest.rpartition("@")
    where = re.split(r"[?#]", place, maxsplit=1)[0]
    user = re.split(r"[:@/?#]", credentials, maxsplit=1)[0]
    shown_user = f"{user}:{MASK}@" if at else ""
    return f"{scheme}://{shown_user}{where}" + (f"?{MASK}" if where != place else "")


def scrub_secrets(text: str, url: URL) -> str:
    """`text` (e.g. a driver's error message) with the URL's secret values replaced by `***`."""
    secrets = [url.password] if url.password else []
    for key, values in url.query.items():
        if is_secret_key(key):
            secrets.extend((values,) if isinstance(values, str) else values)
    for secret in sorted({str(s) for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def create_db_engine(url: URL, *, pool_size: int = 16, vm_steps: bool = False) -> Engine:
    """An engine tuned for concurrent monitoring, commands and event workers.

    `vm_steps` counts SQLite's virtual-machine steps on every connection (`vmsteps`; costly).
    """
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 120},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if vm_steps:
            event.listen(engine, "connect", count_steps)
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
        reason = " ".join(str(getattr(exc, "orig", exc) or exc).split())
        reason = scrub_secrets(reason, engine.url)[:200]
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
        "_last_steps",
        "_names",
        "_profiler",
        "_steps",
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
        # SQLite's VM steps, where the engine counts them (`run --sqlite-steps`)
        self._steps: StepCounter | None = conn.connection.info.get(STEPS_KEY)
        self._last_steps: int | None = None
        self._names: dict[str, list[str]] = {}  # a statement's column names, read once
        # SQLAlchemy's own conversion (SQLite stores text), so both paths write one format
        self._timestamp = _TIMESTAMP.dialect_impl(self.dialect).bind_processor(self.dialect)

    def timestamp(self, value: datetime) -> BoundTimestamp:
        """`value` as the driver binds it into a TIMESTAMP column."""
        return value if self._timestamp is None else str(self._timestamp(value))

    def _execute(self, statement: Prepared, args: Any, *, many: bool) -> tuple[float, Any]:
        cursor = self._cursor
        clock = self._clock
        counter = self._steps
        before = counter.steps if counter is not None else 0
        try:
            started = clock()
            if many:
                cursor.executemany(statement.sql, args)
                elapsed, rows = clock() - started, None
            else:
                cursor.execute(statement.sql, args)
                rows = None if statement.write else cursor.fetchall()
                elapsed = clock() - started
        except self._dbapi_error as exc:
            raise DBAPIError.instance(statement.sql, args, exc, self._dbapi_error) from None
        if counter is not None:  # execute and fetch: the steps of the same span as the time
            self._last_steps = counter.steps - before
        return elapsed, rows

    def _checkout(self) -> None:
        elapsed, _ = self._execute(_SELECT_1, (), many=False)
        if self._profiler is not None:
            # the pool reads the validation row itself: no rows reach the application
            self._profiler.record(
                SELECT_1, SELECT_1, elapsed, 0, write=False, vm_steps=self._last_steps
            )

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
            self._profiler.record(
                statement.label,
                statement.sql,
                elapsed,
                len(rows),
                write=False,
                vm_steps=self._last_steps,
            )
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
                statement.label,
                statement.sql,
                elapsed,
                max(rowcount, 0),
                write=True,
                vm_steps=self._last_steps,
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
            self._profiler.record(
                statement.label,
                statement.sql,
                elapsed,
                count,
                write=True,
                vm_steps=self._last_steps,
            )
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
        vm_steps: bool = False,
    ) -> None:
        self.url = url
        self.engine = create_db_engine(url, pool_size=pool_size, vm_steps=vm_steps)
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
