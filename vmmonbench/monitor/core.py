"""The monitoring core of one configuration: every host's timers, event workers and commands."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from vmmonbench import protocol
from vmmonbench.configuration import REFRESH_DELAY_S, STATS_DELAY_S, Configuration, FetchMode
from vmmonbench.db.dao import MonitoringDao
from vmmonbench.db.database import Database
from vmmonbench.monitor.clock import WarpClock
from vmmonbench.monitor.commands import Command, CommandExecutor, CommandSample
from vmmonbench.monitor.host_monitor import HostMonitor, MonitoredHost
from vmmonbench.monitor.hostclient import HostClient
from vmmonbench.monitor.locks import LockManager
from vmmonbench.monitor.persistence_rules import PersistenceRules
from vmmonbench.monitor.samples import CycleSample
from vmmonbench.monitor.scheduler import Scheduler
from vmmonbench.monitor.state import MonitorState


@dataclass(slots=True)
class CoreCounters:
    """Counts kept beside the samples."""

    events_received: int = 0
    events_ignored: int = 0
    vms_lost: int = 0
    reconnects: int = 0


@dataclass(slots=True)
class _Recorder:
    samples: list[CycleSample] = field(default_factory=list)
    commands: list[CommandSample] = field(default_factory=list)
    listeners: list[Callable[[CycleSample], None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sample(self, sample: CycleSample) -> None:
        with self.lock:
            self.samples.append(sample)
        for listener in self.listeners:
            listener(sample)

    def command(self, sample: CommandSample) -> None:
        with self.lock:
            self.commands.append(sample)


class MonitoringCore:
    """Monitors every host of a run in one configuration, on simulated time.

    Host timers run on a bounded pool of monitoring threads (as the engine's scheduler does),
    each host's events on its own single worker (the engine's event refresher asks for the next
    event only when it has processed the last), commands on their own pool; all share the
    configuration's locks.
    """

    def __init__(
        self,
        config: Configuration,
        hosts: Sequence[MonitoredHost],
        vms_by_host: Mapping[str, Sequence[str]],
        db: Database,
        clock: WarpClock,
        scheduler: Scheduler,
        *,
        monitoring_threads: int = 10,
        command_threads: int = 16,
        call_timeout_s: float = 30.0,
    ) -> None:
        self.config = config
        self.rules = PersistenceRules.of(config)
        self.hosts = list(hosts)
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.counters = CoreCounters()
        self.recorder = _Recorder()
        all_vms = [vm for host in self.hosts for vm in vms_by_host.get(host.id, ())]
        self.locks = LockManager(config.lock, [h.id for h in self.hosts], all_vms)
        self.states = {host.id: MonitorState() for host in self.hosts}
        self.clients = {
            host.id: HostClient(
                host.address,
                host.port,
                timeout_s=call_timeout_s,
                on_event=self._event_handler(host),
                wire=host.wire,
                max_reply_bytes=host.max_reply_bytes,
            )
            for host in self.hosts
        }
        self.monitors = {
            host.id: HostMonitor(
                host,
                self.clients[host.id],
                db,
                self.rules,
                self.locks,
                clock,
                self.states[host.id],
            )
            for host in self.hosts
        }
        self.commands = CommandExecutor(
            db, self.locks, self.clients, self.states, clock, record=self.recorder.command
        )
        self._monitoring = ThreadPoolExecutor(
            max(1, min(len(self.hosts), monitoring_threads)), thread_name_prefix="monitoring"
        )
        self._events = {
            host.id: ThreadPoolExecutor(1, thread_name_prefix=f"events-{host.index}")
            for host in self.hosts
        }
        self._commands = ThreadPoolExecutor(command_threads, thread_name_prefix="commands")
        self._stopping = threading.Event()

    def on_sample(self, listener: Callable[[CycleSample], None]) -> None:
        """Call `listener` (on the recording thread) with every sample recorded from now on."""
        self.recorder.listeners.append(listener)

    # life cycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Connect, fill the 4.1 in-memory caches, subscribe to events, arm the host timers."""
        for client in self.clients.values():
            client.connect()
        self._fill_caches()
        if self.config.fetch is FetchMode.EVENTS:
            for client in self.clients.values():
                client.subscribe()
        period = STATS_DELAY_S if self.config.fetch is FetchMode.EVENTS else REFRESH_DELAY_S
        start = self.clock.now()
        for host in self.hosts:
            # hosts join at different moments in a real engine: spread their timers' phases
            self.scheduler.at(start + period * host.index / len(self.hosts), self._timer(host))

    def _fill_caches(self) -> None:
        if not (self.rules.device_hash_cache or self.rules.jobs_in_memory):
            return
        with self.db.session() as session:
            dao = MonitoringDao(session)
            if self.rules.device_hash_cache:
                hashes: dict[str, str | None] = dict(dao.get_all_hashes())
                for state in self.states.values():
                    state.hash_cache.update(hashes)
            if self.rules.jobs_in_memory:
                job_ids = {job_id for (job_id,) in dao.get_all_vm_job_ids()}
                for state in self.states.values():
                    state.job_ids.update(job_ids)

    def stop_timers(self) -> None:
        """No new timer, command or event work after this (in-flight work finishes)."""
        self._stopping.set()

    def close(self) -> None:
        """Stop every pool and close the host connections."""
        self._stopping.set()
        for pool in (self._monitoring, *self._events.values(), self._commands):
            pool.shutdown(wait=True, cancel_futures=True)
        for client in self.clients.values():
            client.close()

    # timers ------------------------------------------------------------------------------------
    def _timer(self, host: MonitoredHost) -> Any:
        def fire() -> None:
            if self._stopping.is_set():
                return
            self.scheduler.begin_work()
            self._monitoring.submit(self._run_timer, host)

        return fire

    def _run_timer(self, host: MonitoredHost) -> None:
        monitor = self.monitors[host.id]
        try:
            if self.config.fetch is FetchMode.EVENTS:
                sample = monitor.statistics_cycle()
                delay = STATS_DELAY_S
            else:
                sample = monitor.refresh()
                delay = REFRESH_DELAY_S
            self.recorder.sample(sample)
        finally:
            if not self._stopping.is_set():
                # fixed delay: the next run is due `delay` after this one *ended*
                self.scheduler.at(self.clock.now() + delay, self._timer(host))
            self.scheduler.end_work()

    # events -------------------------------------------------------------------------------------
    def _event_handler(self, host: MonitoredHost) -> Any:
        def handle(method: str, params: dict[str, Any], size: int) -> None:
            if not method.startswith(protocol.EVENT_PREFIX):
                return
            notify_time = params.get("notify_time")
            # a STOMP notification may carry several VMs: each gets its share of the bytes
            size //= max(1, len(params) - ("notify_time" in params))
            for vm_id, data in params.items():
                if vm_id == "notify_time" or not isinstance(data, dict):
                    continue
                self.counters.events_received += 1
                self.scheduler.begin_work()
                self.scheduler.event_arrived()
                if self._stopping.is_set():
                    self.scheduler.end_work()
                    continue
                self._events[host.id].submit(self._run_event, host, vm_id, data, notify_time, size)

        return handle

    def _run_event(
        self,
        host: MonitoredHost,
        vm_id: str,
        data: dict[str, Any],
        notify_time: Any,
        size: int,
    ) -> None:
        try:
            monitor = self.monitors[host.id]
            time_ms = notify_time if isinstance(notify_time, int) else None
            sample = monitor.on_event(vm_id, data, time_ms)
            sample.rpc_bytes += size
            self.recorder.sample(sample)
        finally:
            self.scheduler.end_work()

    # commands -----------------------------------------------------------------------------------
    def schedule_commands(self, commands: Iterable[Command]) -> None:
        """Arm every command at its simulated time."""
        for command in commands:
            self.scheduler.at(command.at_s, self._command_action(command))

    def _command_action(self, command: Command) -> Any:
        def fire() -> None:
            if self._stopping.is_set():
                return
            self.scheduler.begin_work()
            self._commands.submit(self._run_command, command)

        return fire

    def _run_command(self, command: Command) -> None:
        try:
            self.commands.execute(command)
        finally:
            self.scheduler.end_work()

    # after the run --------------------------------------------------------------------------------
    def settle(self) -> list[CycleSample]:
        """One more statistics cycle per host once inputs stopped, so the DB can converge."""
        return [self.monitors[host.id].statistics_cycle() for host in self.hosts]

    def collect_counters(self) -> CoreCounters:
        """Totals over clients and host monitors so far."""
        counters = CoreCounters(events_received=self.counters.events_received)
        for client in self.clients.values():
            counters.reconnects += client.counters.reconnects
        for monitor in self.monitors.values():
            counters.events_ignored += monitor.events_ignored
            counters.vms_lost += monitor.vms_lost
        return counters
