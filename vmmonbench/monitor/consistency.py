"""Consistency: does the database hold what the hosts say is true (Sim.snapshot)?"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, bindparam, select

from vmmonbench.db import schema as s
from vmmonbench.db.database import Database, DbSession, Record
from vmmonbench.db.prepared import Prepared, compile_statement, expand_list
from vmmonbench.monitor.gcpause import GC_PAUSE
from vmmonbench.vdsm import (
    GuestNic,
    address_text,
    canonical_guest_nics,
    dynamic_from_stats,
    guest_nics_from_stats,
)
from vmmonbench.vmstatus import VmStatus, engine_status

MAX_EXAMPLES = 20
ID_BATCH = 2000  # VM ids per IN-list: far below SQLite's and PostgreSQL's parameter limits


@dataclass(slots=True)
class ConsistencyReport:
    """VMs checked, VMs whose stored state differs from the host's truth, and why (examples)."""

    checked_vms: int = 0
    divergent_vms: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


def check_consistency(
    db: Database, snapshots: Iterable[tuple[str, Mapping[Any, Any]]]
) -> ConsistencyReport:
    """Compare vm_dynamic, vm_device and guest-agent NICs with each host's snapshot.

    `snapshots` yields (host id, Sim.snapshot) pairs; each host is checked against only its
    own VMs' rows before the next snapshot is taken, so a large fleet is never held at once.
    The reads are the checker's, not monitoring's: unvalidated and never profiled.
    """
    report = ConsistencyReport()
    # a snapshot and its stored rows are millions of objects, all freed by reference counting
    with GC_PAUSE, db.session(validate=False, profiled=False) as session:
        for host_id, snapshot in snapshots:
            vms = snapshot.get("vms", [])
            stored = _stored(session, [vm["vmId"] for vm in vms])
            for vm in vms:
                report.checked_vms += 1
                reasons = _differences(host_id, vm, stored, vm["vmId"])
                if reasons:
                    report.divergent_vms += 1
                    for reason in reasons:
                        key = reason.split(":", 1)[0]
                        report.reasons[key] = report.reasons.get(key, 0) + 1
                    if len(report.examples) < MAX_EXAMPLES:
                        report.examples.append(f"{vm['vmId']}: {'; '.join(reasons)}")
    return report


@dataclass(slots=True)
class _Stored:
    dynamic: dict[str, Record]
    devices: dict[str, set[tuple[str, str]]]
    guest: dict[str, list[GuestNic]]


_IDS: BindParameter[str] = bindparam("ids", expanding=True)
_DEVICE = s.vm_device.c
_GUEST = s.vm_guest_agent_interfaces.c
_DYNAMIC_OF = select(s.vm_dynamic).where(s.vm_dynamic.c.vm_guid.in_(_IDS))
_DEVICES_OF = select(_DEVICE.vm_id, _DEVICE.device_id, _DEVICE.address).where(
    _DEVICE.vm_id.in_(_IDS)
)
_GUEST_NICS_OF = select(
    _GUEST.vm_id,
    _GUEST.interface_name,
    _GUEST.mac_address,
    _GUEST.ipv4_addresses,
    _GUEST.ipv6_addresses,
).where(_GUEST.vm_id.in_(_IDS))


def _for_ids(session: DbSession, name: str, statement: Any, count: int) -> Prepared:
    prepared = compile_statement(name, statement, session.dialect, write=False)
    return expand_list(prepared, "ids", count, session.dialect)


def _stored(session: DbSession, vm_ids: Sequence[str]) -> _Stored:
    stored = _Stored({}, defaultdict(set), defaultdict(list))
    for start in range(0, len(vm_ids), ID_BATCH):
        batch = tuple(vm_ids[start : start + ID_BATCH])
        dynamic = _for_ids(session, "consistency vm_dynamic", _DYNAMIC_OF, len(batch))
        stored.dynamic.update(
            (record["vm_guid"], record) for record in session.fetch_records(dynamic, batch)
        )
        devices = _for_ids(session, "consistency vm_device", _DEVICES_OF, len(batch))
        for vm_id, device_id, address in session.fetch(devices, batch):
            stored.devices[vm_id].add((device_id, address))
        guest = _for_ids(session, "consistency guest NICs", _GUEST_NICS_OF, len(batch))
        for vm_id, *nic in session.fetch(guest, batch):
            stored.guest[vm_id].append(GuestNic(*nic))
    return stored


def _differences(host_id: str, vm: Mapping[str, Any], stored: _Stored, vm_id: str) -> list[str]:
    row = stored.dynamic.get(vm_id)
    devices, guest = stored.devices, stored.guest
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
