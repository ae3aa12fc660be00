"""From raw samples to headline figures: per-configuration summary and command waits."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from vmmonbench.db import dao
from vmmonbench.db.floor import FloorWrite
from vmmonbench.monitor.commands import CommandSample
from vmmonbench.monitor.persistence_rules import PersistenceRules
from vmmonbench.monitor.samples import CycleKind, CycleSample
from vmmonbench.results import RunSummary
from vmmonbench.sample_stats import summarize


def summarize_commands(commands: Sequence[CommandSample]) -> dict[str, Any]:
    """Count, failures, lock-wait percentiles, per-kind counts and the raw waits."""
    waits = [c.wait_s for c in commands]
    summary = summarize(waits)
    return {
        "count": len(commands),
        "failed": sum(1 for c in commands if c.failed),
        "wait_p50_s": summary.p50,
        "wait_p95_s": summary.p95,
        "wait_p99_s": summary.p99,
        "wait_max_s": summary.max,
        "wait_mean_s": summary.mean,
        "by_kind": dict(Counter(c.kind for c in commands)),
        "waits_s": [round(w, 6) for w in waits],
        "errors": sorted({c.failed for c in commands if c.failed})[:10],
    }


def effective_stats_period(samples: Sequence[CycleSample]) -> float | None:
    """Mean time between consecutive statistics-cycle starts of a host (processing + delay)."""
    starts: dict[int, list[float]] = defaultdict(list)
    for sample in samples:
        if sample.kind == CycleKind.STATS:
            starts[sample.host].append(sample.start_s)
    gaps = [
        b - a
        for host_starts in starts.values()
        for a, b in zip(sorted(host_starts), sorted(host_starts)[1:], strict=False)
    ]
    return sum(gaps) / len(gaps) if gaps else None


def summarize_run(
    samples: Sequence[CycleSample],
    *,
    simulated_s: float,
    hosts: int,
    db_time_s: float,
    statements: int,
    command_wait_p99_s: float,
    counters: dict[str, int],
) -> RunSummary:
    """The RunSummary of one configuration from its raw cycle samples."""
    done = [s for s in samples if not s.skipped and not s.failed]
    stats = [s for s in done if s.kind == CycleKind.STATS]
    busy = sum(s.duration_s for s in samples)
    cycles = Counter(s.kind for s in done)
    return RunSummary(
        simulated_s=simulated_s,
        hosts=hosts,
        cycles={kind.value: cycles.get(kind.value, 0) for kind in CycleKind},
        # every attempted cycle counts for the period: a failed one still took its turn
        effective_stats_period_s=effective_stats_period(samples),
        stats_cycle_s=_mean([s.duration_s for s in stats]),
        busy_s=busy,
        utilization=busy / (simulated_s * hosts) if simulated_s > 0 else 0.0,
        db_time_s=db_time_s,
        monitoring_db_time_s=sum(s.db_time_s for s in samples),
        db_time_per_stats_cycle_s=_mean([s.db_time_s for s in stats]),
        statements=statements,
        statements_per_stats_cycle=_mean([float(s.statements) for s in stats]),
        rows_written=sum(s.rows_written for s in samples),
        rows_written_per_stats_cycle=_mean([float(s.rows_written) for s in stats]),
        rpc_calls=sum(s.rpc_calls for s in samples),
        rpc_bytes=sum(s.rpc_bytes for s in samples),
        vms_skipped=sum(s.vms_skipped for s in samples),
        cycles_skipped=sum(1 for s in samples if s.skipped and s.kind != CycleKind.EVENT),
        failed_cycles=sum(1 for s in samples if s.failed),
        events_received=counters.get("events_received", 0),
        events_ignored=counters.get("events_ignored", 0),
        vms_lost=counters.get("vms_lost", 0),
        reconnects=counters.get("reconnects", 0),
        command_wait_p99_s=command_wait_p99_s,
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


FLOOR_TABLES: dict[str, tuple[str, str]] = {
    dao.UPDATE_VM_DYNAMIC: ("vm_dynamic", "vm_guid"),
    dao.UPDATE_VM_STATISTICS: ("vm_statistics", "vm_guid"),
    dao.UPDATE_VM_NIC_STATISTICS: ("vm_interface_statistics", "id"),
    dao.UPDATE_DISK_DYNAMIC: ("disk_image_dynamic", "image_id"),
}
CYCLE_WRITE_LABELS = (
    *FLOOR_TABLES,
    dao.DELETE_GUEST_NICS_BY_VM,
    dao.DELETE_GUEST_NICS_BY_VMS,
    dao.INSERT_GUEST_NIC,
)


def floor_writes(
    rules: PersistenceRules, statements: Sequence[dict[str, Any]], stats_cycles: int
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
        label = statement["label"]
        if label in FLOOR_TABLES:
            rows[label] += int(statement["rows"])
        if label in CYCLE_WRITE_LABELS:
            write_s += float(statement["total_s"])
    writes = [
        FloorWrite(table, key, columns[label], rows[label] // stats_cycles)
        for label, (table, key) in FLOOR_TABLES.items()
        if rows[label] // stats_cycles > 0
    ]
    return writes, write_s / stats_cycles
