"""Monitoring of one host: statistics cycles, polling refreshes and status events."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from vmmonbench import protocol
from vmmonbench.configuration import STATS_EVERY_REFRESHES
from vmmonbench.db.dao import MonitoringDao
from vmmonbench.db.database import Database
from vmmonbench.db.profiler import ActivityTally
from vmmonbench.monitor.analysis import CycleContext, SavePlan, VmAnalyzer
from vmmonbench.monitor.clock import WarpClock
from vmmonbench.monitor.devices import plan_device_changes
from vmmonbench.monitor.gcpause import GC_PAUSE
from vmmonbench.monitor.hostclient import HostCallError, HostClient
from vmmonbench.monitor.locks import LockManager
from vmmonbench.monitor.persistence import save
from vmmonbench.monitor.persistence_rules import PersistenceRules, VmListSource
from vmmonbench.monitor.samples import CycleKind, CycleSample
from vmmonbench.monitor.state import MonitorState
from vmmonbench.protocol import WireProtocol
from vmmonbench.vmstatus import engine_status

EPOCH = datetime(2016, 7, 25, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class MonitoredHost:
    """A host as the monitoring core knows it: DB id, index, where its agent listens and how."""

    id: str
    index: int
    address: str
    port: int
    wire: WireProtocol = WireProtocol.LINE
    max_reply_bytes: int = protocol.MAX_RESPONSE_LINE  # what its inventory can produce


def _report_time(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class HostMonitor:
    """All VM monitoring of one host, run on whatever thread the scheduler gives it."""

    def __init__(
        self,
        host: MonitoredHost,
        client: HostClient,
        db: Database,
        rules: PersistenceRules,
        locks: LockManager,
        clock: WarpClock,
        state: MonitorState,
    ) -> None:
        self.host = host
        self.client = client
        self.db = db
        self.rules = rules
        self.locks = locks
        self.clock = clock
        self.state = state
        self.analyzer = VmAnalyzer(rules, state)
        self.refreshes = 0
        self.events_ignored = 0
        self.vms_lost = 0

    # measuring -----------------------------------------------------------------------------
    @contextmanager
    def _measured(self, kind: str) -> Iterator[CycleSample]:
        sample = CycleSample(kind=kind, host=self.host.index, start_s=self.clock.now())
        rpc = self.client.tally()
        started = time.perf_counter()
        tally = ActivityTally()
        try:
            with ExitStack() as stack:
                if kind != CycleKind.EVENT:
                    stack.enter_context(GC_PAUSE)  # cycles hold multi-MB reports, events do not
                if self.db.profiler is not None:
                    tally = stack.enter_context(self.db.profiler.activity())
                yield sample
        except HostCallError as exc:
            sample.failed = str(exc)
        except SQLAlchemyError as exc:
            sample.failed = f"database: {' '.join(str(exc).split())[:200]}"
        finally:
            sample.duration_s = time.perf_counter() - started
            sample.db_time_s = tally.db_time_s
            sample.statements = tally.statements
            sample.rows_read = tally.rows_read
            sample.rows_written = tally.rows_written
            sample.rpc_calls = rpc.calls
            sample.rpc_bytes = rpc.bytes
            sample.rpc_s = rpc.wait_s

    def _now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.clock.now())

    # cycles ----------------------------------------------------------------------------------
    def statistics_cycle(self) -> CycleSample:
        """Fetch every VM's statistics, analyse all VMs, save: one statistics cycle."""
        with self._measured(CycleKind.STATS) as sample:
            if not self.locks.begin_cycle(self.host.id):
                sample.skipped = True
                return sample
            try:
                # The reply is passed, never held here: it must be freed before the measured
                # block re-enables the garbage collector, or the collector walks all of it.
                fetched_at = self.clock.now()
                self._analyse(sample, self.client.call("Host.getAllVmStats") or [], fetched_at)
            finally:
                self.locks.end_cycle(self.host.id)
        return sample

    def refresh(self) -> CycleSample:
        """One polling refresh: every 5th is a statistics cycle, the others list statuses."""
        self.refreshes += 1
        if (self.refreshes - 1) % STATS_EVERY_REFRESHES == 0:
            return self.statistics_cycle()
        return self.list_cycle()

    def list_cycle(self) -> CycleSample:
        """The short list verb; VMs whose status differs from the DB get their own VM.getStats."""
        with self._measured(CycleKind.LIST) as sample:
            if not self.locks.begin_cycle(self.host.id):
                sample.skipped = True
                return sample
            try:
                fetched_at = self.clock.now()
                self._analyse_listed(sample, self.client.call("Host.getVMList") or [], fetched_at)
            finally:
                self.locks.end_cycle(self.host.id)
        return sample

    def _read_vm_list(self, dao: MonitoringDao) -> dict[str, Mapping[Any, Any]]:
        source = self.rules.vm_list
        if source is VmListSource.DYNAMIC:
            rows = dao.get_vms_dynamic_running_on_vds(self.host.id)
        elif source is VmListSource.MONITORING_VIEW:
            rows = dao.get_vms_running_by_vds(self.host.id)
        else:
            rows = dao.get_vms_running_on_vds(self.host.id)
        return {row["vm_guid"]: row for row in rows}

    def _read_single(self, dao: MonitoringDao, vm_id: str) -> Mapping[Any, Any] | None:
        if self.rules.single_vm_from_dynamic:
            row = dao.get_vm_dynamic_by_guid(vm_id)
        else:
            row = dao.get_vm_by_guid(vm_id)
        return row

    def _analyse(self, sample: CycleSample, reports: list[Any], fetched_at: float) -> None:
        reported = {r["vmId"]: r for r in reports if isinstance(r, dict) and "vmId" in r}
        with self.db.session() as session:
            dao = MonitoringDao(session)
            stored = self._read_vm_list(dao)
            candidates = sorted(reported.keys() | stored.keys())
            self._analyse_vms(sample, dao, candidates, reported, stored, fetched_at, True)

    def _analyse_listed(self, sample: CycleSample, listed: list[Any], fetched_at: float) -> None:
        statuses = {
            entry["vmId"]: engine_status(str(entry.get("status")))
            for entry in listed
            if isinstance(entry, dict) and "vmId" in entry
        }
        with self.db.session() as session:
            dao = MonitoringDao(session)
            stored = self._read_vm_list(dao)
            differing = sorted(
                {
                    vm
                    for vm, status in statuses.items()
                    if stored.get(vm, {}).get("status") != status
                }
                | (stored.keys() - statuses.keys())
            )
            reported: dict[str, Any] = {}
            for vm_id in differing:
                if vm_id in statuses:
                    report = self._vm_stats(vm_id)
                    if report is not None:
                        reported[vm_id] = report
            self._analyse_vms(sample, dao, differing, reported, stored, fetched_at, False)

    def _vm_stats(self, vm_id: str) -> dict[str, Any] | None:
        try:
            result = self.client.call("VM.getStats", {"vmID": vm_id})
        except HostCallError as exc:
            if exc.code == protocol.NO_SUCH_VM:
                return None
            raise
        return result[0] if result else None

    def _analyse_vms(
        self,
        sample: CycleSample,
        dao: MonitoringDao,
        candidates: list[str],
        reported: Mapping[str, Any],
        stored: Mapping[str, Mapping[Any, Any]],
        fetched_at: float,
        statistics: bool,
    ) -> None:
        locked, skipped = self.locks.lock_vms(candidates)
        sample.vms_skipped += len(skipped)
        plan = SavePlan()
        processed: list[tuple[str, int | None]] = []
        try:
            ctx = CycleContext(dao, self.host.id, statistics, dao.session.timestamp(self._now()))
            self.analyzer.begin(ctx, plan)
            for vm_id in locked:
                report = reported.get(vm_id)
                if report is None:
                    report = self._confirm_missing(vm_id, stored)
                    if report is None:
                        if vm_id in stored:
                            self.analyzer.vm_lost(ctx, vm_id, stored[vm_id], plan)
                            self.vms_lost += 1
                        continue
                report_time = _report_time(report.get("statusTime"))
                if self.state.is_stale(vm_id, report_time, fetched_at):
                    sample.vms_skipped += 1
                    continue
                row = stored.get(vm_id) or self._read_single(dao, vm_id)
                if row is None:
                    continue  # a VM the engine does not know (external): not monitored here
                self.analyzer.analyze(ctx, vm_id, report, row, plan)
                processed.append((vm_id, report_time))
            plan_device_changes(plan, dao, self.client, self.rules, ctx.now)
            save(plan, dao, self.rules)
            for vm_id, report_time in processed:
                self.state.processed(vm_id, report_time)
            if self.rules.device_hash_cache:
                self.state.hash_cache.update(plan.device_checks)
        finally:
            self.locks.unlock_vms(locked)
        sample.vms_analysed = plan.analysed
        sample.vms_changed = plan.changed
        self._destroy(plan.destroy)

    def _confirm_missing(
        self, vm_id: str, stored: Mapping[str, Mapping[Any, Any]]
    ) -> dict[str, Any] | None:
        # a VM missing from one poll is asked for directly before it is declared Down
        if vm_id not in stored:
            return None
        return self._vm_stats(vm_id)

    def _destroy(self, vm_ids: list[str]) -> None:
        for vm_id in vm_ids:
            try:
                self.client.call("VM.destroy", {"vmID": vm_id})
            except HostCallError as exc:
                if exc.code != protocol.NO_SUCH_VM:
                    raise

    # events ------------------------------------------------------------------------------------
    def on_event(self, vm_id: str, data: Mapping[str, Any], notify_time: int | None) -> CycleSample:
        """Process one VM's status event at once, without statistics."""
        received_at = self.clock.now()
        with (
            self._measured(CycleKind.EVENT) as sample,
            self.locks.for_event(self.host.id, vm_id) as acquired,
        ):
            if not acquired:
                sample.vms_skipped = 1
                return sample
            if self.state.is_stale(vm_id, notify_time, received_at, event=True):
                self.events_ignored += 1
                sample.skipped = True
                return sample
            plan = SavePlan()
            with self.db.session() as session:
                dao = MonitoringDao(session)
                now = dao.session.timestamp(self._now())
                ctx = CycleContext(dao, self.host.id, False, now, partial=True)
                self.analyzer.begin(ctx, plan)
                row = self._read_single(dao, vm_id)
                if row is not None:
                    self.analyzer.analyze(ctx, vm_id, data, row, plan)
                    # an event carries the devices hash too: a change is handled right here
                    plan_device_changes(plan, dao, self.client, self.rules, ctx.now)
                    save(plan, dao, self.rules)
            self.state.processed(vm_id, notify_time)
            if self.rules.device_hash_cache:
                self.state.hash_cache.update(plan.device_checks)
            sample.vms_analysed = plan.analysed
            sample.vms_changed = plan.changed
            self._destroy(plan.destroy)
        return sample
