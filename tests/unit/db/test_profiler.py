"""The statement profiler on real SQLite and PostgreSQL, timed by a fake clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

from vmmonbench.db.profiler import ActivityTally, HookStyle, StatementProfiler, StatementStats

METADATA = MetaData()
VM = Table(
    "vm",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(40), nullable=False),
)
HOOKS: tuple[HookStyle, ...] = ("dialect", "cursor")
TICK = 0.25  # a power of two: sums of ticks are exact in floating point


class StepClock:
    """Moves TICK forward on every reading; `advance()` adds time as if work happened."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += TICK
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The VM table with rows 1..5, created before any profiler attaches (first connect done)."""
    engine = create_engine(db_url)
    METADATA.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(VM), [{"id": i, "name": f"vm{i}"} for i in range(1, 6)])
    yield engine
    engine.dispose()


def _attached(engine: Engine, hooks: HookStyle = "dialect") -> tuple[StatementProfiler, StepClock]:
    clock = StepClock()
    profiler = StatementProfiler(clock, hooks=hooks)
    profiler.attach(engine)
    return profiler, clock


def _by_label(profiler: StatementProfiler) -> dict[str, StatementStats]:
    return {s.label: s for s in profiler.statements()}


def _fetch_all(profiler: StatementProfiler, conn: Connection, statement: Executable) -> int:
    result = conn.execute(statement)
    with profiler.fetching() as tally:
        tally.rows = len(result.all())
    return tally.rows


@pytest.mark.parametrize("hooks", HOOKS)
def test_known_sequence_gives_exact_calls_rows_and_times(engine: Engine, hooks: HookStyle) -> None:
    profiler, clock = _attached(engine, hooks)
    with engine.begin() as conn:
        with profiler.labelled("InsertVm"):
            conn.execute(insert(VM), [{"id": i, "name": "new"} for i in range(10, 15)])
        for vm_id in (1, 2, 3):
            with profiler.labelled("GetVmById"):
                result = conn.execute(select(VM).where(VM.c.id == vm_id))
                with profiler.fetching() as tally:
                    clock.advance(1.0)  # the fetch itself takes a second
                    tally.rows = len(result.all())
        with profiler.labelled("UpdateVmName"):
            conn.execute(update(VM).where(VM.c.id.in_([1, 2])).values(name="renamed"))
        conn.execute(delete(VM).where(VM.c.id == 99))

    stats = _by_label(profiler)
    # Sorted by total self time, ties by label.
    assert list(stats) == ["GetVmById", "InsertVm", "UpdateVmName", "delete vm"]
    get = stats["GetVmById"]
    # Self time per call: execute (one tick) + fetch (one tick + the one second inside).
    assert (get.kind, get.calls, get.rows) == ("read", 3, 3)
    assert (get.total_s, get.mean_s, get.p50_s, get.p95_s, get.p99_s, get.max_s) == (
        4.5,
        1.5,
        1.5,
        1.5,
        1.5,
        1.5,
    )
    assert (stats["InsertVm"].kind, stats["InsertVm"].calls, stats["InsertVm"].rows) == (
        "write",
        1,
        5,
    )
    assert stats["InsertVm"].total_s == TICK
    assert (stats["UpdateVmName"].calls, stats["UpdateVmName"].rows) == (1, 2)
    assert (stats["delete vm"].kind, stats["delete vm"].calls, stats["delete vm"].rows) == (
        "write",
        1,
        0,
    )
    assert profiler.total_calls == 6
    assert profiler.total_time_s == 4.5 + 3 * TICK
    assert get.share == 4.5 / (4.5 + 3 * TICK)
    assert sum(s.share for s in stats.values()) == pytest.approx(1.0)


def test_fetch_time_goes_to_the_statement_just_before(engine: Engine) -> None:
    profiler, clock = _attached(engine)
    with engine.connect() as conn:
        with profiler.labelled("GetVmName"):
            result = conn.execute(select(VM.c.name).where(VM.c.id == 1))
        with profiler.labelled("GetAllVms"):
            conn.execute(select(VM)).all()  # fetched outside fetching(): execute time only
        # The fetch of the first result, after another statement, still lands on the last one.
        with profiler.fetching() as tally:
            clock.advance(2.0)
            tally.rows = len(result.all())
    stats = _by_label(profiler)
    assert (stats["GetVmName"].total_s, stats["GetVmName"].rows) == (TICK, 0)
    assert (stats["GetAllVms"].total_s, stats["GetAllVms"].rows) == (TICK + TICK + 2.0, 1)


def test_fetching_without_a_statement_records_nothing(engine: Engine) -> None:
    profiler, clock = _attached(engine)
    with profiler.fetching() as tally:
        clock.advance(1.0)
        tally.rows = 3
    assert profiler.statements() == []
    assert profiler.total_time_s == 0.0


def test_nested_fetching_blocks_both_count(engine: Engine) -> None:
    profiler, _ = _attached(engine)
    with engine.connect() as conn:
        result = conn.execute(select(VM))
        with profiler.fetching() as outer:
            with profiler.fetching() as inner:
                inner.rows = 2
            outer.rows = 3
        del result
    (stats,) = profiler.statements()
    # execute (1 tick), inner fetch (1 tick), outer fetch (3 ticks: around the inner block)
    assert (stats.rows, stats.total_s) == (5, 5 * TICK)


@pytest.mark.parametrize("hooks", HOOKS)
def test_executemany_is_one_call_with_all_its_rows(engine: Engine, hooks: HookStyle) -> None:
    profiler, _ = _attached(engine, hooks)
    statement = update(VM).where(VM.c.id == bindparam("b_id")).values(name=bindparam("b_name"))
    with engine.begin() as conn, profiler.labelled("UpdateVmNames"):
        conn.execute(statement, [{"b_id": i, "b_name": f"n{i}"} for i in (1, 2, 3, 4)])
    (stats,) = profiler.statements()
    assert (stats.label, stats.calls, stats.rows, stats.total_s) == ("UpdateVmNames", 1, 4, TICK)


@pytest.mark.parametrize("hooks", HOOKS)
def test_insertmanyvalues_counts_each_batch_and_every_row_once(
    engine: Engine, hooks: HookStyle
) -> None:
    profiler, _ = _attached(engine, hooks)
    statement = insert(VM).returning(VM.c.id).execution_options(insertmanyvalues_page_size=2)
    with engine.begin() as conn, profiler.labelled("InsertVms"):
        result = conn.execute(statement, [{"id": i, "name": "x"} for i in range(20, 25)])
        with profiler.fetching() as tally:  # RETURNING rows, already counted as written
            tally.rows = len(result.all())
    (stats,) = profiler.statements()
    # Batches of 2, 2 and 1 rows: three different texts, one normalized statement.
    assert (stats.calls, stats.rows, stats.kind) == (3, 5, "write")
    assert stats.sql.startswith("INSERT INTO vm (id, name) VALUES (")
    assert stats.sql.count("(") == 2  # one column list, one VALUES row


@pytest.mark.parametrize("hooks", HOOKS)
def test_update_returning_counts_its_rows_on_every_backend(
    engine: Engine, hooks: HookStyle
) -> None:
    profiler, _ = _attached(engine, hooks)
    with engine.begin() as conn, profiler.labelled("RenameVms"):
        result = conn.execute(update(VM).where(VM.c.id <= 2).values(name="r").returning(VM.c.id))
        with profiler.fetching() as tally:
            tally.rows = len(result.all())
    (stats,) = profiler.statements()
    assert (stats.calls, stats.rows) == (1, 2)


def test_labels_split_the_same_sql_and_nest(engine: Engine) -> None:
    profiler, _ = _attached(engine)
    statement = select(VM).where(VM.c.id == 1)
    with engine.connect() as conn:
        with profiler.labelled("GetVmForMonitoring"):
            conn.execute(statement).all()
            with profiler.labelled("GetVmForCommand"):
                conn.execute(statement).all()
            conn.execute(statement).all()  # the outer label is back
        conn.execute(statement).all()  # and then none
    calls = {s.label: s.calls for s in profiler.statements()}
    assert calls == {"GetVmForMonitoring": 2, "GetVmForCommand": 1, "select vm": 1}
    assert len({s.sql for s in profiler.statements()}) == 1


def test_unlabelled_statements_get_short_derived_names(engine: Engine) -> None:
    profiler, _ = _attached(engine)
    with engine.begin() as conn:
        conn.execute(text("select 1")).all()
        conn.exec_driver_sql("select 1").all()  # no parameters: do_execute_no_params
        conn.execute(select(VM.c.name).where(VM.c.id == 2)).all()
        conn.execute(insert(VM).values(id=30, name="x"))
        conn.execute(update(VM).where(VM.c.id == 30).values(name="y"))
    stats = _by_label(profiler)
    assert {label: (st.kind, st.calls) for label, st in stats.items()} == {
        "select 1": ("read", 2),
        "select vm": ("read", 1),
        "insert vm": ("write", 1),
        "update vm": ("write", 1),
    }
    assert stats["select 1"].sql == "select ?"


def test_values_and_in_list_lengths_make_one_entry(engine: Engine) -> None:
    profiler, _ = _attached(engine)
    with engine.connect() as conn, profiler.labelled("GetVmsByIds"):
        for ids in ([1], [1, 2, 3], [1, 2, 3, 4, 5, 6, 7]):
            _fetch_all(profiler, conn, select(VM.c.id).where(VM.c.id.in_(ids)))
        for literal in ("'vm1'", "'vm2'"):
            conn.execute(text(f"SELECT id FROM vm WHERE name = {literal}")).all()
    stats = profiler.statements()
    assert [(s.calls, s.rows) for s in stats] == [(3, 9), (2, 0)]
    assert stats[0].sql == "SELECT vm.id FROM vm WHERE vm.id IN (...)"
    assert stats[1].sql == "SELECT id FROM vm WHERE name = ?"


def _run_in_turns(workers: list[Callable[[int], None]], phases: int) -> None:
    """Run each worker on its own thread; in phase p only worker p % len(workers) acts."""
    barrier = threading.Barrier(len(workers), timeout=60)
    errors: list[BaseException] = []

    def run(index: int, work: Callable[[int], None]) -> None:
        try:
            for phase in range(phases):
                if phase % len(workers) == index:
                    work(phase)
                barrier.wait()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]


def test_activity_attributes_each_threads_statements_to_its_own_tally(engine: Engine) -> None:
    profiler, _ = _attached(engine)
    tallies: dict[str, ActivityTally] = {}

    def monitoring(phase: int) -> None:
        with engine.connect() as conn, profiler.activity() as tally:
            tallies[f"monitoring{phase}"] = tally
            if phase == 0:
                with profiler.labelled("GetVmById"):
                    _fetch_all(profiler, conn, select(VM).where(VM.c.id == 1))
            with profiler.labelled("UpdateVmName"):
                conn.execute(update(VM).where(VM.c.id == 1).values(name=f"p{phase}"))
            conn.commit()

    def command(phase: int) -> None:
        with engine.connect() as conn, profiler.activity() as tally:
            tallies[f"command{phase}"] = tally
            with profiler.labelled("GetVmsByIds"):
                _fetch_all(profiler, conn, select(VM).where(VM.c.id.in_([1, 2, 3])))
                _fetch_all(profiler, conn, select(VM).where(VM.c.id.in_([4, 5])))

    _run_in_turns([monitoring, command], phases=4)

    with engine.connect() as conn:  # outside any activity: counted by the profiler only
        conn.execute(select(VM)).all()

    first = tallies["monitoring0"]
    assert (first.statements, first.rows_read, first.rows_written) == (2, 1, 1)
    assert first.calls == {"GetVmById": 1, "UpdateVmName": 1}
    assert first.db_time_s == 3 * TICK  # select, its fetch, update
    second = tallies["monitoring2"]
    assert (second.statements, second.rows_read, second.rows_written) == (1, 0, 1)
    assert second.calls == {"UpdateVmName": 1}
    assert second.db_time_s == TICK
    for name in ("command1", "command3"):
        tally = tallies[name]
        assert (tally.statements, tally.rows_read, tally.rows_written) == (2, 5, 0)
        assert tally.calls == {"GetVmsByIds": 2}
        assert tally.db_time_s == 4 * TICK  # two executes and two fetches
    calls = {s.label: (s.calls, s.rows) for s in profiler.statements()}
    assert calls == {
        "GetVmById": (1, 1),
        "UpdateVmName": (2, 2),
        "GetVmsByIds": (4, 10),
        "select vm": (1, 0),
    }


def test_concurrent_threads_lose_no_statement(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    METADATA.create_all(engine)
    profiler = StatementProfiler()
    profiler.attach(engine)
    threads_n, per_thread = 4, 200
    start = threading.Barrier(threads_n, timeout=60)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            with engine.connect() as conn:
                for _ in range(per_thread):
                    with profiler.labelled("GetVms"):
                        _fetch_all(profiler, conn, select(VM))
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    engine.dispose()
    assert not errors
    (stats,) = profiler.statements()
    assert stats.calls == threads_n * per_thread == profiler.total_calls


def test_detach_stops_recording_and_attach_moves_to_another_engine(
    sqlite_url: str, tmp_path: Path
) -> None:
    first = create_engine(sqlite_url)
    second = create_engine(f"sqlite:///{tmp_path / 'second.db'}")
    profiler = StatementProfiler()
    profiler.attach(first)
    attached = profiler.engine
    assert attached is first
    with pytest.raises(RuntimeError, match="already attached"):
        profiler.attach(second)
    with first.connect() as conn:
        conn.execute(text("SELECT 1")).all()
    profiler.detach()
    profiler.detach()  # idempotent
    assert profiler.engine is None
    with first.connect() as conn:
        result = conn.execute(text("SELECT 2"))
        with profiler.fetching() as tally:
            tally.rows = len(result.all())
    assert profiler.total_calls == 1
    assert profiler.statements()[0].rows == 0

    profiler.attach(second)
    with first.connect() as conn:
        conn.execute(text("SELECT 3")).all()
    with second.connect() as conn:
        conn.execute(text("SELECT name FROM sqlite_master")).all()
    assert {s.label: s.calls for s in profiler.statements()} == {
        "select 1": 1,
        "select sqlite_master": 1,
    }
    profiler.detach()
    first.dispose()
    second.dispose()


def test_reset_forgets_everything_and_keeps_listening(engine: Engine) -> None:
    profiler, _ = _attached(engine)
    with engine.connect() as conn:
        result = conn.execute(select(VM))
        profiler.reset()
        with profiler.fetching() as tally:  # belongs to a statement reset() dropped
            tally.rows = len(result.all())
        assert profiler.statements() == []
        assert (profiler.total_calls, profiler.total_time_s) == (0, 0.0)
        with profiler.labelled("GetVms"):
            conn.execute(select(VM)).all()
    assert [(s.label, s.calls) for s in profiler.statements()] == [("GetVms", 1)]


@pytest.mark.parametrize("hooks", HOOKS)
def test_a_failed_statement_is_not_recorded_and_takes_no_fetch(
    engine: Engine, hooks: HookStyle
) -> None:
    profiler, clock = _attached(engine, hooks)
    with engine.connect() as conn:
        conn.execute(select(VM.c.id).where(VM.c.id == 1)).all()
        with pytest.raises(DBAPIError):
            conn.execute(text("SELECT no_such_column FROM vm"))
        with profiler.fetching():
            clock.advance(5.0)
    (stats,) = profiler.statements()
    assert (stats.label, stats.calls, stats.total_s) == ("select vm", 1, TICK)


def test_percentiles_come_from_every_call(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    METADATA.create_all(engine)
    profiler, clock = _attached(engine)
    with engine.connect() as conn, profiler.labelled("GetVms"):
        for extra in range(100):  # fetch times 0..99 s on top of two ticks
            result = conn.execute(select(VM))
            with profiler.fetching():
                clock.advance(float(extra))
                result.all()
    (stats,) = profiler.statements()
    assert stats.calls == 100
    assert stats.max_s == 99.5
    assert stats.p50_s == pytest.approx(49.5 + 0.5)
    assert stats.p95_s == pytest.approx(94.05 + 0.5)
    assert stats.p99_s == pytest.approx(98.01 + 0.5)
    assert stats.mean_s == pytest.approx(50.0)
    engine.dispose()
