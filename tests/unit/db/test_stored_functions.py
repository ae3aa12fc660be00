"""The engine's stored functions on a real PostgreSQL, against SQLite's plain SQL, same data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, select, text

from vmmonbench import inventory
from vmmonbench.db import dao, stored_sql
from vmmonbench.db import schema as s
from vmmonbench.db.database import Database, parse_url
from vmmonbench.db.population import PopulationSpec, populate
from vmmonbench.db.profiler import StatementProfiler
from vmmonbench.db.schema import create_schema

pytestmark = pytest.mark.postgres

SPEC = PopulationSpec(seed=5, hosts=1, vms=3, vnics=2, disks=1)
HOST = inventory.host_spec(SPEC.seed, 0, SPEC.vms, SPEC.vnics, SPEC.disks)
VM = HOST.vms[0]
NOW = datetime(2026, 2, 1, tzinfo=UTC)
NODE = "6a1e0000-0000-4000-8000-000000000001"
JOB = "6a1e0000-0000-4000-8000-000000000002"


@dataclass
class Pair:
    """The same populated inventory on SQLite (plain SQL) and PostgreSQL (stored functions)."""

    sqlite: Database
    postgres: Database

    def both(self) -> tuple[Database, Database]:
        return self.sqlite, self.postgres


def _extra_rows(url: str) -> None:
    # a VM NUMA node pinned to a host node, and a VM job: rows the reads must return
    engine = create_engine(url)
    with engine.begin() as conn:
        host_node = conn.execute(
            select(s.numa_node.c.numa_node_id).where(s.numa_node.c.vds_id == HOST.id).limit(1)
        ).scalar_one()
        conn.execute(
            insert(s.numa_node),
            [{"numa_node_id": NODE, "vm_id": VM.id, "numa_node_index": 0, "cpu_count": 1}],
        )
        conn.execute(
            insert(s.numa_node_cpu_map),
            [
                {
                    "id": "6a1e0000-0000-4000-8000-000000000003",
                    "numa_node_id": NODE,
                    "cpu_core_id": 0,
                }
            ],
        )
        conn.execute(
            insert(s.vm_vds_numa_node_map),
            [
                {
                    "id": "6a1e0000-0000-4000-8000-000000000004",
                    "vm_numa_node_id": NODE,
                    "vds_numa_node_id": host_node,
                    "vds_numa_node_index": 0,
                    "is_pinned": True,
                }
            ],
        )
        conn.execute(
            insert(s.vm_jobs), [{"vm_job_id": JOB, "vm_id": VM.id, "job_state": 1, "job_type": 1}]
        )
    engine.dispose()


@pytest.fixture
def pair(sqlite_url: str, pg_database_url: str) -> Iterator[Pair]:
    admin = create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    admin.dispose()
    for url in (sqlite_url, pg_database_url):
        engine = create_engine(url)
        create_schema(engine)
        populate(engine, SPEC)
        engine.dispose()
        _extra_rows(url)
    made = Pair(
        Database(parse_url(sqlite_url), profiler=StatementProfiler()),
        Database(parse_url(pg_database_url), profiler=StatementProfiler()),
    )
    yield made
    for database in made.both():
        database.close()


def _reads(database: Database) -> dict[str, Any]:
    with database.session() as session:
        d = dao.MonitoringDao(session)
        return {
            "running": d.get_vms_running_on_vds(HOST.id),
            "running_by": d.get_vms_running_by_vds(HOST.id),
            "dynamic": d.get_vms_dynamic_running_on_vds(HOST.id),
            "vm": [d.get_vm_by_guid(VM.id)],
            "vm_dynamic": [d.get_vm_dynamic_by_guid(VM.id)],
            "hashes": sorted(d.get_all_hashes()),
            "nic_view": d.get_vm_nic_view(VM.id),
            "nic_monitor": d.get_vm_nic_to_monitor(VM.id),
            "numa_vds": sorted(d.get_numa_node_by_vds(HOST.id)),
            "numa_cpu_vds": sorted(d.get_numa_node_cpu_by_vds(HOST.id)),
            "numa_vm": d.get_numa_node_by_vm(VM.id),
            "numa_cpu_vm": d.get_numa_node_cpu_by_vm(VM.id),
            "assigned": d.get_all_assigned_numa(),
            "jobs": d.get_vm_jobs_by_vm(VM.id),
            "job_ids": d.get_all_vm_job_ids(),
            "devices": d.get_vm_devices(VM.id),
        }


def _plain(value: Any) -> Any:
    # SQLite's driver path returns stored text and integers where psycopg returns datetimes,
    # booleans and floats: compare the values, not their Python types
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _common(rows: list[Any], other: list[Any]) -> tuple[list[Any], list[Any]]:
    # the engine's views carry columns SQLite's lack (and the other way round): compare the
    # columns both have, rows in id order
    if not rows or not isinstance(rows[0], dict):
        return [tuple(map(_plain, r)) for r in rows], [tuple(map(_plain, r)) for r in other]
    keys = sorted(rows[0].keys() & other[0].keys())
    order = "id" if "id" in keys else "vm_guid" if "vm_guid" in keys else keys[0]

    def project(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        projected = (tuple(_plain(r[k]) for k in keys) for r in records)
        return sorted(projected, key=lambda t: str(t[keys.index(order)]))

    return project(rows), project(other)


def test_every_read_returns_what_the_sqlite_equivalent_returns(pair: Pair) -> None:
    lite, pg = (_reads(database) for database in pair.both())
    for name in lite:
        assert len(pg[name]) == len(lite[name]) > 0, name
        expected, got = _common(lite[name], pg[name])
        assert got == expected, name
    # the view rows must carry every vm_dynamic column: the whole-row update is built from them
    assert set(dao.DYNAMIC_COLUMNS) - {"_update_date"} <= pg["running"][0].keys()
    assert {"rx_total", "sample_time", "speed", "name", "id"} <= pg["nic_view"][0].keys()


def _write_all(database: Database) -> None:
    with database.session() as session:
        d = dao.MonitoringDao(session)
        now = session.timestamp(NOW)
        row = d.get_vm_dynamic_by_guid(VM.id)
        assert row is not None
        whole = {c: row[c] for c in dao.DYNAMIC_COLUMNS} | {"status": 6, "guest_mem_free": 7}
        assert d.update_vm_dynamic([whole | {"_update_date": now, "b_vm_guid": VM.id}]) == 1
        for memory in (False, True):
            for history in (False, True):
                columns = dao.statistics_columns(guest_memory=memory, history=history)
                stats = dict.fromkeys(columns, 3) | {"disks_usage": "[]", "_update_date": now}
                history_text = "1,2" if history else ""
                stats |= {c: history_text for c in columns if c.endswith("_history")}
                assert d.update_vm_statistics([stats | {"b_vm_guid": VM.id}], columns) == 1
        nic_rows = [
            dict.fromkeys(dao.NIC_STATISTICS_COLUMNS, 9) | {"_update_date": now, "b_id": nic.id}
            for nic in VM.nics
        ]
        assert d.update_vm_nic_statistics(nic_rows) == len(VM.nics)
        disk = dict.fromkeys(dao.DISK_DYNAMIC_COLUMNS, 4) | {"_update_date": now}
        disk |= {"b_disk_id": VM.disks[0].disk_id, "b_vm_id": VM.id}
        assert d.update_disk_dynamic([disk]) == 1
        nic = {"vm_id": VM.id, "interface_name": "eth0", "mac_address": "m", "ipv6_addresses": ""}
        d.delete_guest_nics_by_vms([vm.id for vm in HOST.vms])  # PostgreSQL counts the call
        assert d.insert_guest_nic(nic | {"ipv4_addresses": "10.0.0.1"}) == 1
        d.delete_guest_nics_by_vm(VM.id)
        assert d.insert_guest_nic(nic | {"ipv4_addresses": "10.0.0.2"}) == 1
        devices = d.get_vm_devices(VM.id)
        new_device = devices[0] | {"device_id": "6a1e0000-0000-4000-8000-000000000005"}
        assert d.insert_vm_device(new_device | {"_create_date": now, "_update_date": now}) == 1
        update = {"b_device_id": devices[1]["device_id"], "b_vm_id": VM.id, "type": "disk"}
        update |= {"device": "disk", "address": "{slot=0x09}", "alias": "a", "is_plugged": False}
        assert d.update_vm_device(update | {"_update_date": now}) == 1
        assert d.remove_vm_device(devices[2]["device_id"], VM.id) == 1
        assert d.set_hash([{"b_vm_guid": VM.id, "hash": "4242"}]) == 1
        session.commit()


def _tables(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    tables = (
        s.vm_dynamic,
        s.vm_statistics,
        s.vm_interface_statistics,
        s.disk_image_dynamic,
        s.vm_guest_agent_interfaces,
        s.vm_device,
    )
    read: dict[str, list[tuple[Any, ...]]] = {}
    with database.engine.connect() as conn:
        for table in tables:
            # the engine's procedures stamp their own update time: not compared
            columns = [c for c in table.columns if c.name not in {"_update_date", "_create_date"}]
            rows = conn.execute(select(*columns)).all()
            read[table.name] = sorted(tuple(str(_plain(v)) for v in r) for r in rows)
    return read


def test_every_write_writes_what_the_sqlite_equivalent_writes(pair: Pair) -> None:
    for database in pair.both():
        _write_all(database)
    lite, pg = (_tables(database) for database in pair.both())
    for table, rows in lite.items():
        assert pg[table] == rows, table


def test_a_procedure_call_is_profiled_as_a_write_of_its_parameter_sets(pair: Pair) -> None:
    _write_all(pair.postgres)
    assert pair.postgres.profiler is not None
    labelled = {s.label: s for s in pair.postgres.profiler.statements()}
    dynamic = labelled[dao.UPDATE_VM_DYNAMIC]
    assert dynamic.sql.startswith("SELECT UpdateVmDynamic(")
    assert dynamic.kind == "write"
    assert dynamic.rows == 1
    assert labelled[dao.UPDATE_VM_NIC_STATISTICS].rows == len(VM.nics)
    reads = labelled[dao.GET_VM_DEVICES_BY_VM]
    assert reads.kind == "read"
    assert reads.sql.startswith("SELECT * FROM GetVmDeviceByVmId(")


def test_the_files_create_exactly_the_functions_the_dao_calls(pg_database_url: str) -> None:
    admin = create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    create_schema(admin)
    with admin.connect() as conn:
        installed = {
            (name, tuple(arguments or ()))
            for name, arguments in conn.execute(
                text(
                    "SELECT proname, proargnames FROM pg_proc"
                    " WHERE pronamespace = current_schema()::regnamespace"
                )
            )
        }
    admin.dispose()
    called = {(f.name.lower(), tuple(a.name for a in f.arguments)) for f in dao.stored_functions()}
    helpers = {("fn_get_num_of_vcpus", ("v_vm_static",))}
    # RETURNS TABLE columns are output arguments: proargnames lists them after the inputs
    inputs = {
        (name, tuple(a for a in arguments if a.startswith("v_"))) for name, arguments in installed
    }
    assert inputs == called | helpers
    assert {name for name, _ in installed} == stored_sql.function_names()
