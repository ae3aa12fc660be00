"""The records of one configuration's results: what results.json stores, typed field by field.

Each record is a frozen slotted dataclass whose fields are the JSON keys, so the file is read
(and checked, type by type) straight into them. A record that may be absent from a run
(the write floor, the CPU profile) has defaults that decode from `{}` and say "not recorded".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from vmmonbench.db import dao
from vmmonbench.db.work import DbWork
from vmmonbench.hotspots import CodeOrDbTime, HotSpot
from vmmonbench.monitor.samples import CycleKind

__all__ = ["CycleKind"]  # the cycles' kinds are the results' vocabulary too


class RunStatus(StrEnum):
    """Values of `status` at the top level and per run."""

    COMPLETE = "complete"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    UNFINISHED = "unfinished"  # top level only: saved while the run goes on (or if it was killed)


@dataclass(frozen=True, slots=True)
class CycleCounts:
    """Completed cycles by kind (skipped and failed ones are not counted)."""

    stats: int = 0
    list: int = 0
    event: int = 0


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Headline figures of one configuration as stored (times in seconds).

    Figures with raw samples are derived from the cycles by `vmmonbench.figures`, which is
    also what computed these values when the run was measured.
    """

    simulated_s: float = 0.0
    hosts: int = 1
    cycles: CycleCounts = field(default_factory=CycleCounts)
    effective_stats_period_s: float | None = None
    stats_cycle_s: float = 0.0
    busy_s: float = 0.0
    utilization: float = 0.0
    db_time_s: float = 0.0
    monitoring_db_time_s: float = 0.0
    db_time_per_stats_cycle_s: float = 0.0
    statements: int = 0
    statements_per_stats_cycle: float = 0.0
    rows_written: int = 0
    rows_written_per_stats_cycle: float = 0.0
    rpc_calls: int = 0
    rpc_bytes: int = 0
    vms_skipped: int = 0
    cycles_skipped: int = 0
    failed_cycles: int = 0
    events_received: int = 0
    events_ignored: int = 0
    vms_lost: int = 0
    reconnects: int = 0
    command_wait_p99_s: float = 0.0


@dataclass(frozen=True, slots=True)
class StatementRecord:
    """One normalized statement under one label: calls, rows and self-time distribution."""

    label: str
    sql: str
    calls: int
    rows: int
    total_s: float
    mean_s: float = 0.0
    p50_s: float = 0.0
    p95_s: float = 0.0
    p99_s: float = 0.0
    max_s: float = 0.0
    share: float = 0.0  # of the run's DB self time
    kind: str = ""  # read, write, other (the normalizer's classification)
    # the server's buffer and WAL counters for its calls (pg_stat_statements); None: not known
    # (SQLite, results written before they were recorded, SQL shared by several labels)
    work: DbWork | None = None
    # SQLite's virtual-machine steps of its calls, where the run counted them (--sqlite-steps)
    vm_steps: int | None = None

    @property
    def blocks(self) -> int | None:
        """Shared blocks the server accessed for this statement (hit + read), if known."""
        return None if self.work is None else self.work.blocks


@dataclass(frozen=True, slots=True)
class CycleRecord:
    """One unit of monitoring work as measured: a statistics cycle, list cycle or event."""

    kind: CycleKind
    host: int
    start_s: float
    duration_s: float = 0.0
    db_time_s: float = 0.0
    statements: int = 0
    rows_read: int = 0
    rows_written: int = 0
    vms_analysed: int = 0
    vms_skipped: int = 0
    vms_changed: int = 0
    rpc_calls: int = 0
    rpc_bytes: int = 0
    # waited on host calls (the host's work, transfer, the reply's decode); None: not recorded
    # (results written before it was)
    rpc_s: float | None = None
    skipped: bool = False
    failed: str | None = None

    @property
    def completed(self) -> bool:
        """Neither skipped (lock held by a command) nor failed."""
        return not self.skipped and not self.failed


@dataclass(frozen=True, slots=True)
class CommandWaits:
    """User commands: how many, how long they waited for their lock (raw waits kept)."""

    count: int = 0
    failed: int = 0
    wait_p50_s: float = 0.0
    wait_p95_s: float = 0.0
    wait_p99_s: float = 0.0
    wait_max_s: float = 0.0
    wait_mean_s: float = 0.0
    by_kind: Mapping[str, int] = field(default_factory=dict)
    waits_s: tuple[float, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Consistency:
    """Does the database hold the hosts' truth after the run? (Counts are None if unchecked.)"""

    checked: bool = False
    reason: str | None = None  # why it was not checked
    checked_vms: int | None = None
    divergent_vms: int | None = None
    reasons: Mapping[str, int] = field(default_factory=dict)
    examples: tuple[str, ...] = ()
    divergent_before_settle: int | None = None
    settle_cycles: int = 0
    settle_failed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FloorTable:
    """One table's rows rewritten by one raw executemany, and how long that took."""

    rows: int
    floor_s: float


# The batch-written tables of a statistics cycle: statement label -> (table, key column).
FLOOR_TABLES: Mapping[str, tuple[str, str]] = {
    dao.UPDATE_VM_DYNAMIC: ("vm_dynamic", "vm_guid"),
    dao.UPDATE_VM_STATISTICS: ("vm_statistics", "vm_guid"),
    dao.UPDATE_VM_NIC_STATISTICS: ("vm_interface_statistics", "id"),
    dao.UPDATE_DISK_DYNAMIC: ("disk_image_dynamic", "image_id"),
}


@dataclass(frozen=True, slots=True)
class Floor:
    """A statistics cycle's rows rewritten the cheapest way, beside the configuration's writes."""

    tables: Mapping[str, FloorTable] = field(default_factory=dict)
    floor_s: float = 0.0
    rows: int = 0
    write_s_per_stats_cycle: float | None = None  # None: the floor was not measured

    @property
    def measured(self) -> bool:
        """Whether this run measured its floor (a stopped run does not)."""
        return self.write_s_per_stats_cycle is not None


@dataclass(frozen=True, slots=True)
class ServerStatement:
    """One normalized SQL as the client timed it beside what pg_stat_statements counted."""

    sql: str
    labels: tuple[str, ...] = ()
    match: str = "both"  # both, client-only, server-only
    client_calls: int = 0
    server_calls: int = 0
    client_rows: int = 0
    server_rows: int = 0
    client_total_s: float = 0.0
    server_exec_s: float = 0.0
    work: DbWork | None = None  # the server's buffer and WAL counters (None: not recorded)


@dataclass(frozen=True, slots=True)
class ServerCheck:
    """The pg_stat_statements cross-check, or why the database could not offer it."""

    available: bool = False
    reason: str | None = None
    statements: tuple[ServerStatement, ...] = ()


@dataclass(frozen=True, slots=True)
class CpuProfile:
    """One configuration's CPU profile (py-spy), or why there is none."""

    available: bool = False
    reason: str | None = None
    rate_hz: float = 0.0
    samples: int = 0
    speedscope: str | None = None  # file names in the results folder
    flamegraph: str | None = None
    hot_spots: tuple[HotSpot, ...] = ()
    monitoring_hot_spots: tuple[HotSpot, ...] = ()
    code_vs_db: tuple[CodeOrDbTime, ...] = ()

    @property
    def recorded(self) -> bool:
        """Whether profiling was asked for this configuration (available or not)."""
        return self.available or self.reason is not None


@dataclass(frozen=True, slots=True)
class WorldChanges:
    """What the simulated world did to the hosts during the measured phase."""

    status_changes: int = 0
    device_changes: int = 0
    failures: tuple[str, ...] = ()
    expected_events_lost: int = 0


@dataclass(frozen=True, slots=True)
class FaultsSeen:
    """Faults the hosts injected and what the monitoring core made of them."""

    injected: Mapping[str, int] = field(default_factory=dict)
    failed_cycles: int = 0
    reconnects: int = 0
    events_ignored: int = 0
    vms_lost: int = 0
    failures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MemoryTrace:
    """The runner's resident memory over simulated time (thinned), and at the end."""

    rss_samples: tuple[tuple[float, int], ...] = ()
    rss_end_bytes: int = 0


@dataclass(frozen=True, slots=True)
class CommandTrafficInfo:
    """The workload's user commands as the results record them."""

    rate_per_s: float = 0.0
    latency_ms: float = 0.0
    mix: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WorkloadInfo:
    """The workload's parameters as the results record them, typed (the results also keep the
    parameters as written, which compare checks key by key)."""

    name: str = ""
    description: str = ""
    vms: int = 0
    hosts: int = 1
    vnics: int = 0
    disks: int = 0
    duration_s: float = 0.0
    seed: int | None = None
    churn_per_vm_hour: float = 0.0
    devices_change_per_vm_hour: float = 0.0
    guest_nic_reorder: bool = True
    stats: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    commands: CommandTrafficInfo = field(default_factory=CommandTrafficInfo)
    faults: tuple[str, ...] = ()
    total_vms: int | None = None


@dataclass(frozen=True, slots=True)
class Environment:
    """Where the run ran."""

    python: str = ""
    implementation: str = ""
    platform: str = ""
    machine: str = ""
    cpu_count: int | None = None
    hostname: str = ""
    db_dialect: str | None = None
    db_server: str | None = None  # e.g. embedded PostgreSQL, external PostgreSQL, SQLite
    db_server_version: str | None = None


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    """The database the run wrote to (its URL with every secret masked) and its server."""

    kind: str | None = None  # embedded, sqlite, external
    url: str = ""
    dialect: str | None = None
    server_version: str | None = None
    server: str | None = None
    package: str | None = None  # the embedded server's package
    startup_s: float | None = None  # the embedded server's start-up time
    run_as: str | None = None  # the OS user the embedded server runs as
    schema: str | None = None  # the schema of its own on an external server
    caveat: str | None = None  # what its figures do not show


@dataclass(frozen=True, slots=True)
class FakeHostsInfo:
    """The fake-host processes that served the run."""

    processes: int = 0
    endpoints: tuple[str, ...] = ()
    remote: bool = False
    peak_rss_bytes: tuple[int, ...] = ()
    protocol: str | None = None  # how the monitoring core talked to them, when recorded


@dataclass(frozen=True, slots=True)
class ProfilingStatus:
    """Whether CPU profiling was asked for the run, and why it is off when it is."""

    requested: bool = False
    available: bool = False
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RunExtras:
    """Run-level facts beyond the contract's minimum (results.json's `extra`)."""

    fake_hosts: FakeHostsInfo | None = None
    population_s: float | None = None
    runner_peak_rss_bytes: int | None = None
    # the embedded server's peak memory: postmaster and backends, proportional set sizes
    server_peak_bytes: int | None = None
    cpu_profile: ProfilingStatus | None = None
