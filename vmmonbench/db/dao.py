"""The data-access operations monitoring and commands use, each labelled with the engine's name.

On PostgreSQL every operation the engine makes through a stored procedure calls that procedure
(`procedures`, installed from the package's SQL); on SQLite, and for the few operations without
one, the SQL is defined here as SQLAlchemy Core and compiled once. Either way the result is a
`MonitoringStatements` book of driver texts that the session sends straight to the driver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, insert, select, true, update
from sqlalchemy.engine import Dialect

from vmmonbench.db import procedures as sp
from vmmonbench.db import schema as s
from vmmonbench.db.database import DbSession, Record
from vmmonbench.db.prepared import Args, Prepared, compile_statement, expand_list

# Engine labels (stored procedure / DAO names), so reports read like the study's tables.
GET_VMS_RUNNING_ON_VDS = "GetVmsRunningOnVds"
GET_VMS_RUNNING_BY_VDS = "GetVmsRunningByVds"
GET_VMS_DYNAMIC_RUNNING_ON_VDS = "GetVmsDynamicRunningOnVds"
GET_VM_BY_VM_GUID = "GetVmByVmGuid"
GET_VM_DYNAMIC_BY_VM_GUID = "GetVmDynamicByVmGuid"
GET_VM_NIC_VIEW = "GetVmNetworkInterfaceViewByVmId"
GET_VM_NIC_TO_MONITOR = "GetVmNetworkInterfaceToMonitorByVmId"
GET_NUMA_NODE_BY_VDS = "GetNumaNodeByVdsId"
GET_NUMA_NODE_CPU_BY_VDS = "GetNumaNodeCpuByVdsId"
GET_NUMA_NODE_BY_VM = "GetNumaNodeByVmId"
GET_NUMA_NODE_CPU_BY_VM = "GetNumaNodeCpuByVmId"
GET_ALL_ASSIGNED_NUMA = "GetAllAssignedNumaNodeInfomation"
GET_VM_JOBS_BY_VM = "GetVmJobsByVmId"
GET_ALL_VM_JOB_IDS = "GetAllVmJobIds"
GET_VM_DEVICES_BY_VM = "GetVmDeviceByVmId"
GET_ALL_HASHES = "GetAllHashesFromVmDynamic"
UPDATE_VM_DYNAMIC = "UpdateVmDynamic"
UPDATE_VM_STATISTICS = "UpdateVmStatistics"
UPDATE_VM_NIC_STATISTICS = "Updatevm_interface_statistics"
UPDATE_DISK_DYNAMIC = "Updatedisk_image_dynamic_by_disk_id_and_vm_id"
DELETE_GUEST_NICS_BY_VM = "DeleteVmGuestAgentInterfacesByVmId"
DELETE_GUEST_NICS_BY_VMS = "DeleteVmGuestAgentInterfacesByVmIds"
INSERT_GUEST_NIC = "InsertVmGuestAgentInterface"
INSERT_VM_DEVICE = "InsertVmDevice"
UPDATE_VM_DEVICE = "UpdateVmDevice"
DELETE_VM_DEVICE = "DeleteVmDevice"
SET_HASH_BY_VM_GUID = "SetHashByVmGuid"
UPDATE_VM_STATIC = "UpdateVmStatic"

NUMA_VM_LABELS = (GET_NUMA_NODE_BY_VM, GET_NUMA_NODE_CPU_BY_VM, GET_ALL_ASSIGNED_NUMA)
NUMA_HOST_LABELS = (GET_NUMA_NODE_BY_VDS, GET_NUMA_NODE_CPU_BY_VDS)

DYNAMIC_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in s.vm_dynamic.columns if c.name != "vm_guid"
)
STATISTICS_BASE = (
    "cpu_user",
    "cpu_sys",
    "elapsed_time",
    "usage_network_percent",
    "usage_mem_percent",
    "usage_cpu_percent",
    "disks_usage",
)
STATISTICS_HISTORY = (
    "migration_progress_percent",
    "cpu_usage_history",
    "memory_usage_history",
    "network_usage_history",
)
# released 4.1 moved guest memory here without guest_mem_free (UpdateVmStatistics, vms_sp.sql)
STATISTICS_GUEST_MEMORY = ("guest_mem_buffered", "guest_mem_cached")
NIC_STATISTICS_COLUMNS = (
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
    "_update_date",
)
DISK_DYNAMIC_COLUMNS = (
    "read_rate",
    "write_rate",
    "actual_size",
    "read_latency_seconds",
    "write_latency_seconds",
    "flush_latency_seconds",
    "_update_date",
)


def _update_by(table: Any, key: str, columns: Sequence[str]) -> Any:
    return (
        update(table)
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({c: bindparam(c) for c in columns})
    )


_UPDATE_VM_DYNAMIC = _update_by(s.vm_dynamic, "vm_guid", DYNAMIC_COLUMNS)
_UPDATE_NIC_STATS = _update_by(s.vm_interface_statistics, "id", NIC_STATISTICS_COLUMNS)
_UPDATE_DISK_DYNAMIC = (
    update(s.disk_image_dynamic)
    .where(
        s.disk_image_dynamic.c.image_id.in_(
            select(s.images.c.image_guid).where(
                s.images.c.image_group_id == bindparam("b_disk_id"), s.images.c.active == true()
            )
        ),
        exists().where(
            s.vm_device.c.vm_id == bindparam("b_vm_id"),
            s.vm_device.c.device_id == bindparam("b_disk_id"),
            s.vm_device.c.snapshot_id.is_(None),
        ),
    )
    .values({c: bindparam(c) for c in DISK_DYNAMIC_COLUMNS})
)
_SET_HASH = (
    update(s.vm_dynamic)
    .where(s.vm_dynamic.c.vm_guid == bindparam("b_vm_guid"))
    .values(hash=bindparam("hash"))
)
_UPDATE_DEVICE = (
    update(s.vm_device)
    .where(
        and_(
            s.vm_device.c.device_id == bindparam("b_device_id"),
            s.vm_device.c.vm_id == bindparam("b_vm_id"),
        )
    )
    .values(
        type=bindparam("type"),
        device=bindparam("device"),
        address=bindparam("address"),
        alias=bindparam("alias"),
        is_plugged=bindparam("is_plugged"),
        _update_date=bindparam("_update_date"),
    )
)


def statistics_columns(*, guest_memory: bool, history: bool) -> tuple[str, ...]:
    """The vm_statistics columns a cycle writes: 3.6 writes history, 4.1 writes guest memory."""
    return (
        STATISTICS_BASE
        + (STATISTICS_HISTORY if history else ())
        + (STATISTICS_GUEST_MEMORY if guest_memory else ())
        + ("_update_date",)
    )


def _by(table: Any, column: str, param: str = "id") -> Any:
    return select(table).where(table.c[column] == bindparam(param))


_VMS_ON_VDS = _by(s.vms_view, "run_on_vds")
_VMS_MONITORING_ON_VDS = _by(s.vms_monitoring_view, "run_on_vds")
_DYNAMIC_ON_VDS = _by(s.vm_dynamic, "run_on_vds")
_VM_BY_GUID = _by(s.vms_view, "vm_guid")
_DYNAMIC_BY_GUID = _by(s.vm_dynamic, "vm_guid")
_ALL_HASHES = select(s.vm_dynamic.c.vm_guid, s.vm_dynamic.c.hash)
_NIC_VIEW = _by(s.vm_interface_view, "vm_guid")
_NIC_TO_MONITOR = _by(s.vm_interface_monitoring_view, "vm_guid")
_NUMA_BY_VDS = _by(s.numa_node, "vds_id")
_NUMA_BY_VM = _by(s.numa_node, "vm_id")
_NUMA_CPU = select(
    s.numa_node_cpu_map.c.numa_node_id,
    s.numa_node_cpu_map.c.cpu_core_id,
    s.numa_node.c.numa_node_index,
).join(s.numa_node, s.numa_node.c.numa_node_id == s.numa_node_cpu_map.c.numa_node_id)
_NUMA_CPU_BY_VDS = _NUMA_CPU.where(s.numa_node.c.vds_id == bindparam("id"))
_NUMA_CPU_BY_VM = _NUMA_CPU.where(s.numa_node.c.vm_id == bindparam("id"))
_ALL_ASSIGNED_NUMA = select(s.vm_vds_numa_node_map, s.numa_node.c.vm_id).join(
    s.numa_node, s.numa_node.c.numa_node_id == s.vm_vds_numa_node_map.c.vm_numa_node_id
)
_JOBS_BY_VM = _by(s.vm_jobs, "vm_id")
_ALL_JOB_IDS = select(s.vm_jobs.c.vm_job_id)
_DEVICES_BY_VM = _by(s.vm_device, "vm_id")
_DELETE_GUEST_NICS_BY_VM = delete(s.vm_guest_agent_interfaces).where(
    s.vm_guest_agent_interfaces.c.vm_id == bindparam("id")
)
_DELETE_GUEST_NICS_BY_VMS = delete(s.vm_guest_agent_interfaces).where(
    s.vm_guest_agent_interfaces.c.vm_id.in_(bindparam("ids", expanding=True))
)
_GUEST_NIC_COLUMNS = ("vm_id", "interface_name", "mac_address", "ipv4_addresses", "ipv6_addresses")
_INSERT_GUEST_NIC = insert(s.vm_guest_agent_interfaces).values(
    {c: bindparam(c) for c in _GUEST_NIC_COLUMNS}
)
DEVICE_COLUMNS: tuple[str, ...] = tuple(c.name for c in s.vm_device.columns)
_INSERT_DEVICE = insert(s.vm_device).values({c: bindparam(c) for c in DEVICE_COLUMNS})
_REMOVE_DEVICE = delete(s.vm_device).where(
    s.vm_device.c.device_id == bindparam("b_device_id"), s.vm_device.c.vm_id == bindparam("b_vm_id")
)


class MonitoringStatements:
    """Every labelled statement of the DAO, compiled once for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        # PostgreSQL calls the engine's procedures; `ids_as_array` says the 4.1 delete binds
        # one array instead of an IN list
        self.calls_procedures = self.ids_as_array = dialect.name == "postgresql"

        def read(label: str, statement: Any, function: sp.StoredFunction) -> Prepared:
            if self.calls_procedures:
                return function.call(label)
            return compile_statement(label, statement, dialect, write=False)

        def write(label: str, statement: Any, function: sp.StoredFunction) -> Prepared:
            if self.calls_procedures:
                return function.call(label)
            return compile_statement(label, statement, dialect, write=True)

        self.vms_running_on_vds = read(
            GET_VMS_RUNNING_ON_VDS, _VMS_ON_VDS, sp.GET_VMS_RUNNING_ON_VDS
        )
        self.vms_running_by_vds = read(
            GET_VMS_RUNNING_BY_VDS, _VMS_MONITORING_ON_VDS, sp.GET_VMS_RUNNING_BY_VDS
        )
        self.vms_dynamic_running_on_vds = read(
            GET_VMS_DYNAMIC_RUNNING_ON_VDS, _DYNAMIC_ON_VDS, sp.GET_VMS_DYNAMIC_RUNNING_ON_VDS
        )
        self.vm_by_guid = read(GET_VM_BY_VM_GUID, _VM_BY_GUID, sp.GET_VM_BY_VM_GUID)
        self.vm_dynamic_by_guid = read(
            GET_VM_DYNAMIC_BY_VM_GUID, _DYNAMIC_BY_GUID, sp.GET_VM_DYNAMIC_BY_VM_GUID
        )
        self.all_hashes = read(GET_ALL_HASHES, _ALL_HASHES, sp.GET_ALL_HASHES)
        self.vm_nic_view = read(GET_VM_NIC_VIEW, _NIC_VIEW, sp.GET_VM_NIC_VIEW)
        self.vm_nic_to_monitor = read(
            GET_VM_NIC_TO_MONITOR, _NIC_TO_MONITOR, sp.GET_VM_NIC_TO_MONITOR
        )
        self.numa_node_by_vds = read(GET_NUMA_NODE_BY_VDS, _NUMA_BY_VDS, sp.GET_NUMA_NODE_BY_VDS)
        self.numa_node_cpu_by_vds = read(
            GET_NUMA_NODE_CPU_BY_VDS, _NUMA_CPU_BY_VDS, sp.GET_NUMA_NODE_CPU_BY_VDS
        )
        self.numa_node_by_vm = read(GET_NUMA_NODE_BY_VM, _NUMA_BY_VM, sp.GET_NUMA_NODE_BY_VM)
        self.numa_node_cpu_by_vm = read(
            GET_NUMA_NODE_CPU_BY_VM, _NUMA_CPU_BY_VM, sp.GET_NUMA_NODE_CPU_BY_VM
        )
        self.all_assigned_numa = read(
            GET_ALL_ASSIGNED_NUMA, _ALL_ASSIGNED_NUMA, sp.GET_ALL_ASSIGNED_NUMA
        )
        self.vm_jobs_by_vm = read(GET_VM_JOBS_BY_VM, _JOBS_BY_VM, sp.GET_VM_JOBS_BY_VM)
        self.all_vm_job_ids = read(GET_ALL_VM_JOB_IDS, _ALL_JOB_IDS, sp.GET_ALL_VM_JOB_IDS)
        self.vm_devices = read(GET_VM_DEVICES_BY_VM, _DEVICES_BY_VM, sp.GET_VM_DEVICES_BY_VM)
        self.update_vm_dynamic = write(UPDATE_VM_DYNAMIC, _UPDATE_VM_DYNAMIC, sp.UPDATE_VM_DYNAMIC)
        self.update_nic_statistics = write(
            UPDATE_VM_NIC_STATISTICS, _UPDATE_NIC_STATS, sp.UPDATE_VM_NIC_STATISTICS
        )
        self.update_disk_dynamic = write(
            UPDATE_DISK_DYNAMIC, _UPDATE_DISK_DYNAMIC, sp.UPDATE_DISK_DYNAMIC
        )
        self.delete_guest_nics_by_vm = write(
            DELETE_GUEST_NICS_BY_VM, _DELETE_GUEST_NICS_BY_VM, sp.DELETE_GUEST_NICS_BY_VM
        )
        self._delete_guest_nics_by_vms = write(
            DELETE_GUEST_NICS_BY_VMS, _DELETE_GUEST_NICS_BY_VMS, sp.DELETE_GUEST_NICS_BY_VMS
        )
        self.insert_guest_nic = write(INSERT_GUEST_NIC, _INSERT_GUEST_NIC, sp.INSERT_GUEST_NIC)
        self.insert_vm_device = write(INSERT_VM_DEVICE, _INSERT_DEVICE, sp.INSERT_VM_DEVICE)
        self.update_vm_device = write(UPDATE_VM_DEVICE, _UPDATE_DEVICE, sp.UPDATE_VM_DEVICE)
        self.remove_vm_device = write(DELETE_VM_DEVICE, _REMOVE_DEVICE, sp.DELETE_VM_DEVICE)
        self.set_hash = write(SET_HASH_BY_VM_GUID, _SET_HASH, sp.SET_HASH_BY_VM_GUID)
        self._statistics: dict[tuple[str, ...], Prepared] = {}
        self._static: dict[tuple[str, ...], Prepared] = {}
        self._delete_by_vms: dict[int, Prepared] = {}

    def update_vm_statistics(self, columns: tuple[str, ...]) -> Prepared:
        """The vm_statistics batch update over `columns` (3.6 and 4.1 write different sets)."""
        prepared = self._statistics.get(columns)
        if prepared is None:
            if self.calls_procedures:
                prepared = sp.update_vm_statistics(columns).call(UPDATE_VM_STATISTICS)
            else:
                statement = _update_by(s.vm_statistics, "vm_guid", columns)
                prepared = compile_statement(
                    UPDATE_VM_STATISTICS, statement, self.dialect, write=True
                )
            self._statistics[columns] = prepared
        return prepared

    def update_vm_static(self, columns: tuple[str, ...]) -> Prepared:
        """A vm_static update of `columns` for one VM (user commands)."""
        prepared = self._static.get(columns)
        if prepared is None:
            statement = _update_by(s.vm_static, "vm_guid", columns)
            prepared = compile_statement(UPDATE_VM_STATIC, statement, self.dialect, write=True)
            self._static[columns] = prepared
        return prepared

    def delete_guest_nics_by_vms(self, count: int) -> Prepared:
        """The one-statement delete of `count` VMs' guest-agent NICs (an IN list of that size,
        or on PostgreSQL the procedure that takes them as one array)."""
        if self.ids_as_array:
            return self._delete_guest_nics_by_vms
        prepared = self._delete_by_vms.get(count)
        if prepared is None:
            prepared = expand_list(self._delete_guest_nics_by_vms, "ids", count, self.dialect)
            if len(self._delete_by_vms) < 64:  # IN-list lengths vary: keep the common ones
                self._delete_by_vms[count] = prepared
        return prepared


def stored_functions() -> tuple[sp.StoredFunction, ...]:
    """Every engine procedure the DAO calls on PostgreSQL, each statistics overload once."""
    overloads = tuple(
        sp.update_vm_statistics(statistics_columns(guest_memory=memory, history=history))
        for memory in (False, True)
        for history in (False, True)
    )
    return (
        sp.GET_VMS_RUNNING_ON_VDS,
        sp.GET_VMS_RUNNING_BY_VDS,
        sp.GET_VMS_DYNAMIC_RUNNING_ON_VDS,
        sp.GET_VM_BY_VM_GUID,
        sp.GET_VM_DYNAMIC_BY_VM_GUID,
        sp.GET_ALL_HASHES,
        sp.GET_VM_NIC_VIEW,
        sp.GET_VM_NIC_TO_MONITOR,
        sp.GET_NUMA_NODE_BY_VDS,
        sp.GET_NUMA_NODE_CPU_BY_VDS,
        sp.GET_NUMA_NODE_BY_VM,
        sp.GET_NUMA_NODE_CPU_BY_VM,
        sp.GET_ALL_ASSIGNED_NUMA,
        sp.GET_VM_JOBS_BY_VM,
        sp.GET_ALL_VM_JOB_IDS,
        sp.GET_VM_DEVICES_BY_VM,
        sp.UPDATE_VM_DYNAMIC,
        sp.UPDATE_VM_NIC_STATISTICS,
        sp.UPDATE_DISK_DYNAMIC,
        sp.INSERT_GUEST_NIC,
        sp.DELETE_GUEST_NICS_BY_VM,
        sp.DELETE_GUEST_NICS_BY_VMS,
        sp.INSERT_VM_DEVICE,
        sp.UPDATE_VM_DEVICE,
        sp.DELETE_VM_DEVICE,
        sp.SET_HASH_BY_VM_GUID,
        *overloads,
    )


_BOOKS: dict[tuple[type[Dialect], str], MonitoringStatements] = {}


def statements_for(dialect: Dialect) -> MonitoringStatements:
    """The statement book of a dialect (compiled on first use, shared by every session)."""
    key = (type(dialect), dialect.paramstyle)
    book = _BOOKS.get(key)
    if book is None:
        book = _BOOKS[key] = MonitoringStatements(dialect)
    return book


class MonitoringDao:
    """Every operation is one logical checkout on the session, labelled as the engine labels it.

    Reads of rows the caller uses return records (column name -> value); reads whose rows only
    stand for the engine's work return the rows fetched as tuples.
    """

    __slots__ = ("_sql", "session")

    def __init__(self, session: DbSession) -> None:
        self.session = session
        self._sql = statements_for(session.dialect)

    def _one(self, statement: Prepared, key: str) -> Record | None:
        records = self.session.fetch_records(statement, (key,))
        return records[0] if records else None

    # VM lists and single VMs -------------------------------------------------------------
    def get_vms_running_on_vds(self, vds_id: str) -> list[Record]:
        """The heavy `vms` view for every VM on a host (3.6)."""
        return self.session.fetch_records(self._sql.vms_running_on_vds, (vds_id,))

    def get_vms_running_by_vds(self, vds_id: str) -> list[Record]:
        """The light `vms_monitoring_view` for every VM on a host (4.0)."""
        return self.session.fetch_records(self._sql.vms_running_by_vds, (vds_id,))

    def get_vms_dynamic_running_on_vds(self, vds_id: str) -> list[Record]:
        """`vm_dynamic` rows of every VM on a host (4.1)."""
        return self.session.fetch_records(self._sql.vms_dynamic_running_on_vds, (vds_id,))

    def get_vm_by_guid(self, vm_id: str) -> Record | None:
        """One VM from the heavy `vms` view."""
        return self._one(self._sql.vm_by_guid, vm_id)

    def get_vm_dynamic_by_guid(self, vm_id: str) -> Record | None:
        """One `vm_dynamic` row."""
        return self._one(self._sql.vm_dynamic_by_guid, vm_id)

    def get_all_hashes(self) -> list[Args]:
        """(vm_guid, devices hash) of every VM (fills the 4.1 hash cache once)."""
        return self.session.fetch(self._sql.all_hashes)

    # per-VM and per-host reads ---------------------------------------------------------------
    def get_vm_nic_view(self, vm_id: str) -> list[Record]:
        """A VM's NICs from the heavy `vm_interface_view` (3.6)."""
        return self.session.fetch_records(self._sql.vm_nic_view, (vm_id,))

    def get_vm_nic_to_monitor(self, vm_id: str) -> list[Record]:
        """A VM's NICs from the light `vm_interface_monitoring_view` (4.1)."""
        return self.session.fetch_records(self._sql.vm_nic_to_monitor, (vm_id,))

    def get_numa_node_by_vds(self, vds_id: str) -> list[Args]:
        """Host NUMA nodes."""
        return self.session.fetch(self._sql.numa_node_by_vds, (vds_id,))

    def get_numa_node_cpu_by_vds(self, vds_id: str) -> list[Args]:
        """Host NUMA node CPUs."""
        return self.session.fetch(self._sql.numa_node_cpu_by_vds, (vds_id,))

    def get_numa_node_by_vm(self, vm_id: str) -> list[Args]:
        """VM NUMA nodes."""
        return self.session.fetch(self._sql.numa_node_by_vm, (vm_id,))

    def get_numa_node_cpu_by_vm(self, vm_id: str) -> list[Args]:
        """VM NUMA node CPUs."""
        return self.session.fetch(self._sql.numa_node_cpu_by_vm, (vm_id,))

    def get_all_assigned_numa(self) -> list[Args]:
        """Every VM-to-host NUMA assignment."""
        return self.session.fetch(self._sql.all_assigned_numa)

    def get_vm_jobs_by_vm(self, vm_id: str) -> list[Args]:
        """A VM's jobs."""
        return self.session.fetch(self._sql.vm_jobs_by_vm, (vm_id,))

    def get_all_vm_job_ids(self) -> list[Args]:
        """(vm_job_id,) of every VM job."""
        return self.session.fetch(self._sql.all_vm_job_ids)

    def get_vm_devices(self, vm_id: str) -> list[Record]:
        """A VM's devices."""
        return self.session.fetch_records(self._sql.vm_devices, (vm_id,))

    # writes ---------------------------------------------------------------------------------
    def _batch(self, statement: Prepared, rows: Sequence[Mapping[str, Any]]) -> int:
        # the engine's batch call asks the pool for a connection even with nothing to run
        if not rows:
            self.session.checkout()
            return 0
        return self.session.write_many(statement, rows)

    def empty_batch(self) -> None:
        """A batch the engine runs with no rows in a stable system (LUNs, devices, jobs)."""
        self.session.checkout()

    def update_vm_dynamic(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Whole-row vm_dynamic update, one batch; rows carry every column and `b_vm_guid`."""
        return self._batch(self._sql.update_vm_dynamic, rows)

    def update_vm_statistics(
        self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]
    ) -> int:
        """vm_statistics batch over `columns`; rows carry those columns and `b_vm_guid`."""
        return self._batch(self._sql.update_vm_statistics(tuple(columns)), rows)

    def update_vm_nic_statistics(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """vm_interface_statistics batch; rows carry the columns and `b_id`."""
        return self._batch(self._sql.update_nic_statistics, rows)

    def update_disk_dynamic(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """disk_image_dynamic batch by disk and VM; keys `b_disk_id`, `b_vm_id`."""
        return self._batch(self._sql.update_disk_dynamic, rows)

    def delete_guest_nics_by_vm(self, vm_id: str) -> int:
        """Delete one VM's guest-agent NICs (3.6: one statement per VM)."""
        return self.session.write(self._sql.delete_guest_nics_by_vm, (vm_id,))

    def delete_guest_nics_by_vms(self, vm_ids: Sequence[str]) -> int:
        """Delete the guest-agent NICs of several VMs in one statement (4.1)."""
        if not vm_ids:
            return 0
        statement = self._sql.delete_guest_nics_by_vms(len(vm_ids))
        args = (list(vm_ids),) if self._sql.ids_as_array else tuple(vm_ids)
        return self.session.write(statement, args)

    def insert_guest_nic(self, row: Mapping[str, Any]) -> int:
        """Insert one guest-agent NIC row (per row, as the engine does)."""
        statement = self._sql.insert_guest_nic
        return self.session.write(statement, statement.args(row))

    def insert_vm_device(self, row: Mapping[str, Any]) -> int:
        """Insert one device row (every vm_device column)."""
        statement = self._sql.insert_vm_device
        return self.session.write(statement, statement.args(row))

    def update_vm_device(self, row: Mapping[str, Any]) -> int:
        """Update one device row (address, alias, plugged); keys `b_device_id`, `b_vm_id`."""
        statement = self._sql.update_vm_device
        return self.session.write(statement, statement.args(row))

    def remove_vm_device(self, device_id: str, vm_id: str) -> int:
        """Delete one device row."""
        statement = self._sql.remove_vm_device
        return self.session.write(
            statement, statement.args({"b_device_id": device_id, "b_vm_id": vm_id})
        )

    def set_hash(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Store devices hashes (`b_vm_guid`, `hash`) in one batch (4.1 devices monitoring)."""
        return self._batch(self._sql.set_hash, rows)

    def update_vm_static(self, vm_id: str, values: Mapping[str, Any]) -> int:
        """Update a VM's static fields (user commands)."""
        statement = self._sql.update_vm_static(tuple(values))
        return self.session.write(statement, statement.args({**values, "b_vm_guid": vm_id}))
