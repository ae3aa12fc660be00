"""The engine's stored functions on PostgreSQL: names, arguments, and the calls the DAO sends.

The functions themselves live in `vmmonbench/db/postgresql/*.sql` (installed by
`schema.create_schema`); this module says how each is called: its engine name, its arguments
in order (engine argument name, PostgreSQL type, and the DAO row key bound to it), and whether
it reads (`SELECT * FROM Name(...)`) or writes (`SELECT Name(...)`, one call per row, a batch
being one executemany of it). Arguments are cast in the call text so that PostgreSQL resolves
the function from its signature, whatever types the driver sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql

from vmmonbench.db import schema as s
from vmmonbench.db.prepared import Prepared

_PG = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class Argument:
    """One function argument: engine name, PostgreSQL type, and the DAO row key bound to it.

    An argument with a default (the permission check's user and filter flag, which monitoring
    leaves unfiltered) is left out of the call, so the text has only placeholders and
    normalizes the same on the client and in pg_stat_statements.
    """

    name: str
    type: str
    key: str = ""
    defaulted: bool = False


@dataclass(frozen=True, slots=True)
class StoredFunction:
    """An engine stored procedure as the DAO calls it."""

    name: str
    arguments: tuple[Argument, ...]
    writes: bool

    @property
    def bound(self) -> tuple[Argument, ...]:
        """The arguments the caller binds (those without a default), in order."""
        return tuple(a for a in self.arguments if not a.defaulted)

    def call(self, label: str) -> Prepared:
        """The driver text of one call, labelled as the profiler reports it."""
        listed = ", ".join(f"%s::{a.type}" for a in self.bound)
        sql = (
            f"SELECT {self.name}({listed})"
            if self.writes
            else f"SELECT * FROM {self.name}({listed})"
        )
        return Prepared.of(label, sql, [a.key for a in self.bound], write=self.writes)


def _type(table: Table, column: str) -> str:
    # the cast type without length or precision: a cast to VARCHAR(30) would truncate silently
    compiled = table.c[column].type.compile(dialect=_PG)
    return compiled.split("(")[0].replace("TIMESTAMP", "TIMESTAMPTZ").replace(" WITH TIME ZONE", "")


def _column_args(
    table: Table, columns: Iterable[str], keys: dict[str, str] | None = None
) -> tuple[Argument, ...]:
    keys = keys or {}
    return tuple(Argument(f"v_{c}", _type(table, c), keys.get(c, c)) for c in columns)


def _reader(name: str, *arguments: Argument) -> StoredFunction:
    return StoredFunction(name, arguments, writes=False)


def _writer(name: str, arguments: Sequence[Argument]) -> StoredFunction:
    return StoredFunction(name, tuple(arguments), writes=True)


def _id(name: str) -> Argument:
    return Argument(name, "UUID", name.removeprefix("v_"))


_UNFILTERED = (
    Argument("v_user_id", "UUID", defaulted=True),
    Argument("v_is_filtered", "BOOLEAN", defaulted=True),
)

# reads ----------------------------------------------------------------------------------------
GET_VMS_RUNNING_ON_VDS = _reader("GetVmsRunningOnVds", _id("v_vds_id"))
GET_VMS_RUNNING_BY_VDS = _reader("GetVmsRunningByVds", _id("v_vds_id"))
GET_VMS_DYNAMIC_RUNNING_ON_VDS = _reader("GetVmsDynamicRunningOnVds", _id("v_vds_id"))
GET_VM_BY_VM_GUID = _reader("GetVmByVmGuid", _id("v_vm_guid"), *_UNFILTERED)
GET_VM_DYNAMIC_BY_VM_GUID = _reader("GetVmDynamicByVmGuid", _id("v_vm_guid"))
GET_ALL_HASHES = _reader("GetAllHashesFromVmDynamic")
GET_VM_NIC_VIEW = _reader("GetVmNetworkInterfaceViewByVmId", _id("v_vm_id"), *_UNFILTERED)
GET_VM_NIC_TO_MONITOR = _reader("GetVmNetworkInterfaceToMonitorByVmId", _id("v_vm_id"))
GET_NUMA_NODE_BY_VDS = _reader("GetNumaNodeByVdsId", _id("v_vds_id"))
GET_NUMA_NODE_CPU_BY_VDS = _reader("GetNumaNodeCpuByVdsId", _id("v_vds_id"))
GET_NUMA_NODE_BY_VM = _reader("GetNumaNodeByVmId", _id("v_vm_id"))
GET_NUMA_NODE_CPU_BY_VM = _reader("GetNumaNodeCpuByVmId", _id("v_vm_id"))
GET_ALL_ASSIGNED_NUMA = _reader("GetAllAssignedNumaNodeInfomation")
GET_VM_JOBS_BY_VM = _reader("GetVmJobsByVmId", _id("v_vm_id"))
GET_ALL_VM_JOB_IDS = _reader("GetAllVmJobIds")
GET_VM_DEVICES_BY_VM = _reader("GetVmDeviceByVmId", _id("v_vm_id"))

# writes: the engine's procedures stamp `_update_date` themselves (LOCALTIMESTAMP) ------------
DYNAMIC_ARGUMENT_COLUMNS = tuple(
    c.name for c in s.vm_dynamic.columns if c.name not in {"vm_guid", "_update_date"}
)
UPDATE_VM_DYNAMIC = _writer(
    "UpdateVmDynamic",
    (
        *_column_args(s.vm_dynamic, DYNAMIC_ARGUMENT_COLUMNS),
        Argument("v_vm_guid", "UUID", "b_vm_guid"),
    ),
)
NIC_STATISTICS_ARGUMENT_COLUMNS = (
    "rx_rate",
    "tx_rate",
    "rx_drop",
    "tx_drop",
    "rx_total",
    "tx_total",
    "rx_offset",
    "tx_offset",
    "iface_status",
    "sample_time",
)
UPDATE_VM_NIC_STATISTICS = _writer(
    "Updatevm_interface_statistics",
    (
        Argument("v_id", "UUID", "b_id"),
        *_column_args(s.vm_interface_statistics, NIC_STATISTICS_ARGUMENT_COLUMNS),
    ),
)
DISK_DYNAMIC_ARGUMENT_COLUMNS = (
    "read_rate",
    "write_rate",
    "actual_size",
    "read_latency_seconds",
    "write_latency_seconds",
    "flush_latency_seconds",
)
UPDATE_DISK_DYNAMIC = _writer(
    "Updatedisk_image_dynamic_by_disk_id_and_vm_id",
    (
        Argument("v_image_group_id", "UUID", "b_disk_id"),
        Argument("v_vm_id", "UUID", "b_vm_id"),
        *_column_args(s.disk_image_dynamic, DISK_DYNAMIC_ARGUMENT_COLUMNS),
    ),
)
GUEST_NIC_COLUMNS = ("vm_id", "interface_name", "mac_address", "ipv4_addresses", "ipv6_addresses")
INSERT_GUEST_NIC = _writer(
    "InsertVmGuestAgentInterface", _column_args(s.vm_guest_agent_interfaces, GUEST_NIC_COLUMNS)
)
DELETE_GUEST_NICS_BY_VM = _writer("DeleteVmGuestAgentInterfacesByVmId", (_id("v_vm_id"),))
DELETE_GUEST_NICS_BY_VMS = _writer(
    "DeleteVmGuestAgentInterfacesByVmIds", (Argument("v_vm_ids", "UUID[]", "vm_ids"),)
)
INSERT_VM_DEVICE = _writer(
    "InsertVmDevice", _column_args(s.vm_device, [c.name for c in s.vm_device.columns])
)
UPDATE_VM_DEVICE = _writer(
    "UpdateVmDevice",
    (
        Argument("v_device_id", "UUID", "b_device_id"),
        Argument("v_vm_id", "UUID", "b_vm_id"),
        *_column_args(s.vm_device, ("type", "device", "address", "alias", "is_plugged")),
    ),
)
DELETE_VM_DEVICE = _writer(
    "DeleteVmDevice",
    (Argument("v_device_id", "UUID", "b_device_id"), Argument("v_vm_id", "UUID", "b_vm_id")),
)
SET_HASH_BY_VM_GUID = _writer(
    "SetHashByVmGuid",
    (Argument("v_vm_guid", "UUID", "b_vm_guid"), Argument("v_hash", "VARCHAR", "hash")),
)


def update_vm_statistics(columns: Sequence[str]) -> StoredFunction:
    """UpdateVmStatistics over `columns` (3.6, 4.1 and the mixes each have their own overload)."""
    written = [c for c in columns if c != "_update_date"]
    return _writer(
        "UpdateVmStatistics",
        (*_column_args(s.vm_statistics, written), Argument("v_vm_guid", "UUID", "b_vm_guid")),
    )
