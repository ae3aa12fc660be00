"""Devices monitoring: on a changed devices hash, fetch the full list and diff it with vm_device."""

from __future__ import annotations

from typing import Any

from vmmonbench.db.dao import MonitoringDao
from vmmonbench.db.database import BoundTimestamp
from vmmonbench.monitor.analysis import SavePlan
from vmmonbench.monitor.hostclient import HostClient
from vmmonbench.monitor.persistence_rules import PersistenceRules
from vmmonbench.vdsm import address_text


def plan_device_changes(
    plan: SavePlan,
    dao: MonitoringDao,
    client: HostClient,
    rules: PersistenceRules,
    now: BoundTimestamp,
) -> None:
    """Add device inserts/updates/removals (and hash writes) for every VM whose hash changed."""
    if not plan.device_checks:
        return
    vm_ids = sorted(plan.device_checks)
    full_list = client.call("Host.getVMFullList", {"vmList": vm_ids}) or []
    reported_by_vm = {entry.get("vmId"): entry.get("devices") or [] for entry in full_list}
    for vm_id in vm_ids:
        stored = {row["device_id"]: row for row in dao.get_vm_devices(vm_id)}
        reported = {d["deviceId"]: d for d in reported_by_vm.get(vm_id, []) if d.get("deviceId")}
        for device_id, device in reported.items():
            address = address_text(device.get("address"))
            alias = str(device.get("alias") or "")
            row = stored.get(device_id)
            if row is None:
                plan.device_inserts.append(_device_row(vm_id, device_id, device, address, now))
            elif (
                row["address"] != address or (row["alias"] or "") != alias or not row["is_plugged"]
            ):
                plan.device_updates.append(
                    {
                        "b_device_id": device_id,
                        "b_vm_id": vm_id,
                        "type": row["type"],
                        "device": row["device"],
                        "address": address,
                        "alias": alias,
                        "is_plugged": True,
                        "_update_date": now,
                    }
                )
        for device_id in sorted(stored.keys() - reported.keys()):
            plan.device_removals.append((device_id, vm_id))
        if rules.device_hash_cache:
            plan.hashes.append({"b_vm_guid": vm_id, "hash": plan.device_checks[vm_id]})


def _device_row(
    vm_id: str, device_id: str, device: dict[str, Any], address: str, now: BoundTimestamp
) -> dict[str, Any]:
    return {
        "device_id": device_id,
        "vm_id": vm_id,
        "type": str(device.get("type", "")),
        "device": str(device.get("device", "")),
        "address": address,
        "boot_order": 0,
        "spec_params": "{}",
        "is_managed": False,
        "is_plugged": True,
        "is_readonly": False,
        "alias": str(device.get("alias") or ""),
        "custom_properties": None,
        "snapshot_id": None,
        "logical_name": None,
        "host_device": None,
        "_create_date": now,
        "_update_date": now,
    }
