"""Server-side cross-check: pg_stat_statements rows matched to the client profiler's statements."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import SQLAlchemyError

from vmmonbench.db.profiler import StatementStats
from vmmonbench.db.sqlnorm import normalize_server_sql
from vmmonbench.db.work import COUNTERS, NO_WORK, DbWork

EXTENSION = "pg_stat_statements"
# Inside every query of ours, after its first keyword: pg_stat_statements keeps comments within
# a statement's text (PostgreSQL 18 drops leading ones), so snapshots can leave our own out.
_MARKER = "/* vmmonbench:pgstat */"
_PRELOADED = re.compile(rf"(?:^|[\s,/'\"]){EXTENSION}(?:$|[\s,'\"])")
_CURRENT_DB = "(SELECT oid FROM pg_database WHERE datname = current_database())"


@dataclass(frozen=True, slots=True)
class ServerStatement:
    """pg_stat_statements totals for one normalized query in the current database."""

    query_normalized: str
    calls: int
    total_exec_time_s: float
    rows: int
    work: DbWork = NO_WORK


class PgStatStatementsUnavailableError(RuntimeError):
    """`reset`/`snapshot` called where `pg_stat_statements_status` reports a reason."""


def pg_stat_statements_status(engine: Engine) -> str | None:
    """None when pg_stat_statements can be read on this engine's database, else why not.

    Never raises: any database error becomes the one-line reason.
    """
    if engine.dialect.name != "postgresql":
        return f"{EXTENSION} needs PostgreSQL; this database is {engine.dialect.name}"
    try:
        with _cursor(engine) as cursor:
            return _status(cursor)
    except _database_errors(engine) as exc:
        return f"{EXTENSION} is not usable: {_first_line(exc)}"


def create_extension(engine: Engine) -> str | None:
    """CREATE EXTENSION pg_stat_statements where the server preloads it; then the status.

    Never raises. Without the preload the extension could not work, so nothing is created.
    """
    if engine.dialect.name == "postgresql":
        try:
            with _cursor(engine) as cursor:
                if _preload_reason(cursor) is None:
                    cursor.execute(f"CREATE {_MARKER} EXTENSION IF NOT EXISTS {EXTENSION}")
        except _database_errors(engine) as exc:
            return f"cannot create the {EXTENSION} extension: {_first_line(exc)}"
    return pg_stat_statements_status(engine)


def reset(engine: Engine) -> None:
    """Zero pg_stat_statements for the current database only (other databases keep theirs).

    Raises PgStatStatementsUnavailableError where `pg_stat_statements_status` has a reason.
    """
    with _checked_cursor(engine) as cursor:
        # userid 0 and queryid 0 mean "all"; the dbid limits the reset to this database.
        cursor.execute(f"SELECT {_MARKER} {_schema(cursor)}.{EXTENSION}_reset(0, {_CURRENT_DB}, 0)")


def snapshot(engine: Engine) -> list[ServerStatement]:
    """The current database's pg_stat_statements, merged per normalized query, by time desc.

    Raises PgStatStatementsUnavailableError where `pg_stat_statements_status` has a reason.
    """
    with _checked_cursor(engine) as cursor:
        cursor.execute(
            f"SELECT {_MARKER} query, calls, total_exec_time, rows, {', '.join(COUNTERS)} "
            f"FROM {_schema(cursor)}.{EXTENSION} WHERE dbid = {_CURRENT_DB}"
        )
        rows: Sequence[Any] = cursor.fetchall()
    merged: dict[str, ServerStatement] = {}
    for query, calls, total_exec_time_ms, row_count, *counters in rows:
        if _MARKER in query:
            continue
        # The server keeps one row per query id and user; IN-lists of different lengths are
        # different ids there and one statement here.
        sql = normalize_server_sql(query)
        seen = merged.get(sql, ServerStatement(sql, 0, 0.0, 0))
        merged[sql] = ServerStatement(
            query_normalized=sql,
            calls=seen.calls + int(calls),
            total_exec_time_s=seen.total_exec_time_s + float(total_exec_time_ms) / 1000.0,
            rows=seen.rows + int(row_count),
            work=seen.work.plus(DbWork(*(int(value) for value in counters))),
        )
    return sorted(merged.values(), key=lambda s: (-s.total_exec_time_s, s.query_normalized))


def since(
    after: Sequence[ServerStatement], before: Sequence[ServerStatement]
) -> list[ServerStatement]:
    """What the server counted between two snapshots (statements with no new call left out).

    Deltas instead of a reset: a database vmmonbench shares with others keeps their statistics.
    """
    earlier = {s.query_normalized: s for s in before}
    changed: list[ServerStatement] = []
    for now in after:
        then = earlier.get(now.query_normalized, ServerStatement(now.query_normalized, 0, 0.0, 0))
        if now.calls > then.calls:
            changed.append(
                ServerStatement(
                    query_normalized=now.query_normalized,
                    calls=now.calls - then.calls,
                    total_exec_time_s=max(0.0, now.total_exec_time_s - then.total_exec_time_s),
                    rows=max(0, now.rows - then.rows),
                    work=now.work.minus(then.work),
                )
            )
    return sorted(changed, key=lambda s: (-s.total_exec_time_s, s.query_normalized))


def cross_check(
    client: Sequence[StatementStats], server: Sequence[ServerStatement]
) -> list[dict[str, object]]:
    """One row per normalized SQL seen by either side: client calls/rows/time beside the server's.

    `match` is `both`, `client-only` or `server-only`; rows are ordered by the larger of the two
    times; `work` holds the server's buffer and WAL counters (None where it never saw the SQL).
    Differences that are not errors: the server counts every parameter set of an executemany
    as a call (psycopg 3 pipelines them), its time leaves out the network and the driver, and
    it also sees what the client never timed (BEGIN/COMMIT, connection set-up, other sessions
    on the same database).
    """
    clients: dict[str, list[StatementStats]] = {}
    for stats in client:
        clients.setdefault(stats.sql, []).append(stats)
    servers = {s.query_normalized: s for s in server}
    keyed: list[tuple[float, str, dict[str, object]]] = []
    for sql in clients.keys() | servers.keys():
        mine = clients.get(sql, [])
        theirs = servers.get(sql)
        client_s = math.fsum(s.total_s for s in mine)
        server_s = theirs.total_exec_time_s if theirs else 0.0
        row: dict[str, object] = {
            "sql": sql,
            "labels": sorted({s.label for s in mine}),
            "match": _match(bool(mine), theirs is not None),
            "client_calls": sum(s.calls for s in mine),
            "server_calls": theirs.calls if theirs else 0,
            "client_rows": sum(s.rows for s in mine),
            "server_rows": theirs.rows if theirs else 0,
            "client_total_s": client_s,
            "server_exec_s": server_s,
            "work": asdict(theirs.work) if theirs else None,
        }
        keyed.append((-max(client_s, server_s), sql, row))
    keyed.sort(key=lambda item: item[:2])
    return [row for *_, row in keyed]


def work_by_statement(
    client: Sequence[StatementStats], server: Sequence[ServerStatement]
) -> dict[tuple[str, str], DbWork]:
    """The server's work per client statement (label, normalized SQL).

    Only where one label issued that SQL: the server cannot tell two labels' calls apart.
    """
    labels: dict[str, set[str]] = {}
    for stats in client:
        labels.setdefault(stats.sql, set()).add(stats.label)
    servers = {s.query_normalized: s for s in server}
    return {
        (label, sql): servers[sql].work
        for sql, names in labels.items()
        if len(names) == 1 and sql in servers
        for label in names
    }


def _schema(cursor: DBAPICursor) -> str:
    # the extension's schema, quoted: a run's search_path may not include it
    cursor.execute(
        f"SELECT {_MARKER} quote_ident(n.nspname) FROM pg_extension e "
        f"JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = '{EXTENSION}'"
    )
    found = cursor.fetchall()
    return str(found[0][0]) if found else "public"


def _match(client_seen: bool, server_seen: bool) -> str:
    if client_seen and server_seen:
        return "both"
    return "client-only" if client_seen else "server-only"


@contextmanager
def _cursor(engine: Engine) -> Iterator[DBAPICursor]:
    # A pooled DBAPI connection, below SQLAlchemy's execution layer: a profiler attached to
    # this engine does not record these queries, and no new connection runs its set-up queries.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
        connection.commit()
    finally:
        connection.close()  # back to the pool, rolled back if we did not get to commit


def _preload_reason(cursor: DBAPICursor) -> str | None:
    cursor.execute(f"SELECT {_MARKER} current_setting('shared_preload_libraries')")
    preload = cursor.fetchall()[0][0]
    if not _PRELOADED.search(str(preload or "")):
        return f"{EXTENSION} is not in shared_preload_libraries"
    return None


def _status(cursor: DBAPICursor) -> str | None:
    reason = _preload_reason(cursor)
    if reason is not None:
        return reason
    cursor.execute(
        f"SELECT {_MARKER} current_database(), "
        f"EXISTS (SELECT 1 FROM pg_extension WHERE extname = '{EXTENSION}')"
    )
    database, installed = cursor.fetchall()[0]
    if not installed:
        return (
            f"the {EXTENSION} extension is not created in database {database} "
            f"(CREATE EXTENSION {EXTENSION})"
        )
    cursor.execute(f"SELECT {_MARKER} 1 FROM {_schema(cursor)}.{EXTENSION} LIMIT 1")
    cursor.fetchall()
    return None


@contextmanager
def _checked_cursor(engine: Engine) -> Iterator[DBAPICursor]:
    if engine.dialect.name != "postgresql":
        raise PgStatStatementsUnavailableError(
            f"{EXTENSION} needs PostgreSQL; this database is {engine.dialect.name}"
        )
    with _cursor(engine) as cursor:
        try:
            reason = _status(cursor)
        except _database_errors(engine) as exc:
            raise PgStatStatementsUnavailableError(_first_line(exc)) from exc
        if reason is not None:
            raise PgStatStatementsUnavailableError(reason)
        yield cursor


def _database_errors(engine: Engine) -> tuple[type[Exception], ...]:
    # Connecting fails with SQLAlchemy's wrapped errors; our raw cursor with the driver's own.
    driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error
    return (SQLAlchemyError, driver_error)


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
