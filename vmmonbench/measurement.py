"""One configuration measured: fresh database, monitoring core on simulated time, results."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vmmonbench.configuration import Configuration, FetchMode
from vmmonbench.cpuprofile import ProfilingSession
from vmmonbench.db import pgstat
from vmmonbench.db.database import Database
from vmmonbench.db.floor import measure_floor
from vmmonbench.freshdb import FreshDatabases
from vmmonbench.monitor.clock import WarpClock
from vmmonbench.monitor.commands import schedule_commands
from vmmonbench.monitor.consistency import ConsistencyReport, check_consistency
from vmmonbench.monitor.core import MonitoringCore
from vmmonbench.monitor.host_monitor import MonitoredHost
from vmmonbench.monitor.hostclient import HostCallError, HostClient
from vmmonbench.monitor.scheduler import Scheduler
from vmmonbench.progress import Progress
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


class ConfigurationCrashed(Exception):  # noqa: N818 - it carries a result, not only an error
    """An error after a configuration's measured phase; carries what it measured (failed)."""

    def __init__(self, result: RunResult, error: Exception) -> None:
        super().__init__(str(error))
        self.result = result
        self.error = error


def measure_configuration(config: Configuration, ctx: RunContext) -> RunResult:
    """Measure one configuration from a fresh database; the result also when stopped early."""
    started = time.perf_counter()
    result = RunResult(
        label=config.label,
        lock=config.lock.value,
        fetch=config.fetch.value,
        optimizations=config.sorted_optimizations(),
    )
    # every configuration starts from the same truth: reset before population (which polls the
    # hosts) and again after it if it did, so each configuration sees the same reports
    _reset_hosts(ctx.controls)
    db = ctx.databases.fresh(config)
    if ctx.databases.polled_hosts:
        _reset_hosts(ctx.controls)
    pgstat.create_extension(db.engine)  # only where the server preloads it; never raises
    server_check = pgstat.pg_stat_statements_status(db.engine)
    # the server's counts before the measured phase: the cross-check takes what came after
    server_before = pgstat.snapshot(db.engine) if server_check is None else []
    result.server_statements = {"available": False, "reason": server_check}
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
        _measure(config, core, db, ctx, result, server_before)
    finally:
        core.close()
        db.close()
    result.wall_s = time.perf_counter() - started
    return result


def _reset_hosts(controls: Mapping[str, HostClient]) -> None:
    for client in controls.values():
        client.call("Sim.reset")


def _measure(
    config: Configuration,
    core: MonitoringCore,
    db: Database,
    ctx: RunContext,
    result: RunResult,
    server_before: Sequence[pgstat.ServerStatement],
) -> None:
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
    if server_available(result):
        # the server's view of the same moment: settling would add statements of its own
        result.server_statements = {
            "available": True,
            "reason": None,
            "statements": pgstat.cross_check(
                statements, pgstat.since(pgstat.snapshot(db.engine), server_before)
            ),
        }
    stopped = ctx.stop.is_set()
    samples = list(core.recorder.samples)
    commands = summarize_commands(list(core.recorder.commands))
    counters = core.collect_counters()
    result.statements = [s.to_dict() for s in statements]
    result.cycles = [s.to_dict() for s in sorted(samples, key=lambda s: s.start_s)]
    result.commands = commands
    result.summary = summarize_run(
        samples,
        # the span the work really covered: cycles still running at the end finish inside it
        simulated_s=ended_at if not stopped else min(ended_at, w.duration_s),
        hosts=len(core.hosts),
        db_time_s=profiler.total_time_s,
        statements=profiler.total_calls,
        command_wait_p99_s=float(commands["wait_p99_s"]),
        counters={
            "events_received": counters.events_received,
            "events_ignored": counters.events_ignored,
            "vms_lost": counters.vms_lost,
            "reconnects": counters.reconnects,
        },
    )
    result.world = {
        "status_changes": world.counters.status_changes,
        "device_changes": world.counters.device_changes,
        "failures": world.counters.failures[:10],
        "expected_events_lost": core.scheduler.expected_events_lost,
    }
    result.faults = _faults_seen(ctx.controls, result)
    result.memory = {"rss_samples": _thin(memory, MEMORY_SAMPLES), "rss_end_bytes": rss_bytes()}
    if ctx.profiling is not None:
        result.cpu_profile = ctx.profiling.stop(result.statements)
    if stopped:
        failure = ctx.failure()
        result.status = RunStatus.FAILED if failure else RunStatus.INTERRUPTED
        result.error = failure
        result.consistency = {"checked": False, "reason": "run stopped before the end"}
        return
    try:
        _settle_and_check(core, db, ctx.controls, result)
    except Exception as exc:
        result.status = RunStatus.FAILED
        result.error = f"after the measured phase: {type(exc).__name__}: {exc}"
        result.consistency = {"checked": False, "reason": "the check after the run failed"}
        raise ConfigurationCrashed(result, exc) from exc


def server_available(result: RunResult) -> bool:
    """Whether this configuration's database offers the pg_stat_statements cross-check."""
    return result.server_statements.get("reason") is None


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
        ctx.progress.update(now, sum(1 for s in core.recorder.samples if s.kind == "stats"))


def _faults_seen(controls: Mapping[str, HostClient], result: RunResult) -> dict[str, Any]:
    injected: dict[str, int] = {}
    for client in controls.values():
        try:
            stats = client.call("Sim.stats")
        except HostCallError:
            continue  # a dead host is reported by the watcher; its counts are lost with it
        for kind, count in (stats.get("faults") or {}).items():
            injected[kind] = injected.get(kind, 0) + int(count)
    summary = result.summary
    failures = sorted({str(c["failed"]) for c in result.cycles if c.get("failed")})
    return {
        "injected": injected,
        "failed_cycles": summary.failed_cycles,
        "reconnects": summary.reconnects,
        "events_ignored": summary.events_ignored,
        "vms_lost": summary.vms_lost,
        "failures": failures[:10],
    }


def _settle_and_check(
    core: MonitoringCore, db: Database, controls: Mapping[str, HostClient], result: RunResult
) -> None:
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
    result.consistency = {
        **after.to_dict(),
        "checked": True,
        "divergent_before_settle": before.divergent_vms,
        "settle_cycles": len(settle),
        "settle_failed": [s.failed for s in settle if s.failed],
    }
    writes, write_s = floor_writes(
        core.rules, result.statements, result.summary.cycles.get("stats", 0)
    )
    result.floor = {**measure_floor(db.engine, writes), "write_s_per_stats_cycle": write_s}


def _consistency(db: Database, controls: Mapping[str, HostClient]) -> ConsistencyReport:
    # one host's snapshot at a time: a 100 000-VM fleet's truth need not be held at once
    snapshots = ((host_id, client.call("Sim.snapshot")) for host_id, client in controls.items())
    return check_consistency(db, snapshots)


def rss_bytes() -> int:
    """This process's resident memory now (Linux /proc; 0 where unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _thin(points: Sequence[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
    if len(points) <= limit:
        return list(points)
    step = len(points) / limit
    return [points[int(i * step)] for i in range(limit)] + [points[-1]]
