"""Orchestrates a run: fake hosts, every configuration in turn, and the results."""

from __future__ import annotations

import contextlib
import errno
import os
import platform
import resource
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy.exc import DBAPIError

from vmmonbench import inventory
from vmmonbench.configuration import Configuration
from vmmonbench.cpuprofile import SCRATCH_PREFIX, CpuProfiler, ProfilingSession
from vmmonbench.db.run_database import RunDatabase
from vmmonbench.db.target import SQLITE_FILE
from vmmonbench.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    BadInputError,
    OutputError,
    RunFailedError,
    RunInterruptedError,
    VmmonbenchError,
)
from vmmonbench.freshdb import TEMPLATE_FILE, FreshDatabases
from vmmonbench.host_processes import FakeHostProcesses, HostEndpoint, RemoteHosts
from vmmonbench.measurement import ConfigurationCrashed, RunContext, measure_configuration
from vmmonbench.monitor.host_monitor import MonitoredHost
from vmmonbench.monitor.hostclient import HostCallError, HostClient
from vmmonbench.outputs import write_in_folder
from vmmonbench.progress import Progress, SilentProgress
from vmmonbench.protocol import WireProtocol, max_reply_bytes
from vmmonbench.result_records import DatabaseInfo, Environment, FakeHostsInfo
from vmmonbench.results import Results, RunResult, RunStatus
from vmmonbench.run_folder import claimed_folder
from vmmonbench.workload import Workload, to_toml

PG_DISK_FULL = "53100"  # SQLSTATE disk_full
RESULTS_FILE = "results.json"
HOSTS_FILE = ".fake-hosts.toml"
WORKLOAD_FILE = "workload.toml"
# what a run leaves only while it runs; a killed run's are removed by the next run in the folder
SCRATCH = (
    HOSTS_FILE,
    f"{TEMPLATE_FILE}*",
    f"{SQLITE_FILE}-wal",
    f"{SQLITE_FILE}-shm",
    f"{SQLITE_FILE}-journal",
    f"{SCRATCH_PREFIX}*",
)
# what a run writes under fixed names: a symlink or a non-file there is refused before it starts
OUTPUTS = (
    SQLITE_FILE,
    WORKLOAD_FILE,
    "report.html",
    "fake-host-*.log",
    "cpu-*.speedscope.json",
    "cpu-*.flamegraph.svg",
)


@dataclass(slots=True)
class RunOptions:
    """Everything a run needs, already validated."""

    workload: Workload
    configurations: list[Configuration]
    out_dir: Path
    db_url: str | None = None  # None: the embedded server; `sqlite`; or a database URL
    fake_host_processes: int | None = None  # None: one process per five hosts
    connect: list[tuple[str, int]] | None = None  # monitor remote fake hosts instead
    monitoring_threads: int = 10
    sqlite_steps: bool = False  # count SQLite's VM steps per statement (db/vmsteps.py)
    wire: WireProtocol = WireProtocol.STOMP  # how the monitoring core talks to the hosts
    profile: bool = False
    cpu_profiler: CpuProfiler | None = None  # injected by tests; built from `profile` otherwise
    # called with the results after each configuration (status `unfinished`) and once at the
    # end with the final status, before anything is printed about them
    on_results: Callable[[Results], None] | None = None
    overwrite: bool = False  # replace results already in out_dir (refused otherwise)
    stop: threading.Event = field(default_factory=threading.Event)


SQLITE_STEPS_NOTE = (
    "SQLite's VM steps were counted per statement (--sqlite-steps): a progress handler runs on "
    "every VM instruction, so this run's DB self times are inflated (2-2.7x per statistics "
    "cycle on the gate workload); compare its times only with runs that counted them too"
)


class Runner:
    """Runs every configuration of a workload against the same emulated hosts."""

    def __init__(self, options: RunOptions, progress: Progress | None = None) -> None:
        self.options = options
        self.workload = options.workload
        self.progress = progress or SilentProgress()
        self.database = RunDatabase(options.db_url, options.out_dir)
        self.results = Results(
            workload=self.workload.to_dict(),
            environment=_environment(),
            runs=(),
            status=RunStatus.UNFINISHED,
        )
        self._hosts: FakeHostProcesses | RemoteHosts | None = None
        self._failure: str | None = None
        self._in_progress: str | None = None  # the configuration being prepared or measured
        self._profiling: ProfilingSession | None = None
        if options.profile:
            profiler = options.cpu_profiler or CpuProfiler(options.out_dir)
            self._profiling = ProfilingSession(profiler, self.progress.message)

    def run(self) -> Results:
        """Run every configuration; returns the results (also on interrupt or failure).

        The final results are handed to `on_results` before this returns. An unexpected error
        hands over what was measured (status failed) before it propagates.
        """
        # a database that cannot start, or is refused, is bad input: nothing to save yet
        with self.database:
            self._record_database()
            try:
                self._run_all()
            except BaseException as exc:
                self._crashed(exc)
                raise
        if self._failure is not None:
            self._status(RunStatus.FAILED, self._failure)
        elif self.options.stop.is_set():
            self._status(RunStatus.INTERRUPTED)
        else:
            self._status(RunStatus.COMPLETE)
            self._fail_if_nothing_measured()
        self._hand_over()
        return self.results

    def _run_all(self) -> None:
        out = self.options.out_dir
        # the hosts start without faults: each configuration switches them on when measuring
        hosts_file = out / HOSTS_FILE
        write_in_folder(hosts_file, to_toml(replace(self.workload, faults=())).encode())
        try:
            self._hosts = self._start_hosts(hosts_file)
            try:
                endpoints = self._hosts.start()
                self._adopt_remote_inventory(endpoints)
                write_in_folder(out / WORKLOAD_FILE, to_toml(self.workload).encode())
                fake_hosts = FakeHostsInfo(
                    processes=self._hosts.processes,
                    endpoints=tuple(f"{e.address}:{e.port}" for e in endpoints),
                    remote=bool(self.options.connect),
                    protocol=str(self.options.wire),
                )
                self._extra(fake_hosts=fake_hosts)
                self._run_configurations(endpoints)
                peak = tuple(self._hosts.peak_rss_bytes())
                self._extra(fake_hosts=replace(fake_hosts, peak_rss_bytes=peak))
            except RunInterruptedError:
                pass  # stopped while the hosts were starting: nothing measured yet
            except RunFailedError as exc:
                self._fail(exc.message)
            except HostCallError as exc:
                # the measured phase survives host faults; a control call failing means a host
                # died
                self._fail(self._hosts.died() or f"fake host stopped answering: {exc}")
            except OutputError as exc:
                self._fail(exc.message)  # e.g. a full disk: what was saved so far is kept
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                if not self.options.connect:
                    raise  # our own fake hosts: a bug, keep its traceback
                # a host started elsewhere answered a control call with something unusable
                self._fail(f"a fake host given to --connect sent an unusable reply ({exc!r:.120})")
            except (DBAPIError, OSError) as exc:
                reason = _storage_failure(exc)
                if reason is None:
                    raise
                self._fail(reason)
            finally:
                self._hosts.stop()
        finally:
            hosts_file.unlink(missing_ok=True)
        self._extra(
            runner_peak_rss_bytes=_peak_rss_bytes(),
            server_peak_bytes=self.database.server_peak_bytes,
        )
        if self._profiling is not None:
            self._extra(cpu_profile=self._profiling.status)

    def _extra(self, **changes: Any) -> None:
        self.results = replace(self.results, extra=replace(self.results.extra, **changes))

    def _status(self, status: RunStatus, failure: str | None = None) -> None:
        self.results = replace(self.results, status=status, failure=failure)

    def _crashed(self, exc: BaseException) -> None:
        # a second Ctrl-C (KeyboardInterrupt) or a bug: what was measured is saved first
        if isinstance(exc, KeyboardInterrupt):
            self._status(RunStatus.INTERRUPTED)
        else:
            self._status(
                RunStatus.FAILED,
                self._failure
                or (exc.message if isinstance(exc, VmmonbenchError) else _describe(exc)),
            )
        with contextlib.suppress(Exception):
            self._hand_over()

    def _fail_if_nothing_measured(self) -> None:
        empty = {
            run.label
            for run in self.results.runs
            if run.status == RunStatus.COMPLETE and not run.summary.cycles.stats
        }
        if not empty:
            return
        runs = tuple(
            replace(
                run,
                status=RunStatus.FAILED,
                error="no statistics cycle completed: nothing was measured",
            )
            if run.label in empty
            else run
            for run in self.results.runs
        )
        self.results = replace(
            self.results,
            runs=runs,
            status=RunStatus.FAILED,
            failure=(
                f"no statistics cycle completed in {', '.join(sorted(empty))}: nothing was "
                "measured (a longer --duration, or fewer faults, lets cycles finish)"
            ),
        )

    def _hand_over(self) -> None:
        if self.options.on_results is not None:
            self.options.on_results(self.results)

    def _start_hosts(self, hosts_file: Path) -> FakeHostProcesses | RemoteHosts:
        if self.options.connect:
            return RemoteHosts(self.options.connect)
        hosts = self.workload.hosts
        processes = self.options.fake_host_processes or max(1, min(hosts, (hosts + 4) // 5))
        return FakeHostProcesses(
            hosts_file,
            hosts,
            processes=processes,
            log_dir=self.options.out_dir,
            stop=self.options.stop,
        )

    def _adopt_remote_inventory(self, endpoints: list[HostEndpoint]) -> None:
        # remote hosts define the inventory: monitor exactly what they serve
        if not isinstance(self._hosts, RemoteHosts) or self._hosts.inventory is None:
            return
        served = self._hosts.inventory
        adopted = replace(
            self.workload,
            hosts=len(endpoints),
            vms=served.vms,
            vnics=served.vnics,
            disks=served.disks,
            seed=served.seed,
        )
        notes = self.results.notes
        if adopted != self.workload:
            notes += (
                f"inventory taken from the connected fake hosts: {len(endpoints)} hosts x "
                f"{served.vms} VMs, {served.vnics} vNICs, {served.disks} disks, seed {served.seed}",
            )
        self.workload = adopted
        self.results = replace(self.results, workload=adopted.to_dict(), notes=notes)

    def _fail(self, reason: str) -> None:
        # the configuration it hit is named: one that fails while being set up has no run
        if self._failure is None:
            where = self._in_progress
            self._failure = reason if where is None else f"{reason} (in {where})"
        self.options.stop.set()

    def _died(self) -> str | None:
        return self._hosts.died() if self._hosts is not None else None

    def _record_database(self) -> None:
        described = self.database.describe()
        notes = self.results.notes
        if described.get("caveat"):
            notes += (described["caveat"],)
        if self.options.sqlite_steps:
            notes += (SQLITE_STEPS_NOTE,)
        self.results = replace(
            self.results,
            database=msgspec.convert(described, DatabaseInfo),
            environment=replace(
                self.results.environment,
                db_dialect=described["dialect"],
                db_server=described["server"],
                db_server_version=described["server_version"],
            ),
            notes=notes,
        )

    def _run_configurations(self, endpoints: list[HostEndpoint]) -> None:
        w = self.workload
        reply_bound = max_reply_bytes(w.vms, w.vnics, w.disks)
        controls = {
            e.id: HostClient(e.address, e.port, timeout_s=120.0, max_reply_bytes=reply_bound)
            for e in endpoints
        }
        databases = FreshDatabases(
            self.database.choice,
            self.database.url,
            self.workload,
            endpoints,
            controls,
            work_dir=self.options.out_dir,
            pool_size=max(16, self.options.monitoring_threads + 8),
            vm_steps=self.options.sqlite_steps,
        )
        hosts = [
            MonitoredHost(e.id, e.index, e.address, e.port, self.options.wire, reply_bound)
            for e in endpoints
        ]
        ctx = RunContext(
            workload=self.workload,
            hosts=hosts,
            vms_by_host=self._vms_by_host(hosts),
            controls=controls,
            databases=databases,
            stop=self.options.stop,
            progress=self.progress,
            fail=self._fail,
            failure=lambda: self._failure,
            died=self._died,
            monitoring_threads=self.options.monitoring_threads,
            profiling=self._profiling,
            sample_server_memory=self.database.sample_server_memory,
        )
        try:
            total = len(self.options.configurations)
            for number, config in enumerate(self.options.configurations, start=1):
                if self.options.stop.is_set():
                    break
                self.progress.configuration_started(
                    config.label, number, total, self.workload.duration_s
                )
                self._in_progress = f"configuration {number}/{total}, {config.label}"
                try:
                    result = measure_configuration(config, ctx)
                except ConfigurationCrashed as crash:
                    # what the configuration measured before the error is kept with it
                    self._add_run(crash.result)
                    raise crash.error from None
                self._in_progress = None
                self._add_run(result)
                self._extra(population_s=databases.population_s)
                # saved before anything is printed: a closed stdout cannot lose it
                self._hand_over()
                self.progress.configuration_done(result)
        finally:
            databases.close()
            for client in controls.values():
                client.close()

    def _add_run(self, result: RunResult) -> None:
        self.results = replace(self.results, runs=(*self.results.runs, result))

    def _vms_by_host(self, hosts: list[MonitoredHost]) -> dict[str, list[str]]:
        w = self.workload
        return {
            host.id: [
                vm.id for vm in inventory.host_spec(w.seed, host.index, w.vms, w.vnics, w.disks).vms
            ]
            for host in hosts
        }


def _storage_failure(exc: DBAPIError | OSError) -> str | None:
    """A one-line reason when the database or the folder ran out of room, else None (a bug)."""
    if isinstance(exc, OSError):
        if exc.errno in {errno.ENOSPC, errno.EDQUOT}:
            return f"cannot write {exc.filename or 'a file'}: {exc.strerror}"
        return None
    orig = exc.orig
    full = getattr(orig, "sqlite_errorname", None) == "SQLITE_FULL" or (
        getattr(orig, "sqlstate", None) == PG_DISK_FULL
    )
    if not full:
        return None
    return (
        f"the database ran out of disk space ({' '.join(str(orig).split())[:200]}): free some "
        "space, or put --out (or --db) elsewhere"
    )


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"unexpected error: {type(exc).__name__}" + (f": {text}" if text else "")


def _peak_rss_bytes() -> int:
    # ru_maxrss is in KiB on Linux
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _environment() -> Environment:
    return Environment(
        python=sys.version.split()[0],
        implementation=platform.python_implementation(),
        platform=platform.platform(),
        machine=platform.machine(),
        cpu_count=os.cpu_count(),
        hostname=platform.node(),
    )


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
    """Run the workload in every configuration and return the results (saved by `on_results`).

    The output folder is locked for the run; results already in it are refused unless
    `options.overwrite`. Raises FolderBusyError, OutputError or BadInputError before anything
    runs.
    """
    if not options.configurations:
        raise BadInputError("no configuration selected")
    with claimed_folder(
        options.out_dir,
        results=(RESULTS_FILE,),
        scratch=SCRATCH,
        outputs=OUTPUTS,
        overwrite=options.overwrite,
    ):
        return Runner(options, progress).run()
