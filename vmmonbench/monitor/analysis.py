"""VM analysis: compare what a host reported with what the database holds; plan the writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from vmmonbench.db.dao import DYNAMIC_COLUMNS, MonitoringDao, statistics_columns
from vmmonbench.db.database import BoundTimestamp
from vmmonbench.monitor.persistence_rules import PersistenceRules
from vmmonbench.monitor.state import MonitorState
from vmmonbench.vdsm import (
    GuestNic,
    dynamic_from_stats,
    guest_memory_from_stats,
    guest_nics_from_stats,
    guest_nics_hash,
)
from vmmonbench.vmstatus import VmStatus

EXIT_LOST = 2  # exit_status Error: the VM vanished from its host


@dataclass(slots=True)
class SavePlan:
    """Everything a cycle (or an event) will write, grouped as the engine batches it."""

    dynamic: list[dict[str, Any]] = field(default_factory=list)
    statistics: list[dict[str, Any]] = field(default_factory=list)
    statistics_columns: tuple[str, ...] = ()
    nic_statistics: list[dict[str, Any]] = field(default_factory=list)
    disks: list[dict[str, Any]] = field(default_factory=list)
    guest_nics: dict[str, list[GuestNic]] = field(default_factory=dict)
    device_checks: dict[str, str | None] = field(default_factory=dict)  # vm -> new devices hash
    device_inserts: list[dict[str, Any]] = field(default_factory=list)
    device_updates: list[dict[str, Any]] = field(default_factory=list)
    device_removals: list[tuple[str, str]] = field(default_factory=list)
    hashes: list[dict[str, Any]] = field(default_factory=list)
    destroy: list[str] = field(default_factory=list)  # Down VMs the host should forget
    analysed: int = 0
    changed: int = 0

    def sort(self) -> None:
        """Batches go out sorted by id, as the engine writes them (and to avoid deadlocks)."""
        self.dynamic.sort(key=lambda r: r["b_vm_guid"])
        self.statistics.sort(key=lambda r: r["b_vm_guid"])
        self.nic_statistics.sort(key=lambda r: r["b_id"])
        self.disks.sort(key=lambda r: (r["b_disk_id"], r["b_vm_id"]))
        self.hashes.sort(key=lambda r: r["b_vm_guid"])


@dataclass(slots=True)
class CycleContext:
    """One cycle's (or event's) view: DAO, host, whether statistics are processed, memo."""

    dao: MonitoringDao
    host_id: str
    statistics: bool
    now: BoundTimestamp
    partial: bool = False
    host_numa_read: bool = False


class VmAnalyzer:
    """Analyses one VM at a time into a SavePlan, reading only what the rules say it reads."""

    def __init__(self, rules: PersistenceRules, state: MonitorState) -> None:
        self.rules = rules
        self.state = state

    def begin(self, ctx: CycleContext, plan: SavePlan) -> None:
        """Per-cycle reads done once before the VMs (3.6 reads every VM job id each time)."""
        if not self.rules.jobs_in_memory:
            ctx.dao.get_all_vm_job_ids()
        if ctx.statistics:
            plan.statistics_columns = statistics_columns(
                guest_memory=not self.rules.guest_memory_in_dynamic,
                history=self.rules.statistics_history,
            )

    def analyze(
        self,
        ctx: CycleContext,
        vm_id: str,
        report: Mapping[str, Any],
        row: Mapping[Any, Any],
        plan: SavePlan,
    ) -> None:
        """Compare one VM's report with its stored row and add what changed to the plan."""
        rules = self.rules
        plan.analysed += 1
        running = report.get("status") != "Down"
        nic_rows: Sequence[Any] | None = None
        if running and ctx.statistics:
            nic_rows = self._per_vm_reads(ctx, vm_id, report)
        elif not rules.jobs_in_memory:
            ctx.dao.get_vm_jobs_by_vm(vm_id)

        reported = dynamic_from_stats(report, partial=ctx.partial)
        reported["run_on_vds"] = ctx.host_id if running else None
        if running and rules.guest_memory_in_dynamic and "memoryStats" in report:
            reported.update(guest_memory_from_stats(report))
        nics_changed = False
        if running and "netIfaces" in report:
            nics_changed = self._guest_nics(vm_id, report, row, reported, plan)
        if running and "hash" in report:
            self._devices_hash(vm_id, str(report["hash"]), row, reported, plan)
        if not running:
            plan.destroy.append(vm_id)  # the host keeps an exited VM until the engine destroys it

        # `reported` holds exactly the columns this configuration compares; new guest NICs
        # save the dynamic row too (their hash lives there)
        if nics_changed or any(value != row.get(column) for column, value in reported.items()):
            new_row = {c: row.get(c) for c in DYNAMIC_COLUMNS}
            new_row.update(reported)
            new_row["_update_date"] = ctx.now
            new_row["b_vm_guid"] = vm_id
            plan.dynamic.append(new_row)
            plan.changed += 1

        if running and ctx.statistics:
            nic_statistics = self._nic_rows(ctx, report, nic_rows) if nic_rows else []
            plan.nic_statistics.extend(nic_statistics)
            usage_net = max((max(r["rx_rate"], r["tx_rate"]) for r in nic_statistics), default=0.0)
            plan.statistics.append(self._statistics_row(ctx, vm_id, report, plan, usage_net))
            plan.disks.extend(self._disk_rows(ctx, vm_id, report))

    def vm_lost(
        self, ctx: CycleContext, vm_id: str, row: Mapping[Any, Any], plan: SavePlan
    ) -> None:
        """A VM the database places on this host that the host no longer knows: it is Down."""
        plan.analysed += 1
        new_row = {c: row.get(c) for c in DYNAMIC_COLUMNS}
        new_row.update(
            status=int(VmStatus.DOWN),
            run_on_vds=None,
            exit_status=EXIT_LOST,
            exit_message="VM vanished from its host",
            _update_date=ctx.now,
            b_vm_guid=vm_id,
        )
        plan.dynamic.append(new_row)
        plan.changed += 1

    # per-VM reads ------------------------------------------------------------------------
    def _per_vm_reads(
        self, ctx: CycleContext, vm_id: str, report: Mapping[str, Any]
    ) -> Sequence[Any] | None:
        rules, dao = self.rules, ctx.dao
        nic_rows: Sequence[Any] | None = None
        if rules.light_nic_view:
            if report.get("network"):
                nic_rows = dao.get_vm_nic_to_monitor(vm_id)
        else:
            nic_rows = dao.get_vm_nic_view(vm_id)
        if not (rules.skip_vm_numa_without_data and not report.get("vNodeRuntimeInfo")):
            if not rules.read_host_numa_once or not ctx.host_numa_read:
                dao.get_numa_node_by_vds(ctx.host_id)
                dao.get_numa_node_cpu_by_vds(ctx.host_id)
                ctx.host_numa_read = True
            dao.get_numa_node_by_vm(vm_id)
            dao.get_numa_node_cpu_by_vm(vm_id)
            dao.get_all_assigned_numa()
        if not rules.jobs_in_memory:
            dao.get_vm_jobs_by_vm(vm_id)
        return nic_rows

    # dynamic-data helpers -------------------------------------------------------------------
    def _guest_nics(
        self,
        vm_id: str,
        report: Mapping[str, Any],
        row: Mapping[Any, Any],
        reported: dict[str, Any],
        plan: SavePlan,
    ) -> bool:
        nics = guest_nics_from_stats(report)
        nics_hash = guest_nics_hash(nics)
        # 3.6 compared the list's hash with the one on the dynamic data VDSM's reply was parsed
        # into, which the parser never fills (0): every VM's NICs were rewritten every cycle,
        # and so was its vm_dynamic row. 4.1 compares with the hash stored in the database.
        known = row.get("guest_agent_nics_hash") if self.rules.guest_nics_hash_from_db else 0
        if nics_hash == known:
            return False
        reported["guest_agent_nics_hash"] = nics_hash
        plan.guest_nics[vm_id] = nics
        return True

    def _devices_hash(
        self,
        vm_id: str,
        devices_hash: str,
        row: Mapping[Any, Any],
        reported: dict[str, Any],
        plan: SavePlan,
    ) -> None:
        if self.rules.device_hash_cache:
            known = self.state.hash_cache.get(vm_id, row.get("hash"))
        else:
            known = row.get("hash")
        changed = devices_hash != known
        if changed:
            plan.device_checks[vm_id] = devices_hash
        if self.rules.hash_is_dynamic_field or (changed and not self.rules.device_hash_cache):
            # without the devices cache a new hash rewrites the whole vm_dynamic row
            reported["hash"] = devices_hash

    # statistics ------------------------------------------------------------------------------
    def _statistics_row(
        self,
        ctx: CycleContext,
        vm_id: str,
        report: Mapping[str, Any],
        plan: SavePlan,
        network_usage: float,
    ) -> dict[str, Any]:
        cpu_user = _float(report.get("cpuUser"))
        cpu_sys = _float(report.get("cpuSys"))
        usage_cpu = min(100, round(cpu_user + cpu_sys))
        usage_mem = round(_float(report.get("memUsage")))
        usage_net = min(100, round(network_usage))
        row: dict[str, Any] = {
            "b_vm_guid": vm_id,
            "cpu_user": cpu_user,
            "cpu_sys": cpu_sys,
            "elapsed_time": round(_float(report.get("elapsedTime"))),
            "usage_network_percent": usage_net,
            "usage_mem_percent": usage_mem,
            "usage_cpu_percent": usage_cpu,
            "disks_usage": orjson.dumps(report.get("disksUsage") or []).decode(),
        }
        history = self.state.usage_history(vm_id)
        history.cpu.append(usage_cpu)
        history.memory.append(usage_mem)
        history.network.append(usage_net)
        if "cpu_usage_history" in plan.statistics_columns:
            row["migration_progress_percent"] = int(report.get("migrationProgress") or 0)
            row["cpu_usage_history"] = ",".join(map(str, history.cpu))
            row["memory_usage_history"] = ",".join(map(str, history.memory))
            row["network_usage_history"] = ",".join(map(str, history.network))
        if "guest_mem_cached" in plan.statistics_columns:
            memory = guest_memory_from_stats(report)
            row["guest_mem_buffered"] = memory["guest_mem_buffered"]
            row["guest_mem_cached"] = memory["guest_mem_cached"]
        row["_update_date"] = ctx.now
        return row

    def _nic_rows(
        self, ctx: CycleContext, report: Mapping[str, Any], nic_rows: Sequence[Any]
    ) -> list[dict[str, Any]]:
        network: Mapping[str, Any] = report.get("network") or {}
        rows: list[dict[str, Any]] = []
        for stored in nic_rows:
            counters = network.get(stored["name"])
            if counters is None:
                continue
            rx, tx = _int(counters.get("rx")), _int(counters.get("tx"))
            sample_time = _float(counters.get("sampleTime"))
            elapsed = sample_time - float(stored["sample_time"] or 0)
            capacity = max(1, int(stored["speed"] or 1000)) * 125_000  # bytes/s at link speed
            rx_rate = tx_rate = 0.0
            rx_total = stored["rx_total"]
            if elapsed > 0 and rx_total is not None:
                rx_rate = max(0.0, (rx - rx_total) / elapsed / capacity * 100)
                tx_rate = max(0.0, (tx - (stored["tx_total"] or 0)) / elapsed / capacity * 100)
            rows.append(
                {
                    "b_id": stored["id"],
                    "rx_rate": round(rx_rate, 4),
                    "tx_rate": round(tx_rate, 4),
                    "rx_drop": _int(counters.get("rxDropped")),
                    "tx_drop": _int(counters.get("txDropped")),
                    "rx_total": rx,
                    "tx_total": tx,
                    "rx_offset": stored["rx_offset"] or 0,
                    "tx_offset": stored["tx_offset"] or 0,
                    "iface_status": 1 if counters.get("state") == "up" else 0,
                    "sample_time": sample_time,
                    "_update_date": ctx.now,
                }
            )
        return rows

    def _disk_rows(
        self, ctx: CycleContext, vm_id: str, report: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for disk in (report.get("disks") or {}).values():
            disk_id = disk.get("imageID")
            if not disk_id:
                continue
            rows.append(
                {
                    "b_disk_id": disk_id,
                    "b_vm_id": vm_id,
                    "read_rate": _int(disk.get("readRate")),
                    "write_rate": _int(disk.get("writeRate")),
                    "actual_size": _int(disk.get("truesize")),
                    "read_latency_seconds": _float(disk.get("readLatency")) / 1e9,
                    "write_latency_seconds": _float(disk.get("writeLatency")) / 1e9,
                    "flush_latency_seconds": _float(disk.get("flushLatency")) / 1e9,
                    "_update_date": ctx.now,
                }
            )
        return rows


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _int(value: Any) -> int:
    try:
        return int(value)  # VDSM's counters travel as digit strings: the common, fast case
    except (TypeError, ValueError):
        pass
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return 0
