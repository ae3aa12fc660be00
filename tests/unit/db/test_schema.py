"""The oVirt-shaped schema on SQLite and PostgreSQL: tables, keys, indexes, views."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from vmmonbench.db import schema as s
from vmmonbench.db.schema import create_schema, drop_schema

MONITORING_TABLES = {
    "cluster",
    "vds",
    "vm_static",
    "vm_dynamic",
    "vm_statistics",
    "vm_interface",
    "vm_interface_statistics",
    "images",
    "disk_image_dynamic",
    "vm_device",
    "vm_guest_agent_interfaces",
    "vm_jobs",
    "numa_node",
    "numa_node_cpu_map",
    "vm_vds_numa_node_map",
}
VIEWS = {"vms", "vms_monitoring_view", "vm_interface_view", "vm_interface_monitoring_view"}


def test_create_makes_every_table_view_key_and_index(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        create_schema(engine)
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) >= MONITORING_TABLES
        assert set(inspector.get_view_names()) >= VIEWS
        assert inspector.get_pk_constraint("vm_dynamic")["constrained_columns"] == ["vm_guid"]
        assert set(inspector.get_pk_constraint("vm_device")["constrained_columns"]) == {
            "device_id",
            "vm_id",
        }
        indexed = {tuple(i["column_names"]) for i in inspector.get_indexes("vm_dynamic")}
        assert ("run_on_vds",) in indexed
        indexed = {tuple(i["column_names"]) for i in inspector.get_indexes("vm_interface")}
        assert ("vm_guid",) in indexed
        foreign = inspector.get_foreign_keys("vm_interface_statistics")
        assert foreign[0]["referred_table"] == "vm_interface"
        with engine.connect() as conn:
            for view in VIEWS:
                assert conn.execute(text(f"SELECT * FROM {view}")).all() == []
        drop_schema(engine)
        assert not set(inspect(engine).get_table_names()) & MONITORING_TABLES
    finally:
        engine.dispose()


def test_column_sets_follow_the_domain_brief() -> None:
    # DOMAIN.md section 6: vm_dynamic 54 columns in 3.6 (guest memory included)
    assert len(s.vm_dynamic.columns) == 54
    assert {"guest_mem_free", "guest_mem_buffered", "guest_mem_cached", "hash"} <= set(
        s.vm_dynamic.c.keys()
    )
    assert len(s.vm_interface_statistics.columns) == 13
    assert len(s.disk_image_dynamic.columns) == 8
    assert len(s.vm_device.columns) == 17
    assert len(s.vm_guest_agent_interfaces.columns) == 5
    assert len(s.vm_jobs.columns) == 9
    assert {"cpu_usage_history", "memory_usage_history", "network_usage_history"} <= set(
        s.vm_statistics.c.keys()
    )


def test_heavy_view_is_much_wider_than_the_light_ones() -> None:
    assert len(s.vms_view.columns) > len(s.vms_monitoring_view.columns) > len(s.vm_dynamic.columns)
    assert len(s.vm_interface_view.columns) > 2 * len(s.vm_interface_monitoring_view.columns)
