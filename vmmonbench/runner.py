"""Orchestrates a run: fake hosts, every configuration in turn, and the results."""

from __future__ import annotations

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

from vmmonbench import inventory
from vmmonbench.configuration import Configuration
from vmmonbench.cpuprofile import CpuProfiler, ProfilingSession
from vmmonbench.db.run_database import RunDatabase
from vmmonbench.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    BadInputError,
    RunFailedError,
)
from vmmonbench.freshdb import FreshDatabases
from vmmonbench.host_processes import FakeHostProcesses, HostEndpoint, RemoteHosts
from vmmonbench.measurement import RunContext, measure_configuration
from vmmonbench.monitor.host_monitor import MonitoredHost
from vmmonbench.monitor.hostclient import HostCallError, HostClient
from vmmonbench.progress import Progress, SilentProgress
from vmmonbench.protocol import WireProtocol, max_reply_bytes
from vmmonbench.result_records import DatabaseInfo, Environment, FakeHostsInfo
from vmmonbench.results import Results, RunStatus
from vmmonbench.workload import Workload, to_toml

HOSTS_FILE = ".fake-hosts.toml"


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
    wire: WireProtocol = WireProtocol.STOMP  # how the monitoring core talks to the hosts
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
        self.database = RunDatabase(options.db_url, options.out_dir)
        self.results = Results(
            workload=self.workload.to_dict(), environment=_environment(), runs=()
        )
        self._hosts: FakeHostProcesses | RemoteHosts | None = None
        self._failure: str | None = None
        self._profiling: ProfilingSession | None = None
        if options.profile:
            profiler = options.cpu_profiler or CpuProfiler(options.out_dir)
            self._profiling = ProfilingSession(profiler, self.progress.message)

    def run(self) -> Results:
        """Run every configuration; returns the results (also on interrupt or failure)."""
        out = self.options.out_dir
        # the hosts start without faults: each configuration switches them on when measuring
        hosts_file = out / HOSTS_FILE
        hosts_file.write_text(to_toml(replace(self.workload, faults=())))
        with self.database:
            self._record_database()
            self._run_with_database(hosts_file)
        self._extra(runner_peak_rss_bytes=_peak_rss_bytes())
        if self._profiling is not None:
            self._extra(cpu_profile=self._profiling.status)
        if self._failure is not None:
            self.results = replace(self.results, status=RunStatus.FAILED, failure=self._failure)
        elif self.options.stop.is_set():
            self.results = replace(self.results, status=RunStatus.INTERRUPTED)
        return self.results

    def _run_with_database(self, hosts_file: Path) -> None:
        out = self.options.out_dir
        self._hosts = self._start_hosts(hosts_file)
        try:
            endpoints = self._hosts.start()
            self._adopt_remote_inventory(endpoints)
            (out / "workload.toml").write_text(to_toml(self.workload))
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
        except RunFailedError as exc:
            self._fail(exc.message)
        except HostCallError as exc:
            # the measured phase survives host faults; a control call failing means a host died
            self._fail(self._hosts.died() or f"fake host stopped answering: {exc}")
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            if not self.options.connect:
                raise  # our own fake hosts: a bug, keep its traceback
            # a host started elsewhere answered a control call with something unusable
            self._fail(f"a fake host given to --connect sent an unusable reply ({exc!r:.120})")
        finally:
            self._hosts.stop()
            hosts_file.unlink(missing_ok=True)

    def _extra(self, **changes: Any) -> None:
        self.results = replace(self.results, extra=replace(self.results.extra, **changes))

    def _start_hosts(self, hosts_file: Path) -> FakeHostProcesses | RemoteHosts:
        if self.options.connect:
            return RemoteHosts(self.options.connect)
        hosts = self.workload.hosts
        processes = self.options.fake_host_processes or max(1, min(hosts, (hosts + 4) // 5))
        return FakeHostProcesses(
            hosts_file, hosts, processes=processes, log_dir=self.options.out_dir
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
        if self._failure is None:
            self._failure = reason
        self.options.stop.set()

    def _died(self) -> str | None:
        return self._hosts.died() if self._hosts is not None else None

    def _record_database(self) -> None:
        described = self.database.describe()
        notes = self.results.notes
        if described.get("caveat"):
            notes += (described["caveat"],)
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
        )
        try:
            total = len(self.options.configurations)
            for number, config in enumerate(self.options.configurations, start=1):
                if self.options.stop.is_set():
                    break
                self.progress.configuration_started(
                    config.label, number, total, self.workload.duration_s
                )
                result = measure_configuration(config, ctx)
                self.results = replace(self.results, runs=(*self.results.runs, result))
                self._extra(population_s=databases.population_s)
                self.progress.configuration_done(result)
                if self.options.on_results is not None:
                    self.options.on_results(self.results)
        finally:
            databases.close()
            for client in controls.values():
                client.close()

    def _vms_by_host(self, hosts: list[MonitoredHost]) -> dict[str, list[str]]:
        w = self.workload
        return {
            host.id: [
                vm.id for vm in inventory.host_spec(w.seed, host.index, w.vms, w.vnics, w.disks).vms
            ]
            for host in hosts
        }


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
