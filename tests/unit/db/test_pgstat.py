"""pg_stat_statements cross-check: status reasons, snapshots and matching client statements."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)

from vmmonbench.db import pgstat
from vmmonbench.db.pgstat import PgStatStatementsUnavailableError, ServerStatement
from vmmonbench.db.profiler import StatementProfiler, StatementStats

METADATA = MetaData()
VM = Table(
    "vm_pgstat",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(40), nullable=False),
)


@pytest.fixture
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    engine = create_engine(pg_database_url)
    yield engine
    engine.dispose()


def test_sqlite_has_a_reason_and_snapshots_refuse(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    reason = pgstat.pg_stat_statements_status(engine)
    assert reason == "pg_stat_statements needs PostgreSQL; this database is sqlite"
    assert pgstat.create_extension(engine) == reason
    with pytest.raises(PgStatStatementsUnavailableError, match="needs PostgreSQL"):
        pgstat.snapshot(engine)
    with pytest.raises(PgStatStatementsUnavailableError, match="needs PostgreSQL"):
        pgstat.reset(engine)


def test_an_unreachable_server_is_a_reason_not_an_exception() -> None:
    # Port 1 on loopback refuses at once: no server there, no waiting.
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    reason = pgstat.pg_stat_statements_status(engine)
    assert reason is not None
    assert reason.startswith("pg_stat_statements is not usable: ")
    assert "\n" not in reason
    engine.dispose()


@pytest.mark.postgres
def test_postgres_status_is_none_or_one_line(pg_engine: Engine) -> None:
    reason = pgstat.pg_stat_statements_status(pg_engine)
    assert reason is None or (reason.startswith(("pg_stat_statements", "the pg_stat_statements")))
    assert reason is None or "\n" not in reason


@pytest.mark.postgres
def test_where_unavailable_snapshot_and_reset_raise_the_reason(pg_engine: Engine) -> None:
    reason = pgstat.pg_stat_statements_status(pg_engine)
    if reason is None:
        pytest.skip("pg_stat_statements is usable on this server")
    with pytest.raises(PgStatStatementsUnavailableError) as raised:
        pgstat.snapshot(pg_engine)
    assert str(raised.value) == reason
    with pytest.raises(PgStatStatementsUnavailableError):
        pgstat.reset(pg_engine)


@pytest.mark.postgres
def test_without_preload_create_extension_creates_nothing(pg_engine: Engine) -> None:
    reason = pgstat.create_extension(pg_engine)
    if reason is None:
        pytest.skip("pg_stat_statements is preloaded on this server")
    assert reason == "pg_stat_statements is not in shared_preload_libraries"
    with pg_engine.connect() as conn:
        installed = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'"
        ).scalar_one()
    assert installed == 0


@pytest.mark.postgres
def test_snapshot_matches_the_profilers_statements(pg_engine: Engine) -> None:
    reason = pgstat.create_extension(pg_engine)
    if reason is not None:
        pytest.skip(f"needs a server with pg_stat_statements: {reason}")
    METADATA.create_all(pg_engine)
    profiler = StatementProfiler()
    profiler.attach(pg_engine)
    pgstat.reset(pg_engine)
    with pg_engine.begin() as conn:
        with profiler.labelled("InsertVm"):
            conn.execute(insert(VM), [{"id": i, "name": f"vm{i}"} for i in range(3)])
        with profiler.labelled("GetVmsByIds"):
            for ids in ([0], [0, 1], [0, 1, 2]):
                result = conn.execute(select(VM).where(VM.c.id.in_(ids)))
                with profiler.fetching() as tally:
                    tally.rows = len(result.all())
    server = pgstat.snapshot(pg_engine)
    profiler.detach()
    rows = {_labels(row): row for row in pgstat.cross_check(profiler.statements(), server)}

    reads = rows["GetVmsByIds"]
    assert reads["match"] == "both"
    assert (reads["client_calls"], reads["server_calls"]) == (3, 3)
    assert (reads["client_rows"], reads["server_rows"]) == (6, 6)
    writes = rows["InsertVm"]
    assert writes["match"] == "both"
    # one executemany here; psycopg sends each parameter set, the server counts three
    assert (writes["client_calls"], writes["server_calls"]) == (1, 3)
    assert (writes["client_rows"], writes["server_rows"]) == (3, 3)
    assert not any("pg_stat_statements" in str(row["sql"]) for row in rows.values())
    assert all(s.calls > 0 for s in server)


def _labels(row: dict[str, object]) -> str:
    labels = row["labels"]
    assert isinstance(labels, list)
    return ",".join(labels)


def test_cross_check_pairs_by_sql_and_orders_by_time() -> None:
    def client(label: str, sql: str, calls: int, total_s: float) -> StatementStats:
        return StatementStats(label, sql, "read", calls, calls, total_s, 0, 0, 0, 0, 0, 0)

    rows = pgstat.cross_check(
        [
            client("GetVm", "SELECT a FROM t WHERE id = ?", 2, 0.5),
            client("GetVmAgain", "SELECT a FROM t WHERE id = ?", 1, 0.25),
            client("select 1", "select ?", 4, 0.125),
        ],
        [
            ServerStatement("SELECT a FROM t WHERE id = ?", 3, 0.0625, 3),
            ServerStatement("BEGIN", 2, 1.0, 0),
        ],
    )
    assert [(row["sql"], row["match"]) for row in rows] == [
        ("BEGIN", "server-only"),
        ("SELECT a FROM t WHERE id = ?", "both"),
        ("select ?", "client-only"),
    ]
    both = rows[1]
    assert both["labels"] == ["GetVm", "GetVmAgain"]
    assert (both["client_calls"], both["server_calls"]) == (3, 3)
    assert (both["client_total_s"], both["server_exec_s"]) == (0.75, 0.0625)
