"""How the engine reads a VDSM stats map: dynamic fields, guest NICs, devices and statistics.

The mapping lives below both the database population and the monitoring core, so that what
population writes and what analysis compares are the same columns computed the same way.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vmmonbench.vmstatus import VmStatus, engine_status

SESSION_STATE = {"Unknown": 0, "UserLoggedOn": 1, "Locked": 2, "Active": 3, "LoggedOff": 4}
PAUSE_CODE = {"NOERR": 0, "EOTHER": 1, "EIO": 2, "ENOSPC": 3, "EPERM": 4, "POSTCOPY": 5}
DISPLAY_TYPE = {"vnc": 0, "qxl": 1, "spice": 1}


def _int(value: Any, default: int | None = None) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    return None


@dataclass(frozen=True, slots=True)
class GuestNic:
    """A guest-agent NIC row (`vm_guest_agent_interfaces`)."""

    interface_name: str
    mac_address: str
    ipv4_addresses: str
    ipv6_addresses: str


def _display(stats: Mapping[str, Any]) -> Mapping[str, Any]:
    display: Mapping[str, Any] = (stats.get("displayInfo") or [{}])[0]
    return display


# (column, VDSM key it comes from, converter) for a running VM
_RUNNING_FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("vm_ip", "guestIPs", lambda s: s.get("guestIPs")),
    ("vm_fqdn", "guestFQDN", lambda s: s.get("guestFQDN")),
    ("guest_cur_user_name", "username", lambda s: s.get("username")),
    ("session", "session", lambda s: SESSION_STATE.get(str(s.get("session")), 0)),
    ("client_ip", "clientIp", lambda s: s.get("clientIp")),
    ("display", "displayInfo", lambda s: _int(_display(s).get("port"))),
    ("display_secure_port", "displayInfo", lambda s: _int(_display(s).get("tlsPort"))),
    ("display_ip", "displayInfo", lambda s: _display(s).get("ipAddress")),
    ("display_type", "displayInfo", lambda s: DISPLAY_TYPE.get(str(_display(s).get("type")), 0)),
    ("utc_diff", "timeOffset", lambda s: _int(s.get("timeOffset"))),
    ("pause_status", "pauseCode", lambda s: PAUSE_CODE.get(str(s.get("pauseCode")), 0)),
    ("guest_cpu_count", "guestCPUCount", lambda s: _int(s.get("guestCPUCount"))),
    ("kvm_enable", "kvmEnable", lambda s: _bool(s.get("kvmEnable"))),
    ("acpi_enable", "acpiEnable", lambda s: _bool(s.get("acpiEnable"))),
    ("app_list", "appsList", lambda s: ",".join(str(a) for a in s.get("appsList") or [])),
    ("vm_pid", "pid", lambda s: _int(s.get("pid"))),
)


def dynamic_from_stats(stats: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The reported vm_dynamic columns of one stats map (running or exited VM).

    With `partial` (a status event carries only what changed), columns whose VDSM key is absent
    are left out instead of being reported as empty.
    """
    status = engine_status(str(stats.get("status", "")))
    if status == VmStatus.DOWN:
        return {
            "status": int(status),
            "exit_status": _int(stats.get("exitCode"), 0),
            "exit_message": stats.get("exitMessage"),
            "exit_reason": _int(stats.get("exitReason")),
            "utc_diff": _int(stats.get("timeOffset")),
        }
    columns: dict[str, Any] = {"status": int(status)}
    for column, key, convert in _RUNNING_FIELDS:
        if not partial or key in stats:
            columns[column] = convert(stats)
    columns["exit_status"] = 0
    columns["exit_message"] = None
    columns["exit_reason"] = None
    return columns


def guest_memory_from_stats(stats: Mapping[str, Any]) -> dict[str, int | None]:
    """Guest memory figures (KiB) from `memoryStats`; they change on every poll."""
    memory = stats.get("memoryStats") or {}
    return {
        "guest_mem_free": _int(memory.get("mem_free")),
        "guest_mem_buffered": _int(memory.get("mem_buffers")),
        "guest_mem_cached": _int(memory.get("mem_cached")),
    }


def guest_nics_from_stats(stats: Mapping[str, Any]) -> list[GuestNic]:
    """Guest-agent NICs in the order the host reported them."""
    return [
        GuestNic(
            interface_name=str(nic.get("name", "")),
            mac_address=str(nic.get("hw", "")),
            ipv4_addresses=",".join(nic.get("inet") or []),
            ipv6_addresses=",".join(nic.get("inet6") or []),
        )
        for nic in stats.get("netIfaces") or []
    ]


def guest_nics_hash(nics: Iterable[GuestNic], *, canonical: bool) -> int:
    """A 31-bit hash of guest NICs.

    The 3.6 engine hashed the list as reported, so a host that reorders NICs (or their address
    lists) between polls made them look changed every time; the canonical hash sorts first.
    """
    listed = canonical_guest_nics(nics) if canonical else list(nics)
    rows = [(n.interface_name, n.mac_address, n.ipv4_addresses, n.ipv6_addresses) for n in listed]
    return zlib.crc32(repr(rows).encode()) & 0x7FFFFFFF


def canonical_guest_nics(nics: Iterable[GuestNic]) -> list[GuestNic]:
    """NICs sorted by name with sorted address lists: what a consistent database holds."""
    return sorted(
        (
            GuestNic(
                n.interface_name,
                n.mac_address,
                ",".join(sorted(filter(None, n.ipv4_addresses.split(",")))),
                ",".join(sorted(filter(None, n.ipv6_addresses.split(",")))),
            )
            for n in nics
        ),
        key=lambda n: (n.interface_name, n.mac_address),
    )


def address_text(address: Mapping[str, Any] | str | None) -> str:
    """The engine's text form of a device address: `{key=value, ...}` with keys sorted."""
    if address is None:
        return ""
    if isinstance(address, str):
        return address
    return "{" + ", ".join(f"{k}={address[k]}" for k in sorted(address)) + "}"
