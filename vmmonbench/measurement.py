"""One configuration measured: fresh database, monitoring core on simulated time, results."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import msgspec

from vmmonbench import procfs
from vmmonbench.configuration import Configuration, FetchMode
from vmmonbench.cpuprofile import ProfilingSession
from vmmonbench.db import pgstat, steady
from vmmonbench.db.database import Database
from vmmonbench.db.floor import measure_floor
from vmmonbench.db.profiler import StatementStats
from vmmonbench.db.work import DbWork
from vmmonbench.freshdb import FreshDatabases
from vmmonbench.monitor.clock import WarpClock
from vmmonbench.monitor.commands import schedule_commands
from vmmonbench.monitor.consistency import ConsistencyReport, check_consistency
from vmmonbench.monitor.core import MonitoringCore
from vmmonbench.monitor.gcpause import GC_PAUSE
from vmmonbench.monitor.host_monitor import MonitoredHost
from vmmonbench.monitor.hostclient import HostCallError, HostClient
from vmmonbench.monitor.samples import CycleKind, CycleSample
from vmmonbench.monitor.scheduler import Scheduler
from vmmonbench.progress import Progress
from vmmonbench.result_records import (
    Consistency,
    CpuProfile,
    CycleRecord,
    FaultsSeen,
    Floor,
    MemoryTrace,
    RunSummary,
    ServerCheck,
    ServerStatement,
    StatementRecord,
    WorldChanges,
)
from vmmonbench.results import RunResult, RunStatus
from vmmonbench.run_summary import floor_writes, summarize_commands, summarize_run
from vmmonbench.workload import Workload
from vmmonbench.world import WorldDriver

DRAIN_TIMEOUT_S = 600.0
WATCH_EVERY_S = 0.5
MEMORY_SAMPLES = 200


@dataclass(slots=True)
class RunContext:
    """What every configuration of a run shares."""

    workload: Workload
    hosts: list[MonitoredHost]
    vms_by_host: dict[str, list[str]]
    controls: Mapping[str, HostClient]
    databases: FreshDatabases
    stop: threading.Event
    progress: Progress
    fail: Callable[[str], None]  # marks the run failed (and stops it) with a one-line reason
    failure: Callable[[], str | None]
    died: Callable[[], str | None]  # a one-line reason when a fake-host process has exited
    monitoring_threads: int = 10
    profiling: ProfilingSession | None = None
    sample_server_memory: Callable[[], None] | None = None  # the embedded server's, if any


class ConfigurationCrashed(Exception):  # noqa: N818 - it carries a result, not only an error
    """An error after a configuration's measured phase; carries what it measured (failed)."""

    def __init__(self, result: RunResult, error: Exception) -> None:
        super().__init__(str(error))
        self.result = result
        self.error = error


def measure_configuration(config: Configuration, ctx: RunContext) -> RunResult:
    """Measure one configuration from a fresh database; the result also when stopped early."""
    started = time.perf_counter()
    # every configuration starts from the same truth: reset before population (which polls the
    # hosts) and again after it if it did, so each configuration sees the same reports
    _reset_hosts(ctx.controls)
    db = ctx.databases.fresh(config)
    if ctx.databases.polled_hosts:
        _reset_hosts(ctx.controls)
    pgstat.create_extension(db.engine)  # only where the server preloads it; never raises
    server_check = pgstat.pg_stat_statements_status(db.engine)
    steady.checkpoint(db.engine)  # a server user without the right only loses the guarantee
    # the server's counts before the measured phase: the cross-check takes what came after
    server_before = pgstat.snapshot(db.engine) if server_check is None else []
    clock = WarpClock()
    core = MonitoringCore(
        config,
        ctx.hosts,
        ctx.vms_by_host,
        db,
        clock,
        Scheduler(clock),
        monitoring_threads=ctx.monitoring_threads,
    )
    try:
        result = _measure(config, core, db, ctx, server_check, server_before)
    finally:
        core.close()
        db.close()
    return replace(result, wall_s=time.perf_counter() - started)


def _reset_hosts(controls: Mapping[str, HostClient]) -> None:
    for client in controls.values():
        client.call("Sim.reset")


def _measure(
    config: Configuration,
    core: MonitoringCore,
    db: Database,
    ctx: RunContext,
    server_check: str | None,
    server_before: Sequence[pgstat.ServerStatement],
) -> RunResult:
    w = ctx.workload
    vm_hosts = [(vm, host) for host, vms in ctx.vms_by_host.items() for vm in vms]
    core.start()
    for client in ctx.controls.values():
        client.call("Sim.setFaults", {"faults": list(w.faults)})  # the measured phase only
    core.schedule_commands(
        schedule_commands(
            seed=w.seed,
            rate_per_s=w.commands.rate_per_s,
            mix=w.commands.mix,
            duration_s=w.duration_s,
            vms=vm_hosts,
        )
    )
    world = WorldDriver(
        ctx.controls,
        vm_hosts,
        core.scheduler,
        seed=w.seed,
        events_expected=config.fetch is FetchMode.EVENTS,
    )
    world.schedule(
        duration_s=w.duration_s,
        churn_per_vm_hour=w.churn_per_vm_hour,
        devices_per_vm_hour=w.devices_change_per_vm_hour,
    )
    memory, ended_at = _run_simulation(core, ctx, config.label)
    profiler = db.profiler
    assert profiler is not None
    statements = profiler.statements()
    server = ServerCheck(available=False, reason=server_check)
    work: dict[tuple[str, str], DbWork] = {}
    if server_check is None:
        # the server's view of the same moment: settling would add statements of its own
        counted = pgstat.since(pgstat.snapshot(db.engine), server_before)
        work = pgstat.work_by_statement(statements, counted)
        server = ServerCheck(
            available=True,
            statements=msgspec.convert(
                pgstat.cross_check(statements, counted), tuple[ServerStatement, ...]
            ),
        )
    stopped = ctx.stop.is_set()
    cycles = tuple(cycle_record(s) for s in sorted(core.recorder.samples, key=lambda s: s.start_s))
    commands = summarize_commands(list(core.recorder.commands))
    counters = core.collect_counters()
    records = tuple(statement_record(s, work.get((s.label, s.sql))) for s in statements)
    summary = summarize_run(
        cycles,
        # the span the work really covered: cycles still running at the end finish inside it
        simulated_s=ended_at if not stopped else min(ended_at, w.duration_s),
        hosts=len(core.hosts),
        db_time_s=profiler.total_time_s,
        statements=profiler.total_calls,
        command_wait_p99_s=commands.wait_p99_s,
        counters={
            "events_received": counters.events_received,
            "events_ignored": counters.events_ignored,
            "vms_lost": counters.vms_lost,
            "reconnects": counters.reconnects,
        },
    )
    result = RunResult(
        label=config.label,
        lock=config.lock.value,
        fetch=config.fetch.value,
        optimizations=tuple(config.sorted_optimizations()),
        summary=summary,
        statements=records,
        cycles=cycles,
        commands=commands,
        server_statements=server,
        world=WorldChanges(
            status_changes=world.counters.status_changes,
            device_changes=world.counters.device_changes,
            failures=tuple(world.counters.failures[:10]),
            expected_events_lost=core.scheduler.expected_events_lost,
        ),
        faults=_faults_seen(ctx.controls, summary, cycles),
        memory=MemoryTrace(
            rss_samples=tuple(_thin(memory, MEMORY_SAMPLES)), rss_end_bytes=rss_bytes()
        ),
        cpu_profile=ctx.profiling.stop(records) if ctx.profiling is not None else CpuProfile(),
    )
    if stopped:
        failure = ctx.failure()
        return replace(
            result,
            status=RunStatus.FAILED if failure else RunStatus.INTERRUPTED,
            error=failure,
            consistency=Consistency(checked=False, reason="run stopped before the end"),
        )
    try:
        return _settle_and_check(core, db, ctx.controls, result)
    except Exception as exc:
        crashed = replace(
            result,
            status=RunStatus.FAILED,
            error=f"after the measured phase: {type(exc).__name__}: {exc}",
            consistency=Consistency(checked=False, reason="the check after the run failed"),
        )
        raise ConfigurationCrashed(crashed, exc) from exc


def statement_record(stats: StatementStats, work: DbWork | None = None) -> StatementRecord:
    """The results record of one profiled statement (with the server's work, when known)."""
    return StatementRecord(
        label=stats.label,
        sql=stats.sql,
        calls=stats.calls,
        rows=stats.rows,
        total_s=stats.total_s,
        mean_s=stats.mean_s,
        p50_s=stats.p50_s,
        p95_s=stats.p95_s,
        p99_s=stats.p99_s,
        max_s=stats.max_s,
        share=stats.share,
        kind=stats.kind,
        work=work,
        vm_steps=stats.vm_steps,
    )


def cycle_record(sample: CycleSample) -> CycleRecord:
    """The results record of one measured cycle."""
    return CycleRecord(
        kind=CycleKind(sample.kind),
        host=sample.host,
        start_s=sample.start_s,
        duration_s=sample.duration_s,
        db_time_s=sample.db_time_s,
        statements=sample.statements,
        rows_read=sample.rows_read,
        rows_written=sample.rows_written,
        vms_analysed=sample.vms_analysed,
        vms_skipped=sample.vms_skipped,
        vms_changed=sample.vms_changed,
        rpc_calls=sample.rpc_calls,
        rpc_bytes=sample.rpc_bytes,
        rpc_s=sample.rpc_s,
        skipped=sample.skipped,
        failed=sample.failed,
    )


def _run_simulation(
    core: MonitoringCore, ctx: RunContext, label: str
) -> tuple[list[tuple[float, int]], float]:
    memory: list[tuple[float, int]] = []
    done = threading.Event()
    watcher = threading.Thread(target=_watch, args=(core, ctx, done, memory), daemon=True)
    watcher.start()
    if ctx.profiling is not None:
        ctx.profiling.start(label)
    try:
        core.scheduler.run_until(ctx.workload.duration_s, ctx.stop)
        core.stop_timers()
        core.scheduler.clear()
        if not core.scheduler.drain(DRAIN_TIMEOUT_S):
            ctx.fail("monitoring work did not finish within the drain timeout")
    finally:
        done.set()
        watcher.join()
    return memory, max(core.clock.now(), ctx.workload.duration_s)


def _watch(
    core: MonitoringCore, ctx: RunContext, done: threading.Event, memory: list[tuple[float, int]]
) -> None:
    # progress for the user, the runner's memory over time, and a dead fake host fails the run
    while not done.wait(WATCH_EVERY_S):
        died = ctx.died()
        if died is not None:
            ctx.fail(died)
            return
        now = min(core.clock.now(), ctx.workload.duration_s)
        memory.append((round(now, 3), rss_bytes()))
        if ctx.sample_server_memory is not None:
            ctx.sample_server_memory()
        ctx.progress.update(now, sum(1 for s in core.recorder.samples if s.kind == "stats"))


def _faults_seen(
    controls: Mapping[str, HostClient], summary: RunSummary, cycles: Sequence[CycleRecord]
) -> FaultsSeen:
    injected: dict[str, int] = {}
    for client in controls.values():
        try:
            stats = client.call("Sim.stats")
        except HostCallError:
            continue  # a dead host is reported by the watcher; its counts are lost with it
        for kind, count in (stats.get("faults") or {}).items():
            injected[kind] = injected.get(kind, 0) + int(count)
    failures = sorted({c.failed for c in cycles if c.failed})
    return FaultsSeen(
        injected=injected,
        failed_cycles=summary.failed_cycles,
        reconnects=summary.reconnects,
        events_ignored=summary.events_ignored,
        vms_lost=summary.vms_lost,
        failures=tuple(failures[:10]),
    )


def _settle_and_check(
    core: MonitoringCore, db: Database, controls: Mapping[str, HostClient], result: RunResult
) -> RunResult:
    # Inputs have stopped. If the DB already matches the hosts' truth, the run's own last
    # cycles converged; otherwise one more statistics cycle per host (the configuration's own
    # rules) must bring it there, and what still differs after it is reported.
    for client in controls.values():
        client.call("Sim.setFaults", {"faults": []})
    if db.profiler is not None:
        db.profiler.detach()  # nothing after the measured phase is measured
    before = _consistency(db, controls)
    settle = core.settle() if before.divergent_vms else []
    after = _consistency(db, controls) if settle else before
    consistency = Consistency(
        checked=True,
        checked_vms=after.checked_vms,
        divergent_vms=after.divergent_vms,
        reasons=dict(after.reasons),
        examples=tuple(after.examples),
        divergent_before_settle=before.divergent_vms,
        settle_cycles=len(settle),
        settle_failed=tuple(s.failed for s in settle if s.failed),
    )
    writes, write_s = floor_writes(core.rules, result.statements, result.summary.cycles.stats)
    with GC_PAUSE:  # the floor is timed like the cycles it is the floor of
        measured_floor = measure_floor(db.engine, writes)
    floor = msgspec.convert({**measured_floor, "write_s_per_stats_cycle": write_s}, Floor)
    return replace(result, consistency=consistency, floor=floor)


def _consistency(db: Database, controls: Mapping[str, HostClient]) -> ConsistencyReport:
    # one host's snapshot at a time: a 100 000-VM fleet's truth need not be held at once
    snapshots = ((host_id, client.call("Sim.snapshot")) for host_id, client in controls.items())
    return check_consistency(db, snapshots)


def rss_bytes() -> int:
    """This process's resident memory now (Linux /proc; 0 where unavailable)."""
    return procfs.memory_bytes("self", "VmRSS")


def _thin(points: Sequence[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
    if len(points) <= limit:
        return list(points)
    step = len(points) / limit
    return [points[int(i * step)] for i in range(limit)] + [points[-1]]
