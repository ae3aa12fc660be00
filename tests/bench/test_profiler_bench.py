"""Profiler overhead on a 6000-VM statistics-cycle write set, on SQLite, in one process.

Run the measurement with `python -m pytest tests/bench/test_profiler_bench.py
--benchmark-enable -s`: the overhead tests print the with/without wall-time ratio and store
it in the benchmark's extra_info. With the default `--benchmark-disable` every test runs one
cycle, checking what the profiler counts but not timing anything.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from sqlalchemy import (
    BindParameter,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Update,
    bindparam,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection

from vmmonbench.db.profiler import HookStyle, StatementProfiler
from vmmonbench.db.vmsteps import STEPS_KEY, count_steps

VMS = 6000
NICS_PER_VM = 2
DISKS_PER_VM = 1
PAIRS_WHEN_ENABLED = 15  # interleaved without/with cycles for the ratio

METADATA = MetaData()
# The 3.6 vm_statistics row: 10 numbers and 3 text history columns besides the key.
VM_STATISTICS = Table(
    "vm_statistics",
    METADATA,
    Column("vm_guid", Integer, primary_key=True, autoincrement=False),
    *(Column(f"counter_{i}", Float) for i in range(10)),
    *(Column(f"history_{i}", String) for i in range(3)),
)
VM_INTERFACE_STATISTICS = Table(
    "vm_interface_statistics",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("vm_id", Integer, nullable=False),
    *(Column(f"counter_{i}", Float) for i in range(11)),
)
DISK_IMAGE_DYNAMIC = Table(
    "disk_image_dynamic",
    METADATA,
    Column("image_id", Integer, primary_key=True, autoincrement=False),
    *(Column(f"counter_{i}", Float) for i in range(7)),
)


def _batch_update(table: Table, key: str) -> Update:
    """One prepared UPDATE per table, executed for many rows: the engine's JDBC batch."""
    values: dict[str, BindParameter[Any]] = {
        c.name: bindparam(f"b_{c.name}")
        for c in table.columns
        if c.name.startswith(("counter", "history"))
    }
    return update(table).where(table.c[key] == bindparam("b_key")).values(values)


UPDATE_STATISTICS = _batch_update(VM_STATISTICS, "vm_guid")
UPDATE_NICS = _batch_update(VM_INTERFACE_STATISTICS, "id")
UPDATE_DISKS = _batch_update(DISK_IMAGE_DYNAMIC, "image_id")
GET_STATISTICS = select(VM_STATISTICS).where(VM_STATISTICS.c.vm_guid == bindparam("vm_guid"))


@dataclass(frozen=True, slots=True)
class WriteSet:
    """The parameter sets of one statistics cycle (built outside the timed part)."""

    statistics: list[dict[str, Any]]
    nics: list[dict[str, Any]]
    disks: list[dict[str, Any]]


def _update_rows(table: Table, count: int, seed: int) -> list[dict[str, Any]]:
    """Parameter sets for `_batch_update(table)`: new values for every row, as each cycle."""
    rows = []
    for key in range(count):
        row: dict[str, Any] = {"b_key": key}
        for column in table.columns:
            if column.name.startswith("counter"):
                row[f"b_{column.name}"] = float(seed * 7 + key % 97)
            elif column.name.startswith("history"):
                row[f"b_{column.name}"] = f"{seed},{key % 13},{seed + 1}"
        rows.append(row)
    return rows


def _write_set(seed: int) -> WriteSet:
    return WriteSet(
        statistics=_update_rows(VM_STATISTICS, VMS, seed),
        nics=_update_rows(VM_INTERFACE_STATISTICS, VMS * NICS_PER_VM, seed),
        disks=_update_rows(DISK_IMAGE_DYNAMIC, VMS * DISKS_PER_VM, seed),
    )


def _initial_rows(table: Table, count: int) -> list[dict[str, Any]]:
    return [
        {
            c.name: (key if c.primary_key else 0 if c.name == "vm_id" else None)
            for c in table.columns
        }
        for key in range(count)
    ]


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with 6000 VMs' statistics, 12000 vNICs and 6000 disks."""
    path: Path = tmp_path_factory.mktemp("profiler-bench") / "bench.db"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    METADATA.create_all(engine)

    with engine.begin() as conn:
        conn.execute(insert(VM_STATISTICS), _initial_rows(VM_STATISTICS, VMS))
        nics = _initial_rows(VM_INTERFACE_STATISTICS, VMS * NICS_PER_VM)
        for nic in nics:
            nic["vm_id"] = nic["id"] // NICS_PER_VM
        conn.execute(insert(VM_INTERFACE_STATISTICS), nics)
        conn.execute(
            insert(DISK_IMAGE_DYNAMIC), _initial_rows(DISK_IMAGE_DYNAMIC, VMS * DISKS_PER_VM)
        )
    engine.dispose()
    return url


@pytest.fixture
def engines(database_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on the one file: one never profiled, one for the profiler."""
    plain, profiled = create_engine(database_url), create_engine(database_url)
    yield plain, profiled
    plain.dispose()
    profiled.dispose()


def _cycle(conn: Connection, write_set: WriteSet) -> None:
    """The statistics cycle's database work with no profiler in sight."""
    conn.execute(UPDATE_STATISTICS, write_set.statistics)
    conn.execute(UPDATE_NICS, write_set.nics)
    conn.execute(UPDATE_DISKS, write_set.disks)
    for vm_guid in range(VMS):
        conn.execute(GET_STATISTICS, {"vm_guid": vm_guid}).all()
    conn.commit()


def _profiled_cycle(conn: Connection, write_set: WriteSet, profiler: StatementProfiler) -> None:
    """The same work as a DAO would do it: a label per statement, every fetch timed."""
    with profiler.labelled("UpdateVmStatistics"):
        conn.execute(UPDATE_STATISTICS, write_set.statistics)
    with profiler.labelled("UpdateVmInterfaceStatistics"):
        conn.execute(UPDATE_NICS, write_set.nics)
    with profiler.labelled("UpdateDiskImageDynamic"):
        conn.execute(UPDATE_DISKS, write_set.disks)
    for vm_guid in range(VMS):
        with profiler.labelled("GetVmStatisticsByVmGuid"):
            result = conn.execute(GET_STATISTICS, {"vm_guid": vm_guid})
            with profiler.fetching() as tally:
                tally.rows = len(result.all())
    conn.commit()


def _assert_counted(profiler: StatementProfiler, cycles: int) -> None:
    counted = {s.label: (s.calls, s.rows) for s in profiler.statements()}
    assert counted == {
        "UpdateVmStatistics": (cycles, cycles * VMS),
        "UpdateVmInterfaceStatistics": (cycles, cycles * VMS * NICS_PER_VM),
        "UpdateDiskImageDynamic": (cycles, cycles * VMS * DISKS_PER_VM),
        "GetVmStatisticsByVmGuid": (cycles * VMS, cycles * VMS),
    }


def _interleave(
    baseline: Callable[[WriteSet], None],
    candidate: Callable[[WriteSet], None],
    seeds: Iterator[int],
    *,
    warmup: int,
    pairs: int,
    into: tuple[list[float], list[float]],
) -> None:
    """Time `baseline` then `candidate` on fresh write sets, pair after pair (noise shared);
    the durations after the first `warmup` pairs are appended to `into`."""
    for pair in range(warmup + pairs):
        baseline_set, candidate_set = _write_set(next(seeds)), _write_set(next(seeds))
        started = time.perf_counter()
        baseline(baseline_set)
        middle = time.perf_counter()
        candidate(candidate_set)
        ended = time.perf_counter()
        if pair >= warmup:
            into[0].append(middle - started)
            into[1].append(ended - middle)


def _seeds() -> Iterator[int]:
    seed = 0
    while True:
        seed += 1
        yield seed


@pytest.mark.benchmark(group="statistics-cycle")
def test_statistics_cycle_without_profiler(
    benchmark: BenchmarkFixture, engines: tuple[Engine, Engine]
) -> None:
    plain, _ = engines
    seeds = _seeds()
    with plain.connect() as conn:
        benchmark.pedantic(
            _cycle, setup=lambda: ((conn, _write_set(next(seeds))), {}), rounds=5, warmup_rounds=1
        )


@pytest.mark.parametrize("hooks", ["dialect", "cursor"])
@pytest.mark.benchmark(group="statistics-cycle")
def test_statistics_cycle_with_profiler(
    benchmark: BenchmarkFixture, engines: tuple[Engine, Engine], hooks: HookStyle
) -> None:
    _, profiled = engines
    profiler = StatementProfiler(hooks=hooks)
    profiler.attach(profiled)
    seeds = _seeds()
    with profiled.connect() as conn:
        benchmark.pedantic(
            _profiled_cycle,
            setup=lambda: ((conn, _write_set(next(seeds)), profiler), {}),
            rounds=5,
            warmup_rounds=1,
        )
    profiler.detach()
    _assert_counted(profiler, cycles=next(seeds) - 1)


@pytest.mark.parametrize("hooks", ["dialect", "cursor"])
@pytest.mark.benchmark(group="profiler-overhead")
def test_profiler_overhead_ratio(
    benchmark: BenchmarkFixture,
    engines: tuple[Engine, Engine],
    hooks: HookStyle,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Wall time of the profiled cycle over the plain one, interleaved to share the noise."""
    plain, profiled = engines
    profiler = StatementProfiler(hooks=hooks)
    profiler.attach(profiled)
    pairs = 1 if benchmark.disabled else PAIRS_WHEN_ENABLED
    warmup = 0 if benchmark.disabled else 1  # a first pair warms both up and is not counted
    seeds = _seeds()
    without: list[float] = []
    with_profiler: list[float] = []

    def measure() -> float:
        with plain.connect() as plain_conn, profiled.connect() as profiled_conn:
            _interleave(
                lambda write_set: _cycle(plain_conn, write_set),
                lambda write_set: _profiled_cycle(profiled_conn, write_set, profiler),
                seeds,
                warmup=warmup,
                pairs=pairs,
                into=(without, with_profiler),
            )
        return statistics.median(with_profiler) / statistics.median(without)

    ratio: float = benchmark.pedantic(measure, rounds=1, iterations=1)
    profiler.detach()
    _assert_counted(profiler, cycles=warmup + pairs)
    if benchmark.disabled:
        return
    pairwise = statistics.median(w / o for w, o in zip(with_profiler, without, strict=True))
    benchmark.extra_info.update(
        {
            "hooks": hooks,
            "pairs": pairs,
            "ratio_of_medians": ratio,
            "median_pairwise_ratio": pairwise,
            "without_median_s": statistics.median(without),
            "with_median_s": statistics.median(with_profiler),
        }
    )
    with capsys.disabled():
        print(
            f"\nprofiler overhead ({hooks} hooks, {pairs} interleaved pairs): "
            f"with/without = {ratio:.3f} (median pairwise {pairwise:.3f}); "
            f"without {statistics.median(without) * 1000:.0f} ms, "
            f"with {statistics.median(with_profiler) * 1000:.0f} ms per cycle"
        )


@pytest.mark.benchmark(group="profiler-overhead")
def test_sqlite_vm_steps_overhead_ratio(
    benchmark: BenchmarkFixture, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Wall time of the cycle with SQLite's VM steps counted (`run --sqlite-steps`) over without."""
    plain, stepped = create_engine(database_url), create_engine(database_url)
    event.listen(stepped, "connect", count_steps)
    pairs = 1 if benchmark.disabled else PAIRS_WHEN_ENABLED
    warmup = 0 if benchmark.disabled else 1
    seeds = _seeds()
    without: list[float] = []
    with_steps: list[float] = []

    def measure() -> float:
        with plain.connect() as plain_conn, stepped.connect() as stepped_conn:
            _interleave(
                lambda write_set: _cycle(plain_conn, write_set),
                lambda write_set: _cycle(stepped_conn, write_set),
                seeds,
                warmup=warmup,
                pairs=pairs,
                into=(without, with_steps),
            )
            counter = stepped_conn.connection.info[STEPS_KEY]
            assert counter.steps > VMS * (warmup + pairs)  # every row of every cycle stepped
        return statistics.median(with_steps) / statistics.median(without)

    ratio: float = benchmark.pedantic(measure, rounds=1, iterations=1)
    plain.dispose()
    stepped.dispose()
    if benchmark.disabled:
        return
    benchmark.extra_info.update({"pairs": pairs, "ratio_of_medians": ratio})
    with capsys.disabled():
        print(
            f"\nSQLite VM steps counted ({pairs} interleaved pairs): with/without = {ratio:.3f}; "
            f"without {statistics.median(without) * 1000:.0f} ms, "
            f"with {statistics.median(with_steps) * 1000:.0f} ms per cycle"
        )
