"""Bulk population: row counts per table, and agreement with the inventory of the fake hosts."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select

from vmmonbench import inventory
from vmmonbench.db import schema as s
from vmmonbench.db.population import HOST_NUMA_NODES, PopulationSpec, populate
from vmmonbench.db.schema import create_schema
from vmmonbench.vmstatus import VmStatus

SPEC = PopulationSpec(seed=3, hosts=2, vms=7, vnics=2, disks=3)


def test_population_counts_per_table(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        create_schema(engine)
        counts = populate(engine, SPEC)
        vms = SPEC.hosts * SPEC.vms
        host = inventory.host_spec(SPEC.seed, 0, SPEC.vms, SPEC.vnics, SPEC.disks)
        devices_per_vm = len(host.vms[0].devices)
        expected = {
            "storage_pool": 1,
            "vds": SPEC.hosts,
            "vm_static": vms + 1,  # and the Blank template every VM is made from
            "vm_dynamic": vms,
            "vm_statistics": vms,
            "vm_interface": vms * SPEC.vnics,
            "vm_interface_statistics": vms * SPEC.vnics,
            "images": vms * SPEC.disks,
            "disk_image_dynamic": vms * SPEC.disks,
            "vm_device": vms * devices_per_vm,
            "numa_node": SPEC.hosts * HOST_NUMA_NODES,
        }
        with engine.connect() as conn:
            for table, count in expected.items():
                assert counts.rows[table] == count
                table_obj = s.metadata.tables[table]
                assert (
                    conn.execute(select(func.count()).select_from(table_obj)).scalar_one() == count
                )
            running = conn.execute(
                select(func.count())
                .select_from(s.vm_dynamic)
                .where(s.vm_dynamic.c.status == int(VmStatus.UP))
            ).scalar_one()
            assert running == vms
    finally:
        engine.dispose()


def test_population_matches_the_inventory_for_the_same_seed(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        create_schema(engine)
        populate(engine, SPEC)
        host = inventory.host_spec(SPEC.seed, 1, SPEC.vms, SPEC.vnics, SPEC.disks)
        with engine.connect() as conn:
            stored = {
                row.vm_guid: row.vm_name
                for row in conn.execute(
                    select(s.vm_dynamic.c.vm_guid, s.vm_static.c.vm_name)
                    .join(s.vm_static, s.vm_static.c.vm_guid == s.vm_dynamic.c.vm_guid)
                    .where(s.vm_dynamic.c.run_on_vds == host.id)
                )
            }
            macs = set(conn.execute(select(s.vm_interface.c.mac_addr)).scalars())
        assert stored == {vm.id: vm.name for vm in host.vms}
        assert {nic.mac for vm in host.vms for nic in vm.nics} <= macs
    finally:
        engine.dispose()
