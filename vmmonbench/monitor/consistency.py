"""Consistency: does the database hold what the hosts say is true (Sim.snapshot)?"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from vmmonbench.db import schema as s
from vmmonbench.vdsm import (
    GuestNic,
    address_text,
    canonical_guest_nics,
    dynamic_from_stats,
    guest_nics_from_stats,
)
from vmmonbench.vmstatus import VmStatus, engine_status

MAX_EXAMPLES = 20


@dataclass(slots=True)
class ConsistencyReport:
    """VMs checked, VMs whose stored state differs from the host's truth, and why (examples)."""

    checked_vms: int = 0
    divergent_vms: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for results.json."""
        return {
            "checked_vms": self.checked_vms,
            "divergent_vms": self.divergent_vms,
            "reasons": dict(self.reasons),
            "examples": list(self.examples),
        }


def check_consistency(
    engine: Engine, snapshots: Mapping[str, Mapping[Any, Any]]
) -> ConsistencyReport:
    """Compare vm_dynamic, vm_device and guest-agent NICs with each host's snapshot."""
    report = ConsistencyReport()
    with engine.connect() as conn:
        dynamic = {row.vm_guid: row._mapping for row in conn.execute(select(s.vm_dynamic))}
        devices: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for row in conn.execute(
            select(s.vm_device.c.vm_id, s.vm_device.c.device_id, s.vm_device.c.address)
        ):
            devices[row.vm_id].add((row.device_id, row.address))
        guest: dict[str, list[GuestNic]] = defaultdict(list)
        for row in conn.execute(select(s.vm_guest_agent_interfaces)):
            guest[row.vm_id].append(
                GuestNic(
                    row.interface_name, row.mac_address, row.ipv4_addresses, row.ipv6_addresses
                )
            )
    for host_id, snapshot in snapshots.items():
        for vm in snapshot.get("vms", []):
            report.checked_vms += 1
            reasons = _differences(host_id, vm, dynamic.get(vm["vmId"]), devices, guest)
            if reasons:
                report.divergent_vms += 1
                for reason in reasons:
                    key = reason.split(":", 1)[0]
                    report.reasons[key] = report.reasons.get(key, 0) + 1
                if len(report.examples) < MAX_EXAMPLES:
                    report.examples.append(f"{vm['vmId']}: {'; '.join(reasons)}")
    return report


def _differences(
    host_id: str,
    vm: Mapping[str, Any],
    row: Mapping[Any, Any] | None,
    devices: Mapping[str, set[tuple[str, str]]],
    guest: Mapping[str, Sequence[GuestNic]],
) -> list[str]:
    if row is None:
        return ["missing: no vm_dynamic row"]
    reasons: list[str] = []
    status = engine_status(str(vm.get("status")))
    expected_host = host_id if status != VmStatus.DOWN else None
    if row["run_on_vds"] != expected_host:
        reasons.append(f"run_on_vds: db {row['run_on_vds']} host {expected_host}")
    truth = {**(vm.get("dynamic") or {}), "status": vm.get("status")}
    for column, value in dynamic_from_stats(truth, partial=True).items():
        if row.get(column) != value:
            reasons.append(f"{column}: db {row.get(column)!r} host {value!r}")
    if status != VmStatus.DOWN:
        if vm.get("hash") is not None and row.get("hash") != str(vm["hash"]):
            reasons.append(f"hash: db {row.get('hash')!r} host {vm['hash']!r}")
        host_devices = {
            (str(d.get("deviceId")), address_text(d.get("address")))
            for d in vm.get("devices") or []
        }
        if host_devices and devices.get(vm["vmId"], set()) != host_devices:
            reasons.append("devices: vm_device differs from the host's device list")
        host_nics = canonical_guest_nics(guest_nics_from_stats({"netIfaces": vm.get("netIfaces")}))
        if canonical_guest_nics(guest.get(vm["vmId"], [])) != host_nics:
            reasons.append("guest_nics: vm_guest_agent_interfaces differ from the guest agent")
    return reasons
