"""The VDSM maps a VM starts with: RunningVmStats at zero and the guest agent's NIC reports."""

from __future__ import annotations

import math
from typing import Any

import orjson

from vmmonbench.inventory import VmSpec

APPS = [
    "kernel-3.10.0-514.el7.x86_64",
    "ovirt-guest-agent-common-1.0.13-1.el7",
    "qemu-kvm-ev-2.6.0",
]
KIB_PER_MB = 1024


def pre_encoded(value: Any) -> orjson.Fragment:
    """`value` as JSON that orjson copies verbatim into any reply that contains it."""
    # orjson.dumps returns an over-allocated buffer; copying keeps ~100 bytes, not ~4 KiB
    return orjson.Fragment(bytes(memoryview(orjson.dumps(value))))


def running_map(
    spec: VmSpec, status: str, devices_hash: str, ifaces: list[dict[str, Any]], now_ms: int
) -> dict[str, Any]:
    """A fresh RunningVmStats map: statistics at zero, dynamic data from the inventory."""
    mem_kib = spec.mem_mb * KIB_PER_MB
    return {
        "vmId": spec.id,
        "vmName": spec.name,
        "status": status,
        "statusTime": str(now_ms),
        "elapsedTime": "0",
        "vmType": "kvm",
        "kvmEnable": "true",
        "acpiEnable": "true",
        "pid": str(_pid(spec)),
        "monitorResponse": "0",
        "cpuActual": True,
        "cpuUser": "0.00",
        "cpuSys": "0.00",
        "cpuUsage": "0",
        "memUsage": "0",
        "memoryStats": {
            "mem_total": str(mem_kib),
            "mem_free": str(mem_kib),
            "mem_unused": str(mem_kib),
            "mem_buffers": "0",
            "mem_cached": "0",
            "swap_in": 0,
            "swap_out": 0,
            "pageflt": 0,
            "majflt": 0,
            "minflt": 0,
        },
        "balloonInfo": {
            "balloon_cur": str(mem_kib),
            "balloon_max": str(mem_kib),
            "balloon_min": str(mem_kib // 2),
            "balloon_target": str(mem_kib),
            "ballooning_enabled": True,
        },
        "network": {
            nic.name: {
                "name": nic.name,
                "macAddr": nic.mac,
                "speed": str(nic.speed_mbps),
                "state": "up",
                "rx": "0",
                "tx": "0",
                "rxDropped": "0",
                "txDropped": "0",
                "rxErrors": "0",
                "txErrors": "0",
                "sampleTime": now_ms / 1000,
            }
            for nic in spec.nics
        },
        "disks": {
            disk.device: {
                "imageID": disk.disk_id,
                "readRate": "0",
                "writeRate": "0",
                "readLatency": "0",
                "writeLatency": "0",
                "flushLatency": "0",
                "truesize": str(disk.size_bytes // 3),
                "apparentsize": str(disk.size_bytes),
                "readBytes": "0",
                "writtenBytes": "0",
                "readOps": "0",
                "writeOps": "0",
            }
            for disk in spec.disks
        },
        "disksUsage": [
            {"path": "/", "fs": "xfs", "total": disk.size_bytes, "used": disk.size_bytes // 4}
            for disk in spec.disks[:1]
        ],
        "vmJobs": {},
        "netIfaces": ifaces,
        "guestIPs": " ".join(ip for iface in ifaces for ip in iface["inet"]),
        "guestFQDN": f"{spec.name}.vmmonbench.test",
        "guestCPUCount": spec.cpus,
        "appsList": APPS,
        "username": f"user{spec.index % 50}@vmmonbench.test" if spec.index % 3 == 0 else "None",
        "session": "UserLoggedOn" if spec.index % 3 == 0 else "Unknown",
        "clientIp": "",
        "displayPort": str(spec.display_port),
        "displayInfo": [
            {
                "type": "spice",
                "port": str(spec.display_port),
                "tlsPort": str(spec.display_port + 1),
                "ipAddress": "0",
            }
        ],
        "timeOffset": "0",
        "pauseCode": "NOERR",
        "hash": devices_hash,
    }


def guest_ifaces(spec: VmSpec) -> list[dict[str, Any]]:
    """The guest agent's NICs in canonical order: sorted by name, addresses sorted."""
    ifaces = []
    for n, nic in enumerate(spec.nics):
        primary = (
            spec.guest_ip
            if n == 0
            else f"172.{16 + n}.{spec.index // 256 % 256}.{spec.index % 256}"
        )
        alias = f"100.{64 + n}.{spec.index // 256 % 256}.{spec.index % 256}"
        ifaces.append(
            {
                "name": f"eth{n}",
                "hw": nic.mac,
                "inet": sorted([primary, alias]),
                "inet6": sorted(
                    [_link_local(nic.mac), f"fd00:{spec.host_index:x}::{spec.index:x}:{n}"]
                ),
            }
        )
    ifaces.sort(key=lambda iface: str(iface["name"]))
    return ifaces


def iface_orders(canonical: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The canonical list, then each rotation a report shows: the NIC list and every address
    list move by one on each report, so consecutive reports always differ when anything can."""
    longest_inner = max((len(i[key]) for i in canonical for key in ("inet", "inet6")), default=1)
    period = math.lcm(max(1, len(canonical)), max(1, longest_inner))
    return [
        [
            {
                "name": iface["name"],
                "hw": iface["hw"],
                "inet": _rotated(iface["inet"], step),
                "inet6": _rotated(iface["inet6"], step),
            }
            for iface in _rotated(canonical, step)
        ]
        if step
        else canonical
        for step in range(period)
    ]


def _rotated(items: list[Any], step: int) -> list[Any]:
    if not items:
        return []
    step %= len(items)
    return items[step:] + items[:step]


def _link_local(mac: str) -> str:
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] ^= 0x02  # EUI-64: flip the universal/local bit
    eui = [*octets[:3], 0xFF, 0xFE, *octets[3:]]
    groups = [f"{eui[i] << 8 | eui[i + 1]:x}" for i in range(0, 8, 2)]
    return "fe80::" + ":".join(groups)


def _pid(spec: VmSpec) -> int:
    # stable per VM so a restart changes nothing the engine stores
    return 10_000 + spec.index * 7 % 4_000_000
