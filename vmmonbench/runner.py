"""Orchestrates a run: fake hosts, a fresh database per configuration, the monitor, results."""

from __future__ import annotations

import os
import platform
import resource
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import orjson
from sqlalchemy.engine import URL

from vmmonbench import inventory
from vmmonbench.configuration import Configuration, FetchMode
from vmmonbench.cpuprofile import DEFAULT_RATE_HZ, CpuProfiler, ProfileFiles
from vmmonbench.db import pgstat
from vmmonbench.db.database import Database, check_reachable, copy_sqlite_file, mask_url, parse_url
from vmmonbench.db.floor import measure_floor
from vmmonbench.db.population import PopulationSpec, populate
from vmmonbench.db.profiler import StatementProfiler
from vmmonbench.db.schema import create_schema, drop_schema
from vmmonbench.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    BadInputError,
    RunFailedError,
)
from vmmonbench.fakehosts import FakeHostProcesses, HostEndpoint, RemoteHosts
from vmmonbench.hotspots import MONITORING_CODE, code_vs_db, hot_spots, sample_count
from vmmonbench.metrics import floor_writes, summarize_commands, summarize_run
from vmmonbench.monitor.clock import WarpClock
from vmmonbench.monitor.commands import schedule_commands
from vmmonbench.monitor.consistency import ConsistencyReport, check_consistency
from vmmonbench.monitor.core import MonitoringCore
from vmmonbench.monitor.host_monitor import MonitoredHost
from vmmonbench.monitor.hostclient import HostCallError, HostClient
from vmmonbench.monitor.rules import PersistenceRules
from vmmonbench.monitor.scheduler import Scheduler
from vmmonbench.results import Results, RunResult, RunStatus
from vmmonbench.workload import Workload, to_toml
from vmmonbench.world import WorldDriver

SQLITE_FILE = "vmmonbench.db"
TEMPLATE_FILE = ".template.db"
DRAIN_TIMEOUT_S = 600.0
WATCH_EVERY_S = 0.5
MEMORY_SAMPLES = 200


class Progress(Protocol):
    """What the runner tells the user while it works (the CLI renders it)."""

    def configuration_started(self, label: str, number: int, total: int, duration_s: float) -> None:
        """A configuration begins."""

    def update(self, simulated_s: float, stats_cycles: int) -> None:
        """Simulated time reached and statistics cycles done so far."""

    def configuration_done(self, result: RunResult) -> None:
        """A configuration finished (or stopped)."""

    def message(self, text: str) -> None:
        """A one-line note."""


class SilentProgress:
    """Progress that says nothing (tests, library use)."""

    def configuration_started(self, label: str, number: int, total: int, duration_s: float) -> None:
        """Nothing."""

    def update(self, simulated_s: float, stats_cycles: int) -> None:
        """Nothing."""

    def configuration_done(self, result: RunResult) -> None:
        """Nothing."""

    def message(self, text: str) -> None:
        """Nothing."""


@dataclass(slots=True)
class RunOptions:
    """Everything a run needs, already validated."""

    workload: Workload
    configurations: list[Configuration]
    out_dir: Path
    db_url: str | None = None
    fake_host_processes: int | None = None  # None: one process per five hosts
    connect: list[tuple[str, int]] | None = None  # monitor remote fake hosts instead
    monitoring_threads: int = 10
    profile: bool = False
    cpu_profiler: CpuProfiler | None = None  # injected by tests; built from `profile` otherwise
    on_results: Callable[[Results], None] | None = None
    stop: threading.Event = field(default_factory=threading.Event)


class Runner:
    """Runs every configuration of a workload against the same emulated hosts."""

    def __init__(self, options: RunOptions, progress: Progress | None = None) -> None:
        self.options = options
        self.workload = options.workload
        self.progress = progress or SilentProgress()
        self.url: URL = self._database_url()
        self.results = Results(workload=self.workload.to_dict(), environment=_environment())
        self.results.database = {"url": mask_url(self.url), "dialect": self.url.get_backend_name()}
        self._processes: FakeHostProcesses | RemoteHosts | None = None
        self._failure: str | None = None
        self._cpu: CpuProfiler | None = None
        if options.profile:
            self._cpu = options.cpu_profiler or CpuProfiler(options.out_dir)
            self.results.extra["cpu_profile"] = {"requested": True, "available": True}

    def _database_url(self) -> URL:
        if self.options.db_url:
            return parse_url(self.options.db_url)
        return parse_url(f"sqlite:///{self.options.out_dir / SQLITE_FILE}")

    # the run ---------------------------------------------------------------------------------
    def run(self) -> Results:
        """Run every configuration; returns the results (also on interrupt or failure)."""
        out = self.options.out_dir
        # the hosts start without faults: the runner switches them on for the measured phase
        hosts_file = out / ".fake-hosts.toml"
        hosts_file.write_text(to_toml(replace(self.workload, faults=())))
        self._check_database()
        self._processes = self._hosts(hosts_file)
        try:
            endpoints = self._processes.start()
            self._adopt_remote_inventory(endpoints)
            (out / "workload.toml").write_text(to_toml(self.workload))
            self.results.extra["fake_hosts"] = {
                "processes": self._processes.processes,
                "endpoints": [f"{e.address}:{e.port}" for e in endpoints],
                "remote": bool(self.options.connect),
            }
            self._run_configurations(endpoints)
            self.results.extra["fake_hosts"]["peak_rss_bytes"] = self._processes.peak_rss_bytes()
        except RunFailedError as exc:
            self._fail(exc.message)
        except HostCallError as exc:
            # the measured phase survives host faults; a control call failing means a host died
            self._fail(self._processes.died() or f"fake host stopped answering: {exc}")
        finally:
            self._processes.stop()
            for leftover in (out / TEMPLATE_FILE, hosts_file):
                leftover.unlink(missing_ok=True)
        self.results.extra["runner_peak_rss_bytes"] = _peak_rss_bytes()
        if self._failure is not None:
            self.results.status = RunStatus.FAILED
            self.results.failure = self._failure
        elif self.options.stop.is_set():
            self.results.status = RunStatus.INTERRUPTED
        return self.results

    def _hosts(self, hosts_file: Path) -> FakeHostProcesses | RemoteHosts:
        if self.options.connect:
            return RemoteHosts(self.options.connect)
        hosts = self.workload.hosts
        processes = self.options.fake_host_processes or max(1, min(hosts, (hosts + 4) // 5))
        return FakeHostProcesses(
            hosts_file, hosts, processes=processes, log_dir=self.options.out_dir
        )

    def _adopt_remote_inventory(self, endpoints: list[HostEndpoint]) -> None:
        # remote hosts define the inventory: monitor exactly what they serve
        if not isinstance(self._processes, RemoteHosts) or self._processes.inventory is None:
            return
        served = self._processes.inventory
        adopted = replace(
            self.workload,
            hosts=len(endpoints),
            vms=served.vms,
            vnics=served.vnics,
            disks=served.disks,
            seed=served.seed,
        )
        if adopted != self.workload:
            self.results.notes.append(
                f"inventory taken from the connected fake hosts: {len(endpoints)} hosts x "
                f"{served.vms} VMs, {served.vnics} vNICs, {served.disks} disks, seed {served.seed}"
            )
        self.workload = adopted
        self.results.workload = adopted.to_dict()

    def _fail(self, reason: str) -> None:
        if self._failure is None:
            self._failure = reason
        self.options.stop.set()

    def _check_database(self) -> None:
        probe = Database(self.url)
        try:
            version = check_reachable(probe.engine)
        finally:
            probe.close()
        self.results.database["server_version"] = version
        self.results.environment["db_dialect"] = self.url.get_backend_name()
        self.results.environment["db_server_version"] = version

    def _run_configurations(self, endpoints: list[HostEndpoint]) -> None:
        controls = {e.id: HostClient(e.address, e.port, timeout_s=120.0) for e in endpoints}
        try:
            hosts = [MonitoredHost(e.id, e.index, e.address, e.port) for e in endpoints]
            vms_by_host = self._vms_by_host(hosts)
            template = self._prepare_template(controls, endpoints)
            total = len(self.options.configurations)
            for number, config in enumerate(self.options.configurations, start=1):
                if self.options.stop.is_set():
                    break
                self.progress.configuration_started(
                    config.label, number, total, self.workload.duration_s
                )
                result = self._run_configuration(config, hosts, vms_by_host, controls, template)
                self.results.runs.append(result)
                self.progress.configuration_done(result)
                if self.options.on_results is not None:
                    self.options.on_results(self.results)
        finally:
            for client in controls.values():
                client.close()

    def _vms_by_host(self, hosts: Sequence[MonitoredHost]) -> dict[str, list[str]]:
        w = self.workload
        return {
            host.id: [
                vm.id for vm in inventory.host_spec(w.seed, host.index, w.vms, w.vnics, w.disks).vms
            ]
            for host in hosts
        }

    # databases ----------------------------------------------------------------------------------
    def _population(self, endpoints: list[HostEndpoint]) -> PopulationSpec:
        w = self.workload
        return PopulationSpec(
            seed=w.seed,
            hosts=w.hosts,
            vms=w.vms,
            vnics=w.vnics,
            disks=w.disks,
            host_addresses=tuple((e.address, e.port) for e in endpoints),
            host_indexes=tuple(e.index for e in endpoints),
        )

    def _reports(self, controls: Mapping[str, HostClient], endpoints: list[HostEndpoint]) -> Any:
        by_index = {e.index: controls[e.id] for e in endpoints}

        def reported(host_index: int) -> dict[str, Any]:
            stats = by_index[host_index].call("Host.getAllVmStats") or []
            return {entry["vmId"]: entry for entry in stats}

        return reported

    def _prepare_template(
        self, controls: Mapping[str, HostClient], endpoints: list[HostEndpoint]
    ) -> Path | None:
        if self.url.get_backend_name() != "sqlite":
            return None
        template = self.options.out_dir / TEMPLATE_FILE
        template.unlink(missing_ok=True)
        db = Database(parse_url(f"sqlite:///{template}"))
        try:
            create_schema(db.engine)
            started = time.perf_counter()
            populate(
                db.engine, self._population(endpoints), reported=self._reports(controls, endpoints)
            )
            self.results.extra["population_s"] = time.perf_counter() - started
        finally:
            db.close()
        return template

    def _fresh_database(
        self,
        config: Configuration,
        controls: Mapping[str, HostClient],
        endpoints: list[HostEndpoint],
        template: Path | None,
    ) -> Database:
        rules = PersistenceRules.of(config)
        if template is not None:
            assert self.url.database is not None
            copy_sqlite_file(template, Path(self.url.database))
        else:
            plain = Database(self.url)
            try:
                drop_schema(plain.engine)
                create_schema(plain.engine)
                started = time.perf_counter()
                populate(
                    plain.engine,
                    self._population(endpoints),
                    reported=self._reports(controls, endpoints),
                )
                self.results.extra["population_s"] = time.perf_counter() - started
            finally:
                plain.close()
        return Database(
            self.url,
            profiler=StatementProfiler(),
            validate_on_checkout=rules.validate_checkout,
            pool_size=max(16, self.options.monitoring_threads + 8),
        )

    # one configuration --------------------------------------------------------------------------
    def _run_configuration(
        self,
        config: Configuration,
        hosts: list[MonitoredHost],
        vms_by_host: dict[str, list[str]],
        controls: Mapping[str, HostClient],
        template: Path | None,
    ) -> RunResult:
        started = time.perf_counter()
        result = RunResult(
            label=config.label,
            lock=config.lock.value,
            fetch=config.fetch.value,
            optimizations=config.sorted_optimizations(),
        )
        endpoints = [HostEndpoint(h.index, h.id, h.address, h.port) for h in hosts]
        # the hosts start every configuration from the same truth: reset before population
        # (which polls them) and again after it, so each configuration sees the same reports
        self._reset_hosts(controls)
        db = self._fresh_database(config, controls, endpoints, template)
        self._reset_hosts(controls)
        pgstat.create_extension(db.engine)  # only where the server preloads it; never raises
        server_check = pgstat.pg_stat_statements_status(db.engine)
        if server_check is None:
            pgstat.reset(db.engine)
        clock = WarpClock()
        scheduler = Scheduler(clock)
        core = MonitoringCore(
            config,
            hosts,
            vms_by_host,
            db,
            clock,
            scheduler,
            monitoring_threads=self.options.monitoring_threads,
        )
        result.server_statements = {"available": False, "reason": server_check}
        try:
            self._measure(config, core, controls, vms_by_host, result)
        finally:
            core.close()
            db.close()
        result.wall_s = time.perf_counter() - started
        return result

    def _start_cpu_profile(self, label: str) -> bool:
        if self._cpu is None:
            return False
        reason = self._cpu.start(label)
        if reason is None:
            return True
        # the run goes on without CPU profiles; say why once and record it
        self.progress.message(f"CPU profiles disabled: {reason}")
        self.results.extra["cpu_profile"] = {
            "requested": True,
            "available": False,
            "reason": reason,
        }
        self._cpu = None
        return False

    def _cpu_profile_section(
        self, files: ProfileFiles | None, statements: list[dict[str, Any]]
    ) -> dict[str, Any]:
        if files is None:
            reason = self.results.extra.get("cpu_profile", {}).get("reason", "no profile written")
            return {"available": False, "reason": reason}
        profile = orjson.loads(files.speedscope.read_bytes())
        rate = (self._cpu.rate_hz if self._cpu is not None else DEFAULT_RATE_HZ) / 2
        monitoring = hot_spots(profile, rate_hz=rate, attribute_to=MONITORING_CODE)
        return {
            "available": True,
            "rate_hz": rate,
            "samples": sample_count(profile),
            "speedscope": files.speedscope.name,
            "flamegraph": files.flamegraph.name,
            "hot_spots": [spot.to_dict() for spot in hot_spots(profile, rate_hz=rate)],
            "monitoring_hot_spots": [spot.to_dict() for spot in monitoring],
            "code_vs_db": code_vs_db(monitoring, statements),
        }

    @staticmethod
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
        return {
            "injected": injected,
            "failed_cycles": summary.failed_cycles,
            "reconnects": summary.reconnects,
            "events_ignored": summary.events_ignored,
            "vms_lost": summary.vms_lost,
            "failures": sorted({str(c.get("failed")) for c in result.cycles if c.get("failed")})[
                :10
            ],
        }

    @staticmethod
    def _reset_hosts(controls: Mapping[str, HostClient]) -> None:
        for client in controls.values():
            client.call("Sim.reset")

    def _measure(
        self,
        config: Configuration,
        core: MonitoringCore,
        controls: Mapping[str, HostClient],
        vms_by_host: dict[str, list[str]],
        result: RunResult,
    ) -> None:
        w = self.workload
        clock, scheduler, stop = core.clock, core.scheduler, self.options.stop
        vm_hosts = [(vm, host) for host, vms in vms_by_host.items() for vm in vms]
        core.start()
        for client in controls.values():
            # faults hit the measured phase only, never the set-up
            client.call("Sim.setFaults", {"faults": list(w.faults)})
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
            controls,
            vm_hosts,
            scheduler,
            seed=w.seed,
            events_expected=config.fetch is FetchMode.EVENTS,
        )
        world.schedule(
            duration_s=w.duration_s,
            churn_per_vm_hour=w.churn_per_vm_hour,
            devices_per_vm_hour=w.devices_change_per_vm_hour,
        )
        watcher_done = threading.Event()
        memory: list[tuple[float, int]] = []
        watcher = threading.Thread(
            target=self._watch, args=(core, watcher_done, memory), daemon=True
        )
        watcher.start()
        profiling = self._start_cpu_profile(config.label)
        try:
            scheduler.run_until(w.duration_s, stop)
            core.stop_timers()
            scheduler.clear()
            if not scheduler.drain(DRAIN_TIMEOUT_S):
                self._fail("monitoring work did not finish within the drain timeout")
        finally:
            watcher_done.set()
            watcher.join()
            files = self._cpu.stop() if profiling and self._cpu is not None else None
        interrupted = stop.is_set()
        simulated = w.duration_s if not interrupted else min(clock.now(), w.duration_s)
        profiler = core.db.profiler
        assert profiler is not None
        statements = profiler.statements()
        if result.server_statements["reason"] is None:
            # the server's view of the same moment: before settling adds statements of its own
            result.server_statements = {
                "available": True,
                "reason": None,
                "statements": pgstat.cross_check(statements, pgstat.snapshot(core.db.engine)),
            }
        samples = list(core.recorder.samples)
        commands = summarize_commands(list(core.recorder.commands))
        counters = core.collect_counters()
        result.statements = [s.to_dict() for s in statements]
        result.cycles = [s.to_dict() for s in sorted(samples, key=lambda s: s.start_s)]
        result.commands = commands
        result.summary = summarize_run(
            samples,
            simulated_s=simulated,
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
            "expected_events_lost": scheduler.expected_events_lost,
        }
        result.faults = self._faults_seen(controls, result)
        result.memory = {
            "rss_samples": _thin(memory, MEMORY_SAMPLES),
            "rss_end_bytes": _rss_bytes(),
        }
        if self._cpu is not None or self.options.profile:
            result.cpu_profile = self._cpu_profile_section(files, result.statements)
        if interrupted:
            result.status = RunStatus.FAILED if self._failure else RunStatus.INTERRUPTED
            result.error = self._failure
            result.consistency = {"checked": False, "reason": "run stopped before the end"}
            return
        self._settle_and_check(core, controls, result)

    def _settle_and_check(
        self, core: MonitoringCore, controls: Mapping[str, HostClient], result: RunResult
    ) -> None:
        # Inputs have stopped. If the DB already matches the hosts' truth, the run's own last
        # cycles converged; otherwise one more statistics cycle per host (the configuration's
        # own rules) must bring it there, and what still differs after it is reported.
        for client in controls.values():
            client.call("Sim.setFaults", {"faults": []})
        profiler = core.db.profiler
        before = self._consistency(core, controls)
        settle = []
        after = before
        if before.divergent_vms:
            if profiler is not None:
                profiler.detach()
            settle = core.settle()
            after = self._consistency(core, controls)
        if profiler is not None:
            profiler.detach()
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
        result.floor = {**measure_floor(core.db.engine, writes), "write_s_per_stats_cycle": write_s}

    @staticmethod
    def _consistency(core: MonitoringCore, controls: Mapping[str, HostClient]) -> ConsistencyReport:
        snapshots = {host_id: client.call("Sim.snapshot") for host_id, client in controls.items()}
        return check_consistency(core.db.engine, snapshots)

    def _watch(
        self, core: MonitoringCore, done: threading.Event, memory: list[tuple[float, int]]
    ) -> None:
        # progress for the user, the runner's memory over time, and a dead fake host turns the
        # run into a failed one
        while not done.wait(WATCH_EVERY_S):
            assert self._processes is not None
            died = self._processes.died()
            if died is not None:
                self._fail(died)
                return
            now = min(core.clock.now(), self.workload.duration_s)
            memory.append((round(now, 3), _rss_bytes()))
            stats = sum(1 for s in core.recorder.samples if s.kind == "stats")
            self.progress.update(now, stats)


def _rss_bytes() -> int:
    """This process's resident memory now (Linux /proc; 0 where unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _thin(points: list[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
    if len(points) <= limit:
        return points
    step = len(points) / limit
    return [points[int(i * step)] for i in range(limit)] + [points[-1]]


def _peak_rss_bytes() -> int:
    # ru_maxrss is in KiB on Linux
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "hostname": platform.node(),
    }


def default_out_dir(workload_name: str, now: datetime | None = None) -> Path:
    """`reports/runs/<timestamp>-<workload>/` under the current directory."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return Path.cwd() / "reports" / "runs" / f"{stamp}-{workload_name}"


def exit_code(results: Results) -> int:
    """The CLI exit code for these results: 0 complete, 1 failed, 130 interrupted."""
    if results.status == RunStatus.FAILED:
        return EXIT_FAILED
    if results.status == RunStatus.INTERRUPTED:
        return EXIT_INTERRUPTED
    return EXIT_OK


def run_workload(options: RunOptions, progress: Progress | None = None) -> Results:
    """Run the workload in every configuration and return the results (not yet saved)."""
    if not options.configurations:
        raise BadInputError("no configuration selected")
    try:
        options.out_dir.mkdir(parents=True, exist_ok=True)
        probe = options.out_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise BadInputError(
            f"cannot write to output folder {options.out_dir}: {exc.strerror}"
        ) from None
    return Runner(options, progress).run()


__all__ = ["HostCallError", "Progress", "RunOptions", "Runner", "SilentProgress", "run_workload"]
