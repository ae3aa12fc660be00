"""The data-access operations monitoring and commands use, each labelled with the engine's name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, and_, bindparam, delete, exists, insert, select, true, update

from vmmonbench.db import schema as s
from vmmonbench.db.database import DbSession

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
REMOVE_VM_DEVICE = "RemoveVmDevice"
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
    "_update_date",
)
STATISTICS_GUEST_MEMORY = ("guest_mem_free", "guest_mem_buffered", "guest_mem_cached")
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

Rows = Sequence[Row[Any]]


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
_STATS_UPDATES: dict[tuple[str, ...], Any] = {}


def statistics_columns(*, guest_memory: bool, history: bool) -> tuple[str, ...]:
    """The vm_statistics columns a cycle writes: 3.6 writes history, 4.1 writes guest memory."""
    return (
        STATISTICS_BASE
        + (STATISTICS_HISTORY if history else ())
        + (STATISTICS_GUEST_MEMORY if guest_memory else ())
    )


def _by(table: Any, column: str, param: str = "id") -> Any:
    return select(table).where(table.c[column] == bindparam(param))


# Statements are built once with bind parameters: SQLAlchemy then reuses the compiled form,
# so the per-call cost measured is the database round trip, not statement construction.
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
_INSERT_GUEST_NIC = insert(s.vm_guest_agent_interfaces)
_INSERT_DEVICE = insert(s.vm_device)
_REMOVE_DEVICE = delete(s.vm_device).where(
    s.vm_device.c.device_id == bindparam("b_device_id"), s.vm_device.c.vm_id == bindparam("b_vm_id")
)


class MonitoringDao:
    """Every operation is one logical checkout on the session, labelled as the engine labels it."""

    def __init__(self, session: DbSession) -> None:
        self.session = session

    def _one(self, label: str, statement: Any, key: str) -> Row[Any] | None:
        rows = self.session.fetch(label, statement, {"id": key})
        return rows[0] if rows else None

    # VM lists and single VMs -------------------------------------------------------------
    def get_vms_running_on_vds(self, vds_id: str) -> Rows:
        """The heavy `vms` view for every VM on a host (3.6)."""
        return self.session.fetch(GET_VMS_RUNNING_ON_VDS, _VMS_ON_VDS, {"id": vds_id})

    def get_vms_running_by_vds(self, vds_id: str) -> Rows:
        """The light `vms_monitoring_view` for every VM on a host (4.0)."""
        return self.session.fetch(GET_VMS_RUNNING_BY_VDS, _VMS_MONITORING_ON_VDS, {"id": vds_id})

    def get_vms_dynamic_running_on_vds(self, vds_id: str) -> Rows:
        """`vm_dynamic` rows of every VM on a host (4.1)."""
        return self.session.fetch(GET_VMS_DYNAMIC_RUNNING_ON_VDS, _DYNAMIC_ON_VDS, {"id": vds_id})

    def get_vm_by_guid(self, vm_id: str) -> Row[Any] | None:
        """One VM from the heavy `vms` view."""
        return self._one(GET_VM_BY_VM_GUID, _VM_BY_GUID, vm_id)

    def get_vm_dynamic_by_guid(self, vm_id: str) -> Row[Any] | None:
        """One `vm_dynamic` row."""
        return self._one(GET_VM_DYNAMIC_BY_VM_GUID, _DYNAMIC_BY_GUID, vm_id)

    def get_all_hashes(self) -> Rows:
        """Devices hash of every VM (fills the 4.1 hash cache once)."""
        return self.session.fetch(GET_ALL_HASHES, _ALL_HASHES)

    # per-VM and per-host reads ---------------------------------------------------------------
    def get_vm_nic_view(self, vm_id: str) -> Rows:
        """A VM's NICs from the heavy `vm_interface_view` (3.6)."""
        return self.session.fetch(GET_VM_NIC_VIEW, _NIC_VIEW, {"id": vm_id})

    def get_vm_nic_to_monitor(self, vm_id: str) -> Rows:
        """A VM's NICs from the light `vm_interface_monitoring_view` (4.1)."""
        return self.session.fetch(GET_VM_NIC_TO_MONITOR, _NIC_TO_MONITOR, {"id": vm_id})

    def get_numa_node_by_vds(self, vds_id: str) -> Rows:
        """Host NUMA nodes."""
        return self.session.fetch(GET_NUMA_NODE_BY_VDS, _NUMA_BY_VDS, {"id": vds_id})

    def get_numa_node_cpu_by_vds(self, vds_id: str) -> Rows:
        """Host NUMA node CPUs."""
        return self.session.fetch(GET_NUMA_NODE_CPU_BY_VDS, _NUMA_CPU_BY_VDS, {"id": vds_id})

    def get_numa_node_by_vm(self, vm_id: str) -> Rows:
        """VM NUMA nodes."""
        return self.session.fetch(GET_NUMA_NODE_BY_VM, _NUMA_BY_VM, {"id": vm_id})

    def get_numa_node_cpu_by_vm(self, vm_id: str) -> Rows:
        """VM NUMA node CPUs."""
        return self.session.fetch(GET_NUMA_NODE_CPU_BY_VM, _NUMA_CPU_BY_VM, {"id": vm_id})

    def get_all_assigned_numa(self) -> Rows:
        """Every VM-to-host NUMA assignment."""
        return self.session.fetch(GET_ALL_ASSIGNED_NUMA, _ALL_ASSIGNED_NUMA)

    def get_vm_jobs_by_vm(self, vm_id: str) -> Rows:
        """A VM's jobs."""
        return self.session.fetch(GET_VM_JOBS_BY_VM, _JOBS_BY_VM, {"id": vm_id})

    def get_all_vm_job_ids(self) -> Rows:
        """Ids of every VM job."""
        return self.session.fetch(GET_ALL_VM_JOB_IDS, _ALL_JOB_IDS)

    def get_vm_devices(self, vm_id: str) -> Rows:
        """A VM's devices."""
        return self.session.fetch(GET_VM_DEVICES_BY_VM, _DEVICES_BY_VM, {"id": vm_id})

    # writes ---------------------------------------------------------------------------------
    def update_vm_dynamic(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Whole-row vm_dynamic update, one batch; rows carry every column and `b_vm_guid`."""
        return self.session.write(UPDATE_VM_DYNAMIC, _UPDATE_VM_DYNAMIC, rows)

    def update_vm_statistics(
        self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]
    ) -> int:
        """vm_statistics batch over `columns`; rows carry those columns and `b_vm_guid`."""
        return self.session.write(UPDATE_VM_STATISTICS, _stats_update(tuple(columns)), rows)

    def update_vm_nic_statistics(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """vm_interface_statistics batch; rows carry the columns and `b_id`."""
        return self.session.write(UPDATE_VM_NIC_STATISTICS, _UPDATE_NIC_STATS, rows)

    def update_disk_dynamic(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """disk_image_dynamic batch by disk and VM; keys `b_disk_id`, `b_vm_id`."""
        return self.session.write(UPDATE_DISK_DYNAMIC, _UPDATE_DISK_DYNAMIC, rows)

    def delete_guest_nics_by_vm(self, vm_id: str) -> int:
        """Delete one VM's guest-agent NICs (3.6: one statement per VM)."""
        return self.session.write(DELETE_GUEST_NICS_BY_VM, _DELETE_GUEST_NICS_BY_VM, {"id": vm_id})

    def delete_guest_nics_by_vms(self, vm_ids: Sequence[str]) -> int:
        """Delete the guest-agent NICs of several VMs in one statement (4.1)."""
        if not vm_ids:
            return 0
        return self.session.write(
            DELETE_GUEST_NICS_BY_VMS, _DELETE_GUEST_NICS_BY_VMS, {"ids": list(vm_ids)}
        )

    def insert_guest_nic(self, row: Mapping[str, Any]) -> int:
        """Insert one guest-agent NIC row (per row, as the engine does)."""
        return self.session.write(INSERT_GUEST_NIC, _INSERT_GUEST_NIC, row)

    def insert_vm_device(self, row: Mapping[str, Any]) -> int:
        """Insert one device row."""
        return self.session.write(INSERT_VM_DEVICE, _INSERT_DEVICE, row)

    def update_vm_device(self, row: Mapping[str, Any]) -> int:
        """Update one device row (address, alias, plugged); keys `b_device_id`, `b_vm_id`."""
        return self.session.write(UPDATE_VM_DEVICE, _UPDATE_DEVICE, row)

    def remove_vm_device(self, device_id: str, vm_id: str) -> int:
        """Delete one device row."""
        return self.session.write(
            REMOVE_VM_DEVICE, _REMOVE_DEVICE, {"b_device_id": device_id, "b_vm_id": vm_id}
        )

    def set_hash(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Store devices hashes (`b_vm_guid`, `hash`) in one batch (4.1 devices monitoring)."""
        return self.session.write(SET_HASH_BY_VM_GUID, _SET_HASH, rows)

    def update_vm_static(self, vm_id: str, values: Mapping[str, Any]) -> int:
        """Update a VM's static fields (user commands)."""
        return self.session.write(
            UPDATE_VM_STATIC,
            _update_by(s.vm_static, "vm_guid", tuple(values)),
            {**values, "b_vm_guid": vm_id},
        )


def _stats_update(columns: tuple[str, ...]) -> Any:
    statement = _STATS_UPDATES.get(columns)
    if statement is None:
        statement = _update_by(s.vm_statistics, "vm_guid", columns)
        _STATS_UPDATES[columns] = statement
    return statement
