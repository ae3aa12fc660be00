"""How the engine reads a VDSM stats map: dynamic fields, guest NICs, devices and statistics.

The mapping lives below both the database population and the monitoring core, so that what
population writes and what analysis compares are the same columns computed the same way.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from vmmonbench.vmstatus import VmStatus, engine_status

SESSION_STATE = {"Unknown": 0, "UserLoggedOn": 1, "Locked": 2, "Active": 3, "LoggedOff": 4}
PAUSE_CODE = {"NOERR": 0, "EOTHER": 1, "EIO": 2, "ENOSPC": 3, "EPERM": 4, "POSTCOPY": 5}
DISPLAY_TYPE = {"vnc": 0, "qxl": 1, "spice": 1}


def _int(value: Any, default: int | None = None) -> int | None:
    try:
        return int(value)  # VDSM's integers travel as digit strings: the common, fast case
    except (TypeError, ValueError):
        pass
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    return None


class GuestNic(NamedTuple):
    """A guest-agent NIC row (`vm_guest_agent_interfaces`); a tuple: one per NIC per poll."""

    interface_name: str
    mac_address: str
    ipv4_addresses: str
    ipv6_addresses: str


def _display(stats: Mapping[str, Any]) -> Mapping[str, Any]:
    display: Mapping[str, Any] = (stats.get("displayInfo") or [{}])[0]
    return display


# the VDSM key each reported vm_dynamic column of a running VM comes from
_SOURCE_KEY: dict[str, str] = {
    "vm_ip": "guestIPs",
    "vm_fqdn": "guestFQDN",
    "guest_cur_user_name": "username",
    "session": "session",
    "client_ip": "clientIp",
    "display": "displayInfo",
    "display_secure_port": "displayInfo",
    "display_ip": "displayInfo",
    "display_type": "displayInfo",
    "utc_diff": "timeOffset",
    "pause_status": "pauseCode",
    "guest_cpu_count": "guestCPUCount",
    "kvm_enable": "kvmEnable",
    "acpi_enable": "acpiEnable",
    "app_list": "appsList",
    "vm_pid": "pid",
}


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
    get = stats.get
    display = _display(stats)
    apps = get("appsList")
    columns = {
        "status": int(status),
        "vm_ip": get("guestIPs"),
        "vm_fqdn": get("guestFQDN"),
        "guest_cur_user_name": get("username"),
        "session": SESSION_STATE.get(str(get("session")), 0),
        "client_ip": get("clientIp"),
        "display": _int(display.get("port")),
        "display_secure_port": _int(display.get("tlsPort")),
        "display_ip": display.get("ipAddress"),
        "display_type": DISPLAY_TYPE.get(str(display.get("type")), 0),
        "utc_diff": _int(get("timeOffset")),
        "pause_status": PAUSE_CODE.get(str(get("pauseCode")), 0),
        "guest_cpu_count": _int(get("guestCPUCount")),
        "kvm_enable": _bool(get("kvmEnable")),
        "acpi_enable": _bool(get("acpiEnable")),
        "app_list": ",".join(map(str, apps)) if apps else "",
        "vm_pid": _int(get("pid")),
        "exit_status": 0,
        "exit_message": None,
        "exit_reason": None,
    }
    if partial:
        for column, key in _SOURCE_KEY.items():
            if key not in stats:
                del columns[column]
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


def guest_nics_hash(nics: Iterable[GuestNic]) -> int:
    """A 31-bit hash of guest NICs in the order reported, as the engine hashes the list.

    Like Java's `List.hashCode` (3.6) and `Objects.hashCode(list)` (4.1) it is order-sensitive:
    a host that reorders NICs or their address lists between polls makes them look changed.
    """
    return zlib.crc32(repr(list(map(tuple, nics))).encode()) & 0x7FFFFFFF


def canonical_guest_nics(nics: Iterable[GuestNic]) -> list[GuestNic]:
    """NICs sorted by name with sorted address lists: order-free, for consistency checks."""
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
