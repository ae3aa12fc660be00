"""Persisting a SavePlan: one cycle's or event's writes, in the engine's order, one transaction."""

from __future__ import annotations

from vmmonbench.db.dao import MonitoringDao
from vmmonbench.monitor.analysis import SavePlan
from vmmonbench.monitor.persistence_rules import PersistenceRules


def save(plan: SavePlan, dao: MonitoringDao, rules: PersistenceRules) -> None:
    """Write the plan: batches as one statement over many rows, per-row writes one by one.

    Every batch the engine's save step calls runs even when it has no rows: it still takes a
    connection from the pool (and so is validated when checkouts are).
    """
    plan.sort()
    dao.update_vm_dynamic(plan.dynamic)
    dao.update_vm_statistics(plan.statistics, plan.statistics_columns)
    dao.update_vm_nic_statistics(plan.nic_statistics)
    dao.update_disk_dynamic(plan.disks)
    dao.empty_batch()  # LUN disk sizes: only VMs powering up report them
    if not rules.device_hash_cache:
        dao.empty_batch()  # the 3.6 vm_device batch (device changes below are per row)
    if plan.guest_nics:
        _save_guest_nics(plan, dao, rules)
    if not rules.jobs_in_memory:
        dao.empty_batch()  # the 3.6 vm_jobs batch: a stable VM runs no jobs
    for row in plan.device_inserts:
        dao.insert_vm_device(row)
    for row in plan.device_updates:
        dao.update_vm_device(row)
    for device_id, vm_id in plan.device_removals:
        dao.remove_vm_device(device_id, vm_id)
    if plan.hashes:
        dao.set_hash(plan.hashes)
    dao.session.commit()


def _save_guest_nics(plan: SavePlan, dao: MonitoringDao, rules: PersistenceRules) -> None:
    vm_ids = sorted(plan.guest_nics)
    # the engine deletes and inserts inside one transaction: one connection for all of it
    with dao.session.shared_checkout():
        if rules.guest_nics_hash_from_db:
            dao.delete_guest_nics_by_vms(vm_ids)  # 4.1: one delete for every changed VM
        else:
            for vm_id in vm_ids:
                dao.delete_guest_nics_by_vm(vm_id)  # 3.6: one delete per VM
        for vm_id in vm_ids:
            for nic in plan.guest_nics[vm_id]:
                dao.insert_guest_nic(
                    {
                        "vm_id": vm_id,
                        "interface_name": nic.interface_name,
                        "mac_address": nic.mac_address,
                        "ipv4_addresses": nic.ipv4_addresses,
                        "ipv6_addresses": nic.ipv6_addresses,
                    }
                )
