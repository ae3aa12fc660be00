"""Bulk population of the schema for H hosts x N VMs, matching the fake hosts for the same seed."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, text

from vmmonbench import inventory
from vmmonbench.db import schema as s
from vmmonbench.inventory import HostSpec, VmSpec
from vmmonbench.vdsm import (
    canonical_guest_nics,
    dynamic_from_stats,
    guest_memory_from_stats,
    guest_nics_from_stats,
    guest_nics_hash,
)
from vmmonbench.vmstatus import VmStatus

EPOCH = datetime(2016, 7, 25, 9, 0, tzinfo=UTC)  # fixed so populated rows are deterministic
HOST_NUMA_NODES = 2
CPUS_PER_NUMA_NODE = 8
CHUNK_VMS = 2000  # rows are built and inserted per chunk of VMs to bound memory


BLANK_TEMPLATE_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True, slots=True)
class PopulationSpec:
    """What to populate: the workload's inventory parameters and the hosts' addresses."""

    seed: int
    hosts: int
    vms: int
    vnics: int
    disks: int
    host_addresses: tuple[tuple[str, int], ...] = ()  # per position in `indexes`
    host_indexes: tuple[int, ...] = ()  # inventory indexes of the hosts; default 0..hosts-1

    @property
    def indexes(self) -> tuple[int, ...]:
        """The inventory indexes populated."""
        return self.host_indexes or tuple(range(self.hosts))


@dataclass(slots=True)
class PopulationCounts:
    """Rows inserted per table."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        """Count `count` more rows in `table`."""
        self.rows[table] = self.rows.get(table, 0) + count

    @property
    def total(self) -> int:
        """All rows inserted."""
        return sum(self.rows.values())


def populate(
    engine: Engine,
    spec: PopulationSpec,
    *,
    reported: Callable[[int], Mapping[str, Mapping[str, Any]]] | None = None,
) -> PopulationCounts:
    """Insert the whole inventory in one transaction.

    `reported(host_index)` maps VM id to the stats map that host reports; when given, vm_dynamic,
    guest-agent NICs and interface counters start equal to what the hosts report (a system that
    has been stable for a while), so the first measured cycle sees no spurious change. It is
    called once per host, so a large fleet's reports need not be held at once.
    """
    counts = PopulationCounts()
    cluster_id = inventory.cluster_id(spec.seed)
    network_id = _uuid(spec.seed, "network")
    profile_id = _uuid(spec.seed, "vnic-profile")
    pool_id = _uuid(spec.seed, "data-center")
    with engine.begin() as conn:
        _insert(conn, s.storage_pool, [_storage_pool_row(pool_id)], counts)
        _insert(conn, s.cluster, [_cluster_row(cluster_id, pool_id)], counts)
        _insert(conn, s.vm_static, [_blank_template_row(cluster_id)], counts)
        _insert(conn, s.network, [_network_row(network_id)], counts)
        _insert(conn, s.vnic_profiles, [_profile_row(profile_id, network_id)], counts)
        for position, index in enumerate(spec.indexes):
            host = inventory.host_spec(spec.seed, index, spec.vms, spec.vnics, spec.disks)
            _insert(conn, s.vds, [_vds_row(host, position, cluster_id, spec)], counts)
            _populate_host_numa(conn, host, counts)
            host_reports = reported(host.index) if reported is not None else None
            for start in range(0, len(host.vms), CHUNK_VMS):
                chunk = host.vms[start : start + CHUNK_VMS]
                _populate_vms(conn, host, chunk, cluster_id, profile_id, host_reports, counts)
        # a database that has been in use has planner statistics; without them PostgreSQL
        # plans the per-row procedures' statements blind (a disk update scanned every disk)
        if engine.dialect.name == "postgresql":  # our tables only: never another schema's
            conn.execute(text(f"ANALYZE {', '.join(s.metadata.tables)}"))
        else:
            conn.execute(text("ANALYZE"))
    return counts


def _uuid(seed: int, name: str) -> str:
    return str(uuid.UUID(int=random.Random(f"{seed}:{name}").getrandbits(128), version=4))


def _insert(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], counts: PopulationCounts
) -> None:
    if rows:
        conn.execute(insert(table), list(rows))
        counts.add(table.name, len(rows))


def _storage_pool_row(pool_id: str) -> dict[str, Any]:
    return {
        "id": pool_id,
        "name": "Default",
        "description": "The default Data Center",
        "status": 1,  # StoragePoolStatus.Up
        "is_local": False,
        "compatibility_version": "4.1",
        "quota_enforcement_type": 0,  # disabled
        "_create_date": EPOCH,
        "_update_date": EPOCH,
    }


def _blank_template_row(cluster_id: str) -> dict[str, Any]:
    # every VM's vmt_guid: the engine's views join the template by it
    return {
        "vm_guid": BLANK_TEMPLATE_ID,
        "vm_name": "Blank",
        "mem_size_mb": 1024,
        "vmt_guid": BLANK_TEMPLATE_ID,
        "os": 0,
        "description": "Blank template",
        "cluster_id": cluster_id,
        "creation_date": EPOCH,
        "entity_type": "TEMPLATE",
        "_create_date": EPOCH,
        "_update_date": EPOCH,
    }


def _cluster_row(cluster_id: str, pool_id: str) -> dict[str, Any]:
    return {
        "cluster_id": cluster_id,
        "storage_pool_id": pool_id,
        "name": inventory.CLUSTER_NAME,
        "description": "vmmonbench cluster",
        "cpu_name": "Intel Haswell Family",
        "compatibility_version": "4.1",
        "migrate_on_error": 1,
        "_create_date": EPOCH,
        "_update_date": EPOCH,
    }


def _network_row(network_id: str) -> dict[str, Any]:
    return {
        "id": network_id,
        "name": "ovirtmgmt",
        "description": "Management Network",
        "mtu": 1500,
        "vlan_id": None,
        "vm_network": True,
    }


def _profile_row(profile_id: str, network_id: str) -> dict[str, Any]:
    return {
        "id": profile_id,
        "name": "ovirtmgmt",
        "network_id": network_id,
        "port_mirroring": False,
        "custom_properties": None,
        "description": None,
    }


def _vds_row(
    host: HostSpec, position: int, cluster_id: str, spec: PopulationSpec
) -> dict[str, Any]:
    address, port = (
        spec.host_addresses[position]
        if position < len(spec.host_addresses)
        else ("127.0.0.1", 54321)
    )
    return {
        "vds_id": host.id,
        "vds_name": host.name,
        "host_name": address,
        "port": port,
        "cluster_id": cluster_id,
        "status": 3,  # VDSStatus.Up
        "cpu_cores": HOST_NUMA_NODES * CPUS_PER_NUMA_NODE,
        "cpu_sockets": HOST_NUMA_NODES,
        "physical_mem_mb": 1024 * 1024,
        "vm_count": len(host.vms),
        "_update_date": EPOCH,
    }


def _populate_host_numa(conn: Connection, host: HostSpec, counts: PopulationCounts) -> None:
    nodes: list[dict[str, Any]] = []
    cpus: list[dict[str, Any]] = []
    for index in range(HOST_NUMA_NODES):
        node_id = _uuid(0, f"{host.id}:numa:{index}")
        nodes.append(
            {
                "numa_node_id": node_id,
                "vds_id": host.id,
                "vm_id": None,
                "numa_node_index": index,
                "mem_total": 512 * 1024,
                "cpu_count": CPUS_PER_NUMA_NODE,
                "mem_free": 256 * 1024,
                "usage_mem_percent": 50,
                "cpu_sys": 1,
                "cpu_user": 5,
                "cpu_idle": 94,
                "usage_cpu_percent": 6,
                "distance": "0:10,1:21" if index == 0 else "0:21,1:10",
            }
        )
        cpus.extend(
            {
                "id": _uuid(0, f"{node_id}:cpu:{core}"),
                "numa_node_id": node_id,
                "cpu_core_id": index * CPUS_PER_NUMA_NODE + core,
            }
            for core in range(CPUS_PER_NUMA_NODE)
        )
    _insert(conn, s.numa_node, nodes, counts)
    _insert(conn, s.numa_node_cpu_map, cpus, counts)


def _populate_vms(
    conn: Connection,
    host: HostSpec,
    vms: Sequence[VmSpec],
    cluster_id: str,
    profile_id: str,
    reported: Mapping[str, Mapping[str, Any]] | None,
    counts: PopulationCounts,
) -> None:
    statics: list[dict[str, Any]] = []
    dynamics: list[dict[str, Any]] = []
    statistics: list[dict[str, Any]] = []
    nics: list[dict[str, Any]] = []
    nic_stats: list[dict[str, Any]] = []
    guest_nics: list[dict[str, Any]] = []
    imgs: list[dict[str, Any]] = []
    disk_dyn: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    for vm in vms:
        stats = reported.get(vm.id) if reported is not None else None
        statics.append(_static_row(vm, cluster_id))
        dynamics.append(_dynamic_row(vm, host, stats))
        statistics.append(_statistics_row(vm.id))
        network = (stats or {}).get("network") or {}
        for nic in vm.nics:
            counters = network.get(nic.name) or {}
            nics.append(
                {
                    "id": nic.id,
                    "vm_guid": vm.id,
                    "vnic_profile_id": profile_id,
                    "mac_addr": nic.mac,
                    "name": nic.name,
                    "speed": nic.speed_mbps,
                    "type": 3,  # VmInterfaceType.pv (virtio)
                    "linked": True,
                    "_create_date": EPOCH,
                    "_update_date": EPOCH,
                }
            )
            nic_stats.append(_nic_statistics_row(nic.id, vm.id, counters))
        if stats is not None:
            guest_nics.extend(
                {"vm_id": vm.id, **_guest_nic_columns(g)}
                for g in canonical_guest_nics(guest_nics_from_stats(stats))
            )
        for disk in vm.disks:
            imgs.append(
                {
                    "image_guid": disk.image_id,
                    "image_group_id": disk.disk_id,
                    "it_guid": "00000000-0000-0000-0000-000000000000",
                    "size": disk.size_bytes,
                    "parentid": "00000000-0000-0000-0000-000000000000",
                    "imagestatus": 1,
                    "volume_type": 2,
                    "volume_format": 4,
                    "active": True,
                    "_create_date": EPOCH,
                    "_update_date": EPOCH,
                }
            )
            disk_dyn.append(
                {
                    "image_id": disk.image_id,
                    "read_rate": 0,
                    "write_rate": 0,
                    "actual_size": disk.size_bytes // 4,
                    "read_latency_seconds": 0,
                    "write_latency_seconds": 0,
                    "flush_latency_seconds": 0,
                    "_update_date": EPOCH,
                }
            )
        devices.extend(_device_rows(vm))
    _insert(conn, s.vm_static, statics, counts)
    _insert(conn, s.vm_dynamic, dynamics, counts)
    _insert(conn, s.vm_statistics, statistics, counts)
    _insert(conn, s.vm_interface, nics, counts)
    _insert(conn, s.vm_interface_statistics, nic_stats, counts)
    _insert(conn, s.vm_guest_agent_interfaces, guest_nics, counts)
    _insert(conn, s.images, imgs, counts)
    _insert(conn, s.disk_image_dynamic, disk_dyn, counts)
    _insert(conn, s.vm_device, devices, counts)


def _static_row(vm: VmSpec, cluster_id: str) -> dict[str, Any]:
    return {
        "vm_guid": vm.id,
        "vm_name": vm.name,
        "mem_size_mb": vm.mem_mb,
        "vmt_guid": BLANK_TEMPLATE_ID,
        "os": 5,
        "description": "",
        "free_text_comment": "",
        "cluster_id": cluster_id,
        "creation_date": EPOCH,
        "num_of_monitors": 1,
        "is_initialized": True,
        "num_of_sockets": vm.cpus,
        "cpu_per_socket": 1,
        "usb_policy": 1,
        "time_zone": "Etc/GMT",
        "is_stateless": False,
        "fail_back": False,
        "auto_startup": False,
        "vm_type": 1,
        "nice_level": 0,
        "default_boot_sequence": 0,
        "default_display_type": 1,
        "priority": 1,
        "iso_path": "",
        "origin": 0,
        "migration_support": 0,
        "min_allocated_mem": vm.mem_mb,
        "entity_type": "VM",
        "is_delete_protected": False,
        "db_generation": 1,
        "_create_date": EPOCH,
        "_update_date": EPOCH,
    }


def _dynamic_row(vm: VmSpec, host: HostSpec, stats: Mapping[str, Any] | None) -> dict[str, Any]:
    row: dict[str, Any] = {column.name: None for column in s.vm_dynamic.columns}
    row.update(
        {
            "vm_guid": vm.id,
            "status": int(VmStatus.UP),
            "run_on_vds": host.id,
            "last_vds_run_on": host.id,
            "last_start_time": EPOCH,
            "exit_status": 0,
            "pause_status": 0,
            "is_run_once": False,
            "guest_os": "Linux",
            "cpu_name": "Haswell-noTSX",
            "emulated_machine": "pc-i440fx-rhel7.3.0",
            "display": vm.display_port,
            "_update_date": EPOCH,
        }
    )
    if stats is not None:
        row.update(dynamic_from_stats(stats))
        row.update(guest_memory_from_stats(stats))
        row["hash"] = stats.get("hash")
        row["guest_agent_nics_hash"] = guest_nics_hash(guest_nics_from_stats(stats))
    return row


def _statistics_row(vm_id: str) -> dict[str, Any]:
    return {
        "vm_guid": vm_id,
        "cpu_user": 0,
        "cpu_sys": 0,
        "elapsed_time": 0,
        "usage_network_percent": 0,
        "usage_mem_percent": 0,
        "usage_cpu_percent": 0,
        "disks_usage": None,
        "migration_progress_percent": 0,
        "cpu_usage_history": "",
        "memory_usage_history": "",
        "network_usage_history": "",
        "guest_mem_buffered": None,
        "guest_mem_cached": None,
        "_update_date": EPOCH,
    }


def _nic_statistics_row(nic_id: str, vm_id: str, counters: Mapping[str, Any]) -> dict[str, Any]:
    rx = int(counters.get("rx", 0) or 0)
    tx = int(counters.get("tx", 0) or 0)
    return {
        "id": nic_id,
        "vm_id": vm_id,
        "rx_rate": 0,
        "tx_rate": 0,
        "rx_drop": 0,
        "tx_drop": 0,
        "rx_total": rx,
        "tx_total": tx,
        "rx_offset": 0,
        "tx_offset": 0,
        "iface_status": 1,
        "sample_time": float(counters.get("sampleTime", 0) or 0),
        "_update_date": EPOCH,
    }


def _guest_nic_columns(nic: Any) -> dict[str, Any]:
    return {
        "interface_name": nic.interface_name,
        "mac_address": nic.mac_address,
        "ipv4_addresses": nic.ipv4_addresses,
        "ipv6_addresses": nic.ipv6_addresses,
    }


def _device_rows(vm: VmSpec) -> Iterator[dict[str, Any]]:
    for device in vm.devices:
        yield {
            "device_id": device.id,
            "vm_id": vm.id,
            "type": device.type,
            "device": device.device,
            "address": device.address,
            "boot_order": 0,
            "spec_params": "{}",
            "is_managed": True,
            "is_plugged": True,
            "is_readonly": False,
            "alias": f"ua-{device.id}",  # the user alias the engine gives and the host reports
            "custom_properties": None,
            "snapshot_id": None,
            "logical_name": None,
            "host_device": None,
            "_create_date": EPOCH,
            "_update_date": EPOCH,
        }
