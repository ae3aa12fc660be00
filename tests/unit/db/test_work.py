"""The server's work per statement: counters summed and differenced, matched to labels, nested."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from vmmonbench.db import pgstat
from vmmonbench.db.pgstat import ServerStatement
from vmmonbench.db.profiler import StatementProfiler, StatementStats
from vmmonbench.db.work import DbWork


def test_blocks_are_hits_plus_reads_and_deltas_never_go_below_zero() -> None:
    earlier = DbWork(shared_blks_hit=10, shared_blks_read=2, wal_bytes=100)
    later = DbWork(shared_blks_hit=15, shared_blks_read=2, wal_bytes=90, wal_records=3)
    assert later.blocks == 17
    assert later.minus(earlier) == DbWork(shared_blks_hit=5, wal_records=3)
    assert earlier.plus(later).blocks == 29


def test_since_differences_every_counter_of_the_statements_called_again() -> None:
    before = [ServerStatement("SELECT f(?)", 2, 0.5, 2, DbWork(shared_blks_hit=40, wal_fpi=1))]
    after = [
        ServerStatement("SELECT f(?)", 5, 1.0, 5, DbWork(shared_blks_hit=100, wal_fpi=1)),
        ServerStatement("SELECT g()", 1, 0.1, 1, DbWork(shared_blks_read=7)),
    ]
    changed = {s.query_normalized: s.work for s in pgstat.since(after, before)}
    assert changed == {"SELECT f(?)": DbWork(shared_blks_hit=60), "SELECT g()": after[1].work}


def test_work_goes_to_the_one_label_that_issued_the_sql() -> None:
    def client(label: str, sql: str) -> StatementStats:
        return StatementStats(label, sql, "read", 1, 1, 0.1, 0, 0, 0, 0, 0, 0)

    shared, alone = "SELECT a FROM t WHERE id = ?", "SELECT f(?)"
    work = pgstat.work_by_statement(
        [client("GetVm", shared), client("GetVmAgain", shared), client("GetF", alone)],
        [
            ServerStatement(shared, 2, 0.1, 2, DbWork(shared_blks_hit=4)),
            ServerStatement(alone, 1, 0.1, 1, DbWork(shared_blks_hit=9)),
        ],
    )
    # two labels share one server row: neither can claim its blocks
    assert work == {("GetF", alone): DbWork(shared_blks_hit=9)}


@pytest.fixture
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    engine = create_engine(pg_database_url)
    reason = pgstat.create_extension(engine)
    if reason is not None:
        engine.dispose()
        pytest.skip(f"needs a server with pg_stat_statements: {reason}")
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_a_procedure_calls_blocks_include_the_statements_it_ran(pg_engine: Engine) -> None:
    # pg_stat_statements.track = top: only the top-level call has a row, so its counters must
    # hold the nested scan's pages or a procedure doing more work would look the same
    with pg_engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS work_t CASCADE"))
        conn.execute(text("CREATE TABLE work_t (id int PRIMARY KEY, v text)"))
        conn.execute(
            text("INSERT INTO work_t SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g")
        )
        conn.execute(
            text(
                "CREATE FUNCTION work_scan() RETURNS bigint LANGUAGE plpgsql AS $$ "
                "DECLARE n bigint; BEGIN SELECT count(*) INTO n FROM work_t WHERE v LIKE '%y%'; "
                "RETURN n; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE FUNCTION work_one(i int) RETURNS bigint LANGUAGE plpgsql AS $$ "
                "DECLARE n bigint; BEGIN SELECT count(*) INTO n FROM work_t WHERE id = i; "
                "RETURN n; END $$"
            )
        )
        pages = conn.execute(
            text("SELECT pg_relation_size('work_t') / current_setting('block_size')::int")
        ).scalar_one()
    profiler = StatementProfiler()
    profiler.attach(pg_engine)
    before = pgstat.snapshot(pg_engine)
    with pg_engine.begin() as conn:
        with profiler.labelled("WorkScan"):
            conn.execute(text("SELECT work_scan()"))
        with profiler.labelled("WorkOne"):
            conn.execute(text("SELECT work_one(7)"))
    counted = pgstat.since(pgstat.snapshot(pg_engine), before)
    profiler.detach()
    work = {
        label: w
        for (label, _), w in pgstat.work_by_statement(profiler.statements(), counted).items()
    }
    assert pages > 20
    assert work["WorkScan"].blocks >= pages  # the whole table, read inside the procedure
    assert work["WorkOne"].blocks < pages / 4  # an index lookup
