"""The static inventory of a workload: hosts, VMs, vNICs, disks, devices, derived from the seed.

Both the fake hosts (what they report) and the database population (what the engine knows) are
built from this module, so the two agree for the same seed without talking to each other.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

CLUSTER_NAME = "Default"
MAC_PREFIX = "56:6f"  # oVirt's default MAC pool range starts here


@dataclass(frozen=True, slots=True)
class NicSpec:
    """A vNIC: engine id, device name as the host reports it, MAC address, link speed."""

    id: str
    name: str
    mac: str
    speed_mbps: int = 1000


@dataclass(frozen=True, slots=True)
class DiskSpec:
    """A disk: image group id (the disk), volume id (the image), device name."""

    disk_id: str
    image_id: str
    domain_id: str
    device: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A VM device as both sides know it (vm_device row / FullList entry)."""

    id: str
    type: str
    device: str
    address: str


@dataclass(frozen=True, slots=True)
class VmSpec:
    """One VM: identity, where it runs, its vNICs, disks, devices and guest-agent IP."""

    id: str
    name: str
    host_index: int
    index: int
    nics: tuple[NicSpec, ...]
    disks: tuple[DiskSpec, ...]
    devices: tuple[DeviceSpec, ...]
    guest_ip: str
    mem_mb: int
    cpus: int
    display_port: int


@dataclass(frozen=True, slots=True)
class HostSpec:
    """One host: identity, address fields and its VMs."""

    id: str
    name: str
    index: int
    vms: tuple[VmSpec, ...]


def cluster_id(seed: int) -> str:
    """The id of the single cluster every host belongs to."""
    return str(uuid.UUID(int=random.Random(f"{seed}:cluster").getrandbits(128), version=4))


def storage_domain_id(seed: int) -> str:
    """The id of the storage domain every disk lives on."""
    return str(uuid.UUID(int=random.Random(f"{seed}:domain").getrandbits(128), version=4))


def host_spec(seed: int, host_index: int, vms: int, vnics: int, disks: int) -> HostSpec:
    """Build host `host_index` of a workload; the same arguments always give the same host."""
    rng = random.Random(f"{seed}:host:{host_index}")

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    domain = storage_domain_id(seed)
    host_id = new_id()
    vm_specs: list[VmSpec] = []
    for vm_index in range(vms):
        serial = host_index * 100_000 + vm_index
        nics = tuple(
            NicSpec(
                id=new_id(),
                name=f"vnet{vm_index * vnics + n}",
                mac=_mac(serial, n),
            )
            for n in range(vnics)
        )
        disk_specs = tuple(
            DiskSpec(
                disk_id=new_id(),
                image_id=new_id(),
                domain_id=domain,
                device=f"vd{chr(ord('a') + d)}",
                size_bytes=(10 + rng.randrange(40)) * 2**30,
            )
            for d in range(disks)
        )
        devices = _devices(new_id, nics, disk_specs)
        vm_specs.append(
            VmSpec(
                id=new_id(),
                name=f"vm-h{host_index:03d}-{vm_index:05d}",
                host_index=host_index,
                index=vm_index,
                nics=nics,
                disks=disk_specs,
                devices=devices,
                guest_ip=f"10.{host_index % 256}.{vm_index // 256 % 256}.{vm_index % 256}",
                mem_mb=rng.choice((1024, 2048, 4096)),
                cpus=rng.choice((1, 2, 4)),
                display_port=5900 + vm_index % 60000,
            )
        )
    return HostSpec(
        id=host_id, name=f"host-{host_index:03d}", index=host_index, vms=tuple(vm_specs)
    )


def _mac(serial: int, nic: int) -> str:
    value = (serial << 4) | nic
    octets = [(value >> shift) & 0xFF for shift in (24, 16, 8, 0)]
    return MAC_PREFIX + "".join(f":{o:02x}" for o in octets)


def _devices(
    new_id: Callable[[], str], nics: tuple[NicSpec, ...], disks: tuple[DiskSpec, ...]
) -> tuple[DeviceSpec, ...]:
    devices: list[DeviceSpec] = []
    slot = 3
    for nic in nics:
        devices.append(DeviceSpec(nic.id, "interface", "bridge", _pci(slot)))
        slot += 1
    for disk in disks:
        devices.append(DeviceSpec(disk.disk_id, "disk", "disk", _pci(slot)))
        slot += 1
    for kind, device in (
        ("video", "qxl"),
        ("graphics", "spice"),
        ("balloon", "memballoon"),
        ("controller", "virtio-serial"),
    ):
        devices.append(DeviceSpec(new_id(), kind, device, _pci(slot)))
        slot += 1
    return tuple(devices)


def _pci(slot: int) -> str:
    # the engine's text form of a device address map, keys sorted (see vdsm.address_text)
    return f"{{bus=0x00, domain=0x0000, function=0x0, slot=0x{slot:02x}, type=pci}}"


def device_address_fields(address: str) -> dict[str, str]:
    """The wire form of a device address text: `{type=pci, slot=0x03}` -> a map of strings."""
    fields: dict[str, str] = {}
    for part in address.strip().removeprefix("{").removesuffix("}").split(","):
        key, sep, value = part.partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def device_address_text(fields: Mapping[str, str]) -> str:
    """The text form of a wire address, in the same order: the inverse of device_address_fields."""
    return "{" + ", ".join(f"{key}={value}" for key, value in fields.items()) + "}"


def devices_hash(devices: Iterable[DeviceSpec]) -> str:
    """The devices hash a host reports for these devices: a string of a non-negative int.

    Hosts and the database population both use it, so a stable VM's reported hash matches the
    stored one from the start.
    """
    text = "\n".join(f"{d.id}|{d.type}|{d.device}|{d.address}" for d in devices)
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return str(int.from_bytes(digest, "big") >> 1)
