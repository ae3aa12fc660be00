"""From raw samples to headline figures: per-configuration summary and command waits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from vmmonbench import figures
from vmmonbench.db import dao
from vmmonbench.db.floor import FloorWrite
from vmmonbench.monitor.commands import CommandSample
from vmmonbench.monitor.persistence_rules import PersistenceRules
from vmmonbench.monitor.samples import CycleKind
from vmmonbench.result_records import (
    FLOOR_TABLES,
    CommandWaits,
    CycleCounts,
    CycleRecord,
    RunSummary,
    StatementRecord,
)
from vmmonbench.sample_stats import summarize


def summarize_commands(commands: Sequence[CommandSample]) -> CommandWaits:
    """Count, failures, lock-wait percentiles, per-kind counts and the raw waits."""
    waits = [c.wait_s for c in commands]
    summary = summarize(waits)
    return CommandWaits(
        count=len(commands),
        failed=sum(1 for c in commands if c.failed),
        wait_p50_s=summary.p50,
        wait_p95_s=summary.p95,
        wait_p99_s=summary.p99,
        wait_max_s=summary.max,
        wait_mean_s=summary.mean,
        by_kind=dict(Counter(c.kind for c in commands)),
        waits_s=tuple(round(w, 6) for w in waits),
        errors=tuple(sorted({c.failed for c in commands if c.failed})[:10]),
    )


def summarize_run(
    cycles: Sequence[CycleRecord],
    *,
    simulated_s: float,
    hosts: int,
    db_time_s: float,
    statements: int,
    command_wait_p99_s: float,
    counters: Mapping[str, int],
) -> RunSummary:
    """The RunSummary of one configuration from its raw cycles (derived as `figures` does)."""
    busy = sum(c.duration_s for c in cycles)
    cycle_s, db_per_cycle_s, statements_per_cycle, rows_per_cycle = figures.stats_cycle_means(
        cycles
    )
    return RunSummary(
        simulated_s=simulated_s,
        hosts=hosts,
        cycles=CycleCounts(
            stats=len(figures.completed(cycles, CycleKind.STATS)),
            list=len(figures.completed(cycles, CycleKind.LIST)),
            event=len(figures.completed(cycles, CycleKind.EVENT)),
        ),
        effective_stats_period_s=figures.effective_stats_period(cycles),
        stats_cycle_s=cycle_s,
        busy_s=busy,
        utilization=busy / (simulated_s * hosts) if simulated_s > 0 else 0.0,
        db_time_s=db_time_s,
        monitoring_db_time_s=figures.monitoring_db_time(cycles),
        db_time_per_stats_cycle_s=db_per_cycle_s,
        statements=statements,
        statements_per_stats_cycle=statements_per_cycle,
        rows_written=sum(c.rows_written for c in cycles),
        rows_written_per_stats_cycle=rows_per_cycle,
        rpc_calls=sum(c.rpc_calls for c in cycles),
        rpc_bytes=sum(c.rpc_bytes for c in cycles),
        vms_skipped=sum(c.vms_skipped for c in cycles),
        cycles_skipped=sum(1 for c in cycles if c.skipped and c.kind is not CycleKind.EVENT),
        failed_cycles=sum(1 for c in cycles if c.failed),
        events_received=counters.get("events_received", 0),
        events_ignored=counters.get("events_ignored", 0),
        vms_lost=counters.get("vms_lost", 0),
        reconnects=counters.get("reconnects", 0),
        command_wait_p99_s=command_wait_p99_s,
    )


CYCLE_WRITE_LABELS = (
    *FLOOR_TABLES,
    dao.DELETE_GUEST_NICS_BY_VM,
    dao.DELETE_GUEST_NICS_BY_VMS,
    dao.INSERT_GUEST_NIC,
)


def floor_writes(
    rules: PersistenceRules, statements: Sequence[StatementRecord], stats_cycles: int
) -> tuple[list[FloorWrite], float]:
    """The batch writes of one statistics cycle (rows per cycle, columns as written), and the
    configuration's own write self time per statistics cycle for comparison."""
    if stats_cycles <= 0:
        return [], 0.0
    columns = {
        dao.UPDATE_VM_DYNAMIC: dao.DYNAMIC_COLUMNS,
        dao.UPDATE_VM_STATISTICS: dao.statistics_columns(
            guest_memory=not rules.guest_memory_in_dynamic, history=rules.statistics_history
        ),
        dao.UPDATE_VM_NIC_STATISTICS: dao.NIC_STATISTICS_COLUMNS,
        dao.UPDATE_DISK_DYNAMIC: dao.DISK_DYNAMIC_COLUMNS,
    }
    rows: Counter[str] = Counter()
    write_s = 0.0
    for statement in statements:
        label = statement.label
        if label in FLOOR_TABLES:
            rows[label] += statement.rows
        if label in CYCLE_WRITE_LABELS:
            write_s += statement.total_s
    writes = [
        FloorWrite(table, key, columns[label], rows[label] // stats_cycles)
        for label, (table, key) in FLOOR_TABLES.items()
        if rows[label] // stats_cycles > 0
    ]
    return writes, write_s / stats_cycles
