"""The oVirt-shaped monitoring schema: tables, keys, indexes and the views monitoring reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    Select,
    String,
    Table,
    Text,
    Uuid,
    inspect,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

from vmmonbench.db import stored_sql

# native uuid on PostgreSQL; on SQLite the 36-character text form (no per-value conversion)
UUID = Uuid(as_uuid=False).with_variant(String(36), "sqlite")
ViewQuery: TypeAlias = "Select[*tuple[Any, ...]]"
TIMESTAMP = DateTime(timezone=True)

metadata = MetaData()
views = MetaData()  # view definitions for typed queries; never passed to create_all

storage_pool = Table(
    "storage_pool",
    metadata,
    Column("id", UUID, primary_key=True),
    Column("name", String(40), nullable=False, unique=True),
    Column("description", String(4000)),
    Column("status", Integer, nullable=False),
    Column("is_local", Boolean),
    Column("compatibility_version", String(40), nullable=False),
    Column("quota_enforcement_type", Integer),
    Column("_create_date", TIMESTAMP),
    Column("_update_date", TIMESTAMP),
)

quota = Table(
    "quota",
    metadata,
    Column("id", UUID, primary_key=True),
    Column("storage_pool_id", UUID, ForeignKey("storage_pool.id"), nullable=False),
    Column("quota_name", String(65), nullable=False),
    Column("description", String(250)),
)

cluster = Table(
    "cluster",
    metadata,
    Column("cluster_id", UUID, primary_key=True),
    Column("storage_pool_id", UUID, ForeignKey("storage_pool.id"), index=True),
    Column("name", String(40), nullable=False, unique=True),
    Column("description", String(4000)),
    Column("cpu_name", String(255)),
    Column("compatibility_version", String(40), nullable=False),
    Column("migrate_on_error", Integer, nullable=False, default=1),
    Column("_create_date", TIMESTAMP),
    Column("_update_date", TIMESTAMP),
)

vds = Table(
    "vds",
    metadata,
    Column("vds_id", UUID, primary_key=True),
    Column("vds_name", String(255), nullable=False, unique=True),
    Column("host_name", String(255), nullable=False),
    Column("port", Integer, nullable=False),
    Column("cluster_id", UUID, ForeignKey("cluster.cluster_id"), nullable=False, index=True),
    Column("status", Integer, nullable=False),
    Column("cpu_cores", Integer),
    Column("cpu_sockets", Integer),
    Column("physical_mem_mb", Integer),
    Column("vm_count", Integer, nullable=False, default=0),
    Column("_update_date", TIMESTAMP),
)

network = Table(
    "network",
    metadata,
    Column("id", UUID, primary_key=True),
    Column("name", String(256), nullable=False),
    Column("description", String(4000)),
    Column("mtu", Integer),
    Column("vlan_id", Integer),
    Column("vm_network", Boolean, nullable=False, default=True),
)

qos = Table(
    "qos",
    metadata,
    Column("id", UUID, primary_key=True),
    Column("qos_type", Integer, nullable=False),
    Column("name", String(50)),
    Column("storage_pool_id", UUID, ForeignKey("storage_pool.id")),
)

vnic_profiles = Table(
    "vnic_profiles",
    metadata,
    Column("id", UUID, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("network_id", UUID, ForeignKey("network.id"), nullable=False, index=True),
    Column("network_qos_id", UUID, ForeignKey("qos.id")),
    Column("port_mirroring", Boolean, nullable=False, default=False),
    Column("custom_properties", Text),
    Column("description", Text),
)

vm_static = Table(
    "vm_static",
    metadata,
    Column("vm_guid", UUID, primary_key=True),
    Column("vm_name", String(255), nullable=False),
    Column("mem_size_mb", Integer, nullable=False),
    Column("vmt_guid", UUID, nullable=False),
    Column("os", Integer, nullable=False, default=0),
    Column("description", String(4000)),
    Column("free_text_comment", Text),
    Column("cluster_id", UUID, ForeignKey("cluster.cluster_id"), nullable=False, index=True),
    Column("creation_date", TIMESTAMP),
    Column("num_of_monitors", Integer, nullable=False, default=1),
    Column("is_initialized", Boolean),
    Column("num_of_sockets", Integer, nullable=False, default=1),
    Column("cpu_per_socket", Integer, nullable=False, default=1),
    Column("usb_policy", Integer),
    Column("time_zone", String(40)),
    Column("is_stateless", Boolean),
    Column("fail_back", Boolean, nullable=False, default=False),
    Column("auto_startup", Boolean),
    Column("vm_type", Integer, nullable=False, default=0),
    Column("nice_level", Integer, nullable=False, default=0),
    Column("default_boot_sequence", Integer, nullable=False, default=0),
    Column("default_display_type", Integer, nullable=False, default=0),
    Column("priority", Integer, nullable=False, default=0),
    Column("iso_path", String(4000)),
    Column("origin", Integer),
    Column("migration_support", Integer, nullable=False, default=0),
    Column("min_allocated_mem", Integer, nullable=False, default=0),
    Column("entity_type", String(32), nullable=False),
    Column("is_delete_protected", Boolean),
    Column("quota_id", UUID, ForeignKey("quota.id")),
    Column("db_generation", BigInteger, default=1),
    Column("_create_date", TIMESTAMP),
    Column("_update_date", TIMESTAMP),
)

# The 3.6 column set (54 columns, guest memory included); 4.1 stops writing guest_mem_*.
vm_dynamic = Table(
    "vm_dynamic",
    metadata,
    Column("vm_guid", UUID, ForeignKey("vm_static.vm_guid"), primary_key=True),
    Column("status", Integer, nullable=False),
    Column("vm_ip", Text),
    Column("vm_host", String(255)),
    Column("vm_pid", Integer),
    Column("last_start_time", TIMESTAMP),
    Column("last_stop_time", TIMESTAMP),
    Column("guest_cur_user_name", String(255)),
    Column("guest_os", String(255)),
    Column("run_on_vds", UUID, index=True),
    Column("migrating_to_vds", UUID),
    Column("app_list", Text),
    Column("acpi_enable", Boolean),
    Column("session", Integer),
    Column("kvm_enable", Boolean),
    Column("utc_diff", Integer),
    Column("last_vds_run_on", UUID),
    Column("client_ip", String(255)),
    Column("guest_requested_memory", Integer),
    Column("boot_sequence", Integer),
    Column("exit_status", Integer, nullable=False, default=0),
    Column("pause_status", Integer, nullable=False, default=0),
    Column("exit_message", String(4000)),
    Column("exit_reason", Integer),
    Column("hash", String(30)),
    Column("console_user_id", UUID),
    Column("guest_agent_nics_hash", Integer),
    Column("console_cur_user_name", String(255)),
    Column("last_watchdog_event", BigInteger),
    Column("last_watchdog_action", String(8)),
    Column("is_run_once", Boolean, nullable=False, default=False),
    Column("vm_fqdn", Text),
    Column("cpu_name", String(255)),
    Column("emulated_machine", String(255)),
    Column("current_cd", String(4000)),
    Column("reason", Text),
    Column("guest_cpu_count", Integer),
    Column("display", Integer),
    Column("display_secure_port", Integer),
    Column("display_ip", String(255)),
    Column("display_type", Integer),
    Column("spice_driver_version", Text),
    Column("guest_timezone_offset", Integer),
    Column("guest_timezone_name", String(255)),
    Column("guestos_arch", Integer),
    Column("guestos_codename", String(255)),
    Column("guestos_distribution", String(255)),
    Column("guestos_kernel_version", String(255)),
    Column("guestos_type", String(255)),
    Column("guestos_version", String(255)),
    Column("guest_mem_free", BigInteger),
    Column("guest_mem_buffered", BigInteger),
    Column("guest_mem_cached", BigInteger),
    Column("_update_date", TIMESTAMP),
)

vm_statistics = Table(
    "vm_statistics",
    metadata,
    Column("vm_guid", UUID, ForeignKey("vm_static.vm_guid"), primary_key=True),
    Column("cpu_user", Numeric(18, 2, asdecimal=False), default=0),
    Column("cpu_sys", Numeric(18, 2, asdecimal=False), default=0),
    Column("elapsed_time", Numeric(18, 0, asdecimal=False), default=0),
    Column("usage_network_percent", Integer, default=0),
    Column("usage_mem_percent", Integer, default=0),
    Column("usage_cpu_percent", Integer, default=0),
    Column("disks_usage", Text),
    Column("migration_progress_percent", Integer, default=0),
    Column("cpu_usage_history", Text),
    Column("memory_usage_history", Text),
    Column("network_usage_history", Text),
    Column("guest_mem_buffered", BigInteger),
    Column("guest_mem_cached", BigInteger),
    Column("_update_date", TIMESTAMP),
)

vm_interface = Table(
    "vm_interface",
    metadata,
    Column("id", UUID, primary_key=True),
    Column("vm_guid", UUID, ForeignKey("vm_static.vm_guid"), index=True),
    Column("vmt_guid", UUID, ForeignKey("vm_static.vm_guid"), index=True),  # template NICs
    Column("vnic_profile_id", UUID, ForeignKey("vnic_profiles.id")),
    Column("mac_addr", String(20)),
    Column("name", String(50), nullable=False),
    Column("speed", Integer),
    Column("type", Integer, default=0),
    Column("linked", Boolean, nullable=False, default=True),
    Column("_create_date", TIMESTAMP),
    Column("_update_date", TIMESTAMP),
)

vm_interface_statistics = Table(
    "vm_interface_statistics",
    metadata,
    Column("id", UUID, ForeignKey("vm_interface.id"), primary_key=True),
    Column("vm_id", UUID, index=True),
    Column("rx_rate", Numeric(24, 4, asdecimal=False)),
    Column("tx_rate", Numeric(24, 4, asdecimal=False)),
    Column("rx_drop", Numeric(20, 0, asdecimal=False)),
    Column("tx_drop", Numeric(20, 0, asdecimal=False)),
    Column("rx_total", BigInteger),
    Column("tx_total", BigInteger),
    Column("rx_offset", BigInteger),
    Column("tx_offset", BigInteger),
    Column("iface_status", Integer),
    Column("sample_time", Numeric(20, 3, asdecimal=False)),
    Column("_update_date", TIMESTAMP),
)

images = Table(
    "images",
    metadata,
    Column("image_guid", UUID, primary_key=True),
    Column("image_group_id", UUID, nullable=False, index=True),
    Column("it_guid", UUID, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("parentid", UUID),
    Column("imagestatus", Integer, default=0),
    Column("volume_type", Integer, nullable=False, default=2),
    Column("volume_format", Integer, nullable=False, default=4),
    Column("active", Boolean, nullable=False, default=False),
    Column("_create_date", TIMESTAMP),
    Column("_update_date", TIMESTAMP),
)

disk_image_dynamic = Table(
    "disk_image_dynamic",
    metadata,
    Column("image_id", UUID, ForeignKey("images.image_guid"), primary_key=True),
    Column("read_rate", Integer),
    Column("write_rate", Integer),
    Column("actual_size", BigInteger, nullable=False),
    Column("read_latency_seconds", Numeric(18, 9, asdecimal=False)),
    Column("write_latency_seconds", Numeric(18, 9, asdecimal=False)),
    Column("flush_latency_seconds", Numeric(18, 9, asdecimal=False)),
    Column("_update_date", TIMESTAMP),
)

vm_device = Table(
    "vm_device",
    metadata,
    Column("device_id", UUID, primary_key=True),
    Column("vm_id", UUID, ForeignKey("vm_static.vm_guid"), primary_key=True, index=True),
    Column("type", String(30), nullable=False),
    Column("device", String(255), nullable=False),
    Column("address", String(255), nullable=False),
    Column("boot_order", Integer, default=0),
    Column("spec_params", Text),
    Column("is_managed", Boolean, nullable=False, default=False),
    Column("is_plugged", Boolean),
    Column("is_readonly", Boolean, nullable=False, default=False),
    Column("alias", String(255)),
    Column("custom_properties", Text),
    Column("snapshot_id", UUID),
    Column("logical_name", String(255)),
    Column("host_device", String(255)),
    Column("_create_date", TIMESTAMP),
    Column("_update_date", TIMESTAMP),
)

vm_guest_agent_interfaces = Table(
    "vm_guest_agent_interfaces",
    metadata,
    Column("vm_id", UUID, ForeignKey("vm_static.vm_guid"), nullable=False, index=True),
    Column("interface_name", Text),
    Column("mac_address", String(59)),
    Column("ipv4_addresses", Text),
    Column("ipv6_addresses", Text),
)

vm_jobs = Table(
    "vm_jobs",
    metadata,
    Column("vm_job_id", UUID, primary_key=True),
    Column("vm_id", UUID, ForeignKey("vm_static.vm_guid"), nullable=False, index=True),
    Column("job_state", Integer, nullable=False),
    Column("job_type", Integer, nullable=False),
    Column("block_job_type", Integer),
    Column("bandwidth", Integer),
    Column("cursor_cur", BigInteger),
    Column("cursor_end", BigInteger),
    Column("image_group_id", UUID),
)

numa_node = Table(
    "numa_node",
    metadata,
    Column("numa_node_id", UUID, primary_key=True),
    Column("vds_id", UUID, ForeignKey("vds.vds_id"), index=True),
    Column("vm_id", UUID, ForeignKey("vm_static.vm_guid"), index=True),
    Column("numa_node_index", Integer),
    Column("mem_total", BigInteger),
    Column("cpu_count", Integer),
    Column("mem_free", BigInteger),
    Column("usage_mem_percent", Integer),
    Column("cpu_sys", Numeric(5, 2, asdecimal=False)),
    Column("cpu_user", Numeric(5, 2, asdecimal=False)),
    Column("cpu_idle", Numeric(5, 2, asdecimal=False)),
    Column("usage_cpu_percent", Integer),
    Column("distance", Text),
)

numa_node_cpu_map = Table(
    "numa_node_cpu_map",
    metadata,
    Column("id", UUID, primary_key=True),
    Column("numa_node_id", UUID, ForeignKey("numa_node.numa_node_id"), nullable=False, index=True),
    Column("cpu_core_id", Integer),
)

vm_vds_numa_node_map = Table(
    "vm_vds_numa_node_map",
    metadata,
    Column("id", UUID, primary_key=True),
    Column("vm_numa_node_id", UUID, ForeignKey("numa_node.numa_node_id"), index=True),
    Column("vds_numa_node_id", UUID, ForeignKey("numa_node.numa_node_id"), index=True),
    Column("vds_numa_node_index", Integer),
    Column("is_pinned", Boolean, nullable=False, default=False),
)

vm_pools = Table(
    "vm_pools",
    metadata,
    Column("vm_pool_id", UUID, primary_key=True),
    Column("vm_pool_name", String(255), nullable=False),
    Column("vm_pool_description", String(4000), nullable=False),
    Column("cluster_id", UUID, ForeignKey("cluster.cluster_id")),
    Column("spice_proxy", String(255)),
)

vm_pool_map = Table(
    "vm_pool_map",
    metadata,
    Column("vm_pool_id", UUID, ForeignKey("vm_pools.vm_pool_id")),
    Column("vm_guid", UUID, ForeignKey("vm_static.vm_guid"), primary_key=True),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("snapshot_id", UUID, primary_key=True),
    Column("vm_id", UUID, ForeignKey("vm_static.vm_guid"), nullable=False, index=True),
    Column("snapshot_type", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("description", String(4000)),
    Column("creation_date", TIMESTAMP, nullable=False),
    Column("changed_fields", Text),
)

# who may see what: the views' permission check reads it (monitoring calls unfiltered)
permissions = Table(
    "permissions",
    metadata,
    Column("id", UUID, primary_key=True),
    Column("role_id", UUID, nullable=False),
    Column("ad_element_id", UUID, nullable=False, index=True),
    Column("object_id", UUID, nullable=False, index=True),
    Column("object_type_id", Integer, nullable=False),
)

Index(
    "idx_vm_interface_statistics_vm_id_id",
    vm_interface_statistics.c.vm_id,
    vm_interface_statistics.c.id,
)


def _columns(
    table: Table, *, skip: tuple[str, ...] = (), prefix: str = ""
) -> list[ColumnElement[object]]:
    return [c.label(prefix + c.name) for c in table.columns if c.name not in skip]


def _vms_select() -> ViewQuery:
    # the heavy view: static + dynamic + statistics + cluster + host, every column
    return (
        select(
            *_columns(vm_static, skip=("_create_date", "_update_date")),
            cluster.c.name.label("cluster_name"),
            cluster.c.compatibility_version.label("cluster_compatibility_version"),
            cluster.c.cpu_name.label("cluster_cpu_name"),
            *_columns(vm_dynamic, skip=("vm_guid", "_update_date")),
            *_columns(vm_statistics, skip=("vm_guid",), prefix="stat"),
            vds.c.vds_name.label("run_on_vds_name"),
            vds.c.host_name.label("run_on_vds_host_name"),
        )
        .select_from(
            vm_static.join(vm_dynamic, vm_dynamic.c.vm_guid == vm_static.c.vm_guid)
            .join(vm_statistics, vm_statistics.c.vm_guid == vm_static.c.vm_guid)
            .join(cluster, cluster.c.cluster_id == vm_static.c.cluster_id)
            .outerjoin(vds, vds.c.vds_id == vm_dynamic.c.run_on_vds)
        )
        .where(vm_static.c.entity_type == "VM")
    )


def _vms_monitoring_select() -> ViewQuery:
    # the 4.0 light view: dynamic + statistics + the few static fields monitoring needs
    return select(
        vm_static.c.vm_name,
        vm_static.c.mem_size_mb,
        vm_static.c.num_of_sockets,
        vm_static.c.cpu_per_socket,
        vm_static.c.cluster_id,
        vm_static.c.migration_support,
        *_columns(vm_dynamic, skip=("_update_date",)),
        *_columns(vm_statistics, skip=("vm_guid",), prefix="stat"),
    ).select_from(
        vm_dynamic.join(vm_static, vm_static.c.vm_guid == vm_dynamic.c.vm_guid).join(
            vm_statistics, vm_statistics.c.vm_guid == vm_dynamic.c.vm_guid
        )
    )


def _vm_interface_view_select() -> ViewQuery:
    # the heavy NIC view: interface + statistics + VM name + profile + network
    return select(
        *_columns(vm_interface_statistics, skip=("id", "vm_id", "_update_date")),
        *_columns(vm_interface, skip=("_create_date",)),
        vm_static.c.vm_name,
        vm_static.c.entity_type.label("vm_entity_type"),
        vnic_profiles.c.name.label("vnic_profile_name"),
        vnic_profiles.c.port_mirroring,
        network.c.name.label("network_name"),
        network.c.mtu.label("network_mtu"),
        network.c.vlan_id.label("network_vlan_id"),
    ).select_from(
        vm_interface.join(
            vm_interface_statistics, vm_interface_statistics.c.id == vm_interface.c.id
        )
        .join(vm_static, vm_static.c.vm_guid == vm_interface.c.vm_guid)
        .outerjoin(vnic_profiles, vnic_profiles.c.id == vm_interface.c.vnic_profile_id)
        .outerjoin(network, network.c.id == vnic_profiles.c.network_id)
    )


def _vm_interface_monitoring_select() -> ViewQuery:
    # the 4.1 light NIC view: only what rate computation needs
    return select(
        vm_interface.c.id,
        vm_interface.c.vm_guid,
        vm_interface.c.name,
        vm_interface.c.mac_addr,
        vm_interface.c.speed,
        vm_interface_statistics.c.rx_total,
        vm_interface_statistics.c.tx_total,
        vm_interface_statistics.c.rx_offset,
        vm_interface_statistics.c.tx_offset,
        vm_interface_statistics.c.sample_time,
    ).select_from(
        vm_interface.join(
            vm_interface_statistics, vm_interface_statistics.c.id == vm_interface.c.id
        )
    )


@dataclass(frozen=True, slots=True)
class ViewDef:
    """A view: its name, its defining query, and a typed Table to query it with."""

    name: str
    query: ViewQuery
    table: Table


def _view(name: str, query: ViewQuery) -> ViewDef:
    table = Table(name, views, *(Column(c.key, c.type) for c in query.selected_columns))
    return ViewDef(name=name, query=query, table=table)


# SQLite's views; PostgreSQL has the engine's own definitions (postgresql/create_views.sql)
VIEWS: tuple[ViewDef, ...] = (
    _view("vms", _vms_select()),
    _view("vms_monitoring_view", _vms_monitoring_select()),
    _view("vm_interface_view", _vm_interface_view_select()),
    _view("vm_interface_monitoring_view", _vm_interface_monitoring_select()),
)
vms_view, vms_monitoring_view, vm_interface_view, vm_interface_monitoring_view = (
    v.table for v in VIEWS
)


def create_schema(engine: Engine) -> None:
    """Create every table, index and view (the database must not hold them yet).

    On PostgreSQL the views and the engine's stored functions come from the package's SQL
    files (`stored_sql`); on SQLite the views are compiled from their definitions here.
    """
    metadata.create_all(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            stored_sql.install(conn)
            return
        for view in VIEWS:
            body = view.query.compile(
                dialect=engine.dialect, compile_kwargs={"literal_binds": True}
            )
            conn.execute(text(f"CREATE VIEW {view.name} AS {body}"))


def drop_schema(engine: Engine) -> None:
    """Drop the functions, views and tables this module creates, if present."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            stored_sql.drop(conn)
        else:
            existing_views = set(inspect(engine).get_view_names())
            for view in reversed(VIEWS):
                if view.name in existing_views:
                    conn.execute(text(f"DROP VIEW {view.name}"))
    metadata.drop_all(engine)
