"""The DAO's driver path against the raw driver, and the profiler's cost on it (SQLite, 6000 VMs).

Measure with `python -m pytest tests/bench/test_driver_path_bench.py --benchmark-enable -s`:

- group `point-read`: one primary-key read of a `vm_dynamic` row, by the raw `sqlite3` cursor
  and through `DbSession.fetch` (profiled, tuples); the same as a record (column -> value), by
  hand from the raw cursor and through `MonitoringDao.get_vm_dynamic_by_guid`;
- group `statistics-batch`: 6000 `vm_statistics` rows updated by one raw `executemany` of
  ready tuples, and by `MonitoringDao.update_vm_statistics` from the analysis' row mappings;
- `test_driver_path_profiler_overhead_ratio` prints the wall-time ratio of a statistics cycle's
  database work with and without the profiler, over interleaved pairs.

With the default `--benchmark-disable` every test runs once and checks what it did.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from sqlalchemy.dialects import sqlite

from vmmonbench import inventory
from vmmonbench.db import dao
from vmmonbench.db.database import Database, DbSession, copy_sqlite_file, parse_url
from vmmonbench.db.population import PopulationSpec, populate
from vmmonbench.db.profiler import StatementProfiler
from vmmonbench.db.schema import create_schema
from vmmonbench.monitor.gcpause import GC_PAUSE

VMS = 6000
SEED = 17
SPEC = PopulationSpec(seed=SEED, hosts=1, vms=VMS, vnics=2, disks=1)
COLUMNS = dao.statistics_columns(guest_memory=True, history=False)
PAIRS_WHEN_ENABLED = 15
BATCH_ROUNDS = 25
NOW = datetime(2016, 7, 25, 9, 0, tzinfo=UTC)
SQLITE = sqlite.dialect()  # the statement texts the raw cursor runs are the DAO's own


@dataclass(frozen=True, slots=True)
class BenchDatabase:
    """A populated SQLite file and the ids of what is in it."""

    path: Path
    vm_ids: tuple[str, ...]
    nic_ids: tuple[str, ...]
    disks: tuple[tuple[str, str], ...]  # (disk id, VM id)


@pytest.fixture(scope="module")
def bench_db(tmp_path_factory: pytest.TempPathFactory) -> BenchDatabase:
    """6000 VMs with 2 vNICs and a disk each, populated once."""
    path = tmp_path_factory.mktemp("driver-path") / "bench.db"
    plain = Database(parse_url(f"sqlite:///{path}"))
    create_schema(plain.engine)
    populate(plain.engine, SPEC)
    plain.close()
    host = inventory.host_spec(SEED, 0, VMS, SPEC.vnics, SPEC.disks)
    return BenchDatabase(
        path,
        tuple(vm.id for vm in host.vms),
        tuple(nic.id for vm in host.vms for nic in vm.nics),
        tuple((disk.disk_id, vm.id) for vm in host.vms for disk in vm.disks),
    )


@pytest.fixture
def bench_file(bench_db: BenchDatabase, tmp_path: Path) -> Path:
    """A fresh copy of the populated file per test: none runs on another's writes (its WAL)."""
    path = tmp_path / "bench.db"
    copy_sqlite_file(bench_db.path, path)
    return path


@pytest.fixture
def profiled(bench_file: Path) -> Iterator[Database]:
    """The database as monitoring uses it: profiled, no checkout validation (4.1)."""
    database = Database(
        parse_url(f"sqlite:///{bench_file}"),
        profiler=StatementProfiler(),
        validate_on_checkout=False,
    )
    yield database
    database.close()


@pytest.fixture
def raw_cursor(bench_file: Path) -> Iterator[sqlite3.Cursor]:
    """A plain sqlite3 cursor on the same file, synced as the DAO's connections are."""
    connection = sqlite3.connect(bench_file)
    connection.execute("PRAGMA synchronous=NORMAL")
    yield connection.cursor()
    connection.close()


def _round_robin(values: tuple[str, ...]) -> Iterator[str]:
    while True:
        yield from values


@pytest.mark.benchmark(group="point-read")
def test_point_read_raw_driver(
    benchmark: BenchmarkFixture, bench_db: BenchDatabase, raw_cursor: sqlite3.Cursor
) -> None:
    sql = dao.statements_for(SQLITE).vm_dynamic_by_guid.sql
    ids = _round_robin(bench_db.vm_ids)

    def read() -> list[Any]:
        raw_cursor.execute(sql, (next(ids),))
        return raw_cursor.fetchall()

    rows = benchmark(read)
    assert len(rows) == 1


@pytest.mark.benchmark(group="point-read")
def test_point_read_driver_path(
    benchmark: BenchmarkFixture, bench_db: BenchDatabase, profiled: Database
) -> None:
    statement = dao.statements_for(profiled.engine.dialect).vm_dynamic_by_guid
    ids = _round_robin(bench_db.vm_ids)
    with profiled.session() as session:
        rows = benchmark(lambda: session.fetch(statement, (next(ids),)))
    assert len(rows) == 1
    assert profiled.profiler is not None
    [stats] = profiled.profiler.statements()
    assert stats.label == dao.GET_VM_DYNAMIC_BY_VM_GUID
    assert stats.rows == stats.calls


@pytest.mark.benchmark(group="point-read")
def test_point_read_record_raw_driver(
    benchmark: BenchmarkFixture, bench_db: BenchDatabase, raw_cursor: sqlite3.Cursor
) -> None:
    sql = dao.statements_for(SQLITE).vm_dynamic_by_guid.sql
    ids = _round_robin(bench_db.vm_ids)

    def read() -> dict[str, Any]:
        raw_cursor.execute(sql, (next(ids),))
        names = [column[0] for column in raw_cursor.description]
        return dict(zip(names, raw_cursor.fetchall()[0], strict=True))

    record = benchmark(read)
    assert record["vm_guid"] in bench_db.vm_ids


@pytest.mark.benchmark(group="point-read")
def test_point_read_record_dao(
    benchmark: BenchmarkFixture, bench_db: BenchDatabase, profiled: Database
) -> None:
    ids = _round_robin(bench_db.vm_ids)
    with profiled.session() as session:
        access = dao.MonitoringDao(session)
        record = benchmark(lambda: access.get_vm_dynamic_by_guid(next(ids)))
    assert record is not None
    assert record["vm_guid"] in bench_db.vm_ids


def _statistics_rows(vm_ids: tuple[str, ...], seed: int) -> list[dict[str, Any]]:
    rows = []
    for index, vm_id in enumerate(vm_ids):
        row: dict[str, Any] = dict.fromkeys(COLUMNS, (seed * 7 + index) % 97)
        row["disks_usage"] = f"[{seed}]"
        row["b_vm_guid"] = vm_id
        rows.append(row)
    return rows


@pytest.mark.benchmark(group="statistics-batch")
def test_statistics_batch_raw_executemany(
    benchmark: BenchmarkFixture, bench_db: BenchDatabase, raw_cursor: sqlite3.Cursor
) -> None:
    statement = dao.statements_for(SQLITE).update_vm_statistics(COLUMNS)
    seeds = iter(range(1, 1_000_000))

    def setup() -> tuple[tuple[list[tuple[Any, ...]]], dict[str, Any]]:
        rows = _statistics_rows(bench_db.vm_ids, next(seeds))
        return ([statement.args(row) for row in rows],), {}

    def write(args: list[tuple[Any, ...]]) -> int:
        with GC_PAUSE:  # as a cycle saves its batches
            raw_cursor.executemany(statement.sql, args)
            raw_cursor.connection.commit()
        return raw_cursor.rowcount

    assert benchmark.pedantic(write, setup=setup, rounds=BATCH_ROUNDS, warmup_rounds=1) == VMS


@pytest.mark.benchmark(group="statistics-batch")
def test_statistics_batch_dao(
    benchmark: BenchmarkFixture, bench_db: BenchDatabase, profiled: Database
) -> None:
    seeds = iter(range(1, 1_000_000))
    with profiled.session() as session:
        access = dao.MonitoringDao(session)

        def setup() -> tuple[tuple[list[dict[str, Any]]], dict[str, Any]]:
            return (_statistics_rows(bench_db.vm_ids, next(seeds)),), {}

        def write(rows: list[dict[str, Any]]) -> int:
            # a cycle saves with the collector paused: its row tuples set off no collection
            with GC_PAUSE:
                written = access.update_vm_statistics(rows, COLUMNS)
                session.commit()
            return written

        rounds = BATCH_ROUNDS
        assert benchmark.pedantic(write, setup=setup, rounds=rounds, warmup_rounds=1) == VMS


@dataclass(frozen=True, slots=True)
class CycleWrites:
    """A 4.1 statistics cycle's batches, built before the timed part."""

    statistics: list[dict[str, Any]]
    nics: list[dict[str, Any]]
    disks: list[dict[str, Any]]


def _cycle_writes(bench_db: BenchDatabase, seed: int, session: DbSession) -> CycleWrites:
    now = session.timestamp(NOW)
    nic_base = dict.fromkeys(dao.NIC_STATISTICS_COLUMNS, seed) | {"_update_date": now}
    disk_base = dict.fromkeys(dao.DISK_DYNAMIC_COLUMNS, seed) | {"_update_date": now}
    return CycleWrites(
        statistics=_statistics_rows(bench_db.vm_ids, seed),
        nics=[nic_base | {"b_id": nic_id} for nic_id in bench_db.nic_ids],
        disks=[disk_base | {"b_disk_id": d, "b_vm_id": vm} for d, vm in bench_db.disks],
    )


def _cycle(session: DbSession, vm_ids: tuple[str, ...], writes: CycleWrites) -> None:
    """The database work of a 4.1 statistics cycle: per-VM NIC reads, then the batches."""
    access = dao.MonitoringDao(session)
    for vm_id in vm_ids:
        access.get_vm_nic_to_monitor(vm_id)
    access.update_vm_statistics(writes.statistics, COLUMNS)
    access.update_vm_nic_statistics(writes.nics)
    access.update_disk_dynamic(writes.disks)
    session.commit()


@pytest.mark.benchmark(group="driver-path-profiler-overhead")
def test_driver_path_profiler_overhead_ratio(
    benchmark: BenchmarkFixture,
    bench_db: BenchDatabase,
    profiled: Database,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Wall time of the profiled cycle over the plain one, interleaved to share the noise."""
    plain = Database(parse_url(f"sqlite:///{bench_db.path}"), validate_on_checkout=False)
    pairs = 1 if benchmark.disabled else PAIRS_WHEN_ENABLED
    warmup = 0 if benchmark.disabled else 1
    seeds = iter(range(1, 1_000_000))
    without: list[float] = []
    with_profiler: list[float] = []

    def measure() -> float:
        with plain.session() as plain_session, profiled.session() as profiled_session:
            for pair in range(warmup + pairs):
                plain_writes = _cycle_writes(bench_db, next(seeds), plain_session)
                profiled_writes = _cycle_writes(bench_db, next(seeds), profiled_session)
                # Each connection's writes empty the other's page cache: alternate who goes
                # first, so neither side always runs on the colder cache.
                runs = [(plain_session, plain_writes), (profiled_session, profiled_writes)]
                if pair % 2:
                    runs.reverse()
                times = {}
                for session, writes in runs:
                    started = time.perf_counter()
                    _cycle(session, bench_db.vm_ids, writes)
                    times[session is profiled_session] = time.perf_counter() - started
                if pair >= warmup:
                    without.append(times[False])
                    with_profiler.append(times[True])
        return statistics.median(with_profiler) / statistics.median(without)

    try:
        ratio: float = benchmark.pedantic(measure, rounds=1, iterations=1)
    finally:
        plain.close()
    assert profiled.profiler is not None
    counted = {s.label: (s.calls, s.rows) for s in profiled.profiler.statements()}
    cycles = warmup + pairs
    assert counted == {
        dao.GET_VM_NIC_TO_MONITOR: (cycles * VMS, cycles * len(bench_db.nic_ids)),
        dao.UPDATE_VM_STATISTICS: (cycles, cycles * VMS),
        dao.UPDATE_VM_NIC_STATISTICS: (cycles, cycles * len(bench_db.nic_ids)),
        dao.UPDATE_DISK_DYNAMIC: (cycles, cycles * len(bench_db.disks)),
    }
    if benchmark.disabled:
        return
    pairwise = statistics.median(w / o for w, o in zip(with_profiler, without, strict=True))
    benchmark.extra_info.update(
        {"pairs": pairs, "ratio_of_medians": ratio, "median_pairwise_ratio": pairwise}
    )
    with capsys.disabled():
        print(
            f"\ndriver-path profiler overhead ({pairs} interleaved pairs): with/without = "
            f"{ratio:.3f} (median pairwise {pairwise:.3f}); without "
            f"{statistics.median(without) * 1000:.0f} ms, with "
            f"{statistics.median(with_profiler) * 1000:.0f} ms per cycle"
        )
