"""Every labelled data-access operation runs on both databases and is profiled under its label."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vmmonbench import inventory
from vmmonbench.db import dao
from vmmonbench.db.database import Database, parse_url
from vmmonbench.db.population import PopulationSpec, populate
from vmmonbench.db.profiler import StatementProfiler
from vmmonbench.db.schema import create_schema

SPEC = PopulationSpec(seed=9, hosts=1, vms=4, vnics=2, disks=1)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def database(db_url: str) -> Database:
    plain = Database(parse_url(db_url))
    create_schema(plain.engine)
    populate(plain.engine, SPEC)
    plain.close()
    return Database(parse_url(db_url), profiler=StatementProfiler(), validate_on_checkout=True)


def test_every_operation_is_labelled_with_its_engine_name(database: Database) -> None:
    host = inventory.host_spec(SPEC.seed, 0, SPEC.vms, SPEC.vnics, SPEC.disks)
    vm = host.vms[0]
    try:
        with database.session() as session:
            d = dao.MonitoringDao(session)
            assert len(d.get_vms_running_on_vds(host.id)) == SPEC.vms
            assert len(d.get_vms_running_by_vds(host.id)) == SPEC.vms
            dynamic = d.get_vms_dynamic_running_on_vds(host.id)
            assert len(dynamic) == SPEC.vms
            assert d.get_vm_by_guid(vm.id) is not None
            row = d.get_vm_dynamic_by_guid(vm.id)
            assert row is not None
            assert len(d.get_all_hashes()) == SPEC.vms
            assert len(d.get_vm_nic_view(vm.id)) == SPEC.vnics
            assert len(d.get_vm_nic_to_monitor(vm.id)) == SPEC.vnics
            assert len(d.get_numa_node_by_vds(host.id)) == 2
            assert len(d.get_numa_node_cpu_by_vds(host.id)) == 16
            assert d.get_numa_node_by_vm(vm.id) == []
            assert d.get_numa_node_cpu_by_vm(vm.id) == []
            assert d.get_all_assigned_numa() == []
            assert d.get_vm_jobs_by_vm(vm.id) == []
            assert d.get_all_vm_job_ids() == []
            devices = d.get_vm_devices(vm.id)
            assert len(devices) == len(vm.devices)
            now = session.timestamp(NOW)
            whole = {c: row[c] for c in dao.DYNAMIC_COLUMNS if c in row}
            rows = [{**whole, "_update_date": now, "b_vm_guid": vm.id}]
            assert d.update_vm_dynamic(rows) == 1
            columns = dao.statistics_columns(guest_memory=True, history=False)
            stats = dict.fromkeys(columns, 1) | {"disks_usage": "[]", "_update_date": now}
            stats["b_vm_guid"] = vm.id
            assert d.update_vm_statistics([stats], columns) == 1
            nic_rows = [
                dict.fromkeys(dao.NIC_STATISTICS_COLUMNS, 0) | {"_update_date": now, "b_id": nic.id}
                for nic in vm.nics
            ]
            assert d.update_vm_nic_statistics(nic_rows) == SPEC.vnics
            disk_rows = [
                dict.fromkeys(dao.DISK_DYNAMIC_COLUMNS, 0)
                | {"_update_date": now, "b_disk_id": disk.disk_id, "b_vm_id": vm.id}
                for disk in vm.disks
            ]
            assert d.update_disk_dynamic(disk_rows) == SPEC.disks
            nic = {"vm_id": vm.id, "interface_name": "eth0", "mac_address": "m"}
            assert d.insert_guest_nic(nic | {"ipv4_addresses": "", "ipv6_addresses": ""}) == 1
            assert d.delete_guest_nics_by_vm(vm.id) == 1
            assert d.insert_guest_nic(nic | {"ipv4_addresses": "", "ipv6_addresses": ""}) == 1
            assert d.delete_guest_nics_by_vms([vm.id, host.vms[1].id]) == 1
            device = devices[0] | {"device_id": "5f0f5f0f-0000-4000-8000-000000000001"}
            assert d.insert_vm_device(device) == 1
            update = {
                "b_device_id": device["device_id"],
                "b_vm_id": vm.id,
                "type": "memory",
                "device": "memory",
                "address": "{slot=0x01, type=dimm}",
                "alias": "ua-x",
                "is_plugged": True,
                "_update_date": now,
            }
            assert d.update_vm_device(update) == 1
            assert d.remove_vm_device(device["device_id"], vm.id) == 1
            assert d.set_hash([{"b_vm_guid": vm.id, "hash": "42"}]) == 1
            assert d.update_vm_static(vm.id, {"description": "x"}) == 1
            session.commit()
        assert database.profiler is not None
        labels = {s.label: s for s in database.profiler.statements()}
        for name, value in vars(dao).items():
            if name.isupper() and isinstance(value, str) and name not in {"Rows"}:
                assert value in labels, f"{value} was not profiled"
        assert labels[dao.UPDATE_VM_NIC_STATISTICS].rows == SPEC.vnics
        assert labels[dao.GET_VMS_RUNNING_ON_VDS].rows == SPEC.vms
        checkouts = sum(s.calls for label, s in labels.items() if label != "select 1")
        assert labels["select 1"].calls == checkouts
    finally:
        database.close()


def test_checkout_validation_is_a_switch(db_url: str) -> None:
    plain = Database(parse_url(db_url))
    create_schema(plain.engine)
    populate(plain.engine, SPEC)
    plain.close()
    database = Database(parse_url(db_url), profiler=StatementProfiler(), validate_on_checkout=False)
    try:
        with database.session() as session:
            dao.MonitoringDao(session).get_all_vm_job_ids()
        assert database.profiler is not None
        assert [s.label for s in database.profiler.statements()] == [dao.GET_ALL_VM_JOB_IDS]
    finally:
        database.close()
