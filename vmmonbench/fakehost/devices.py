"""VM devices as a host reports them in FullList, and the two ways a fake host changes them."""

from __future__ import annotations

from typing import Any

from vmmonbench.inventory import DeviceSpec, device_address_fields, device_address_text

FIRST_PCI_SLOT = 0x03  # slots 0-2 hold the host bridge, ISA bridge and IDE controller
LAST_PCI_SLOT = 0x1F
HOTPLUG_MEMORY_BASE = 4 << 30  # guest-physical address where hot-plugged DIMMs start
DIMM_WINDOW = 256 << 30  # the largest DIMM a slot can take


def device_wire(device: DeviceSpec) -> dict[str, Any]:
    """One FullList device entry: deviceId, type, device, address map, alias, specParams."""
    return {
        "deviceId": device.id,
        "type": device.type,
        "device": device.device,
        "address": device_address_fields(device.address),
        "alias": f"ua-{device.id}",
        "specParams": {},
    }


def move_one_device(devices: tuple[DeviceSpec, ...], change: int) -> tuple[DeviceSpec, ...]:
    """The devices with one PCI device moved to another free slot (the `change`-th in turn)."""
    addresses = [device_address_fields(d.address) for d in devices]
    pci = [i for i, fields in enumerate(addresses) if fields.get("type") == "pci"]
    if not pci:
        return devices
    position = pci[change % len(pci)]
    used = {int(addresses[i]["slot"], 16) for i in pci}
    slot = int(addresses[position]["slot"], 16)
    span = LAST_PCI_SLOT - FIRST_PCI_SLOT + 1
    for step in range(1, span + 1):
        candidate = FIRST_PCI_SLOT + (slot - FIRST_PCI_SLOT + step) % span
        if candidate not in used:
            break
    else:  # every slot taken: nothing can move
        return devices
    fields = dict(addresses[position])
    fields["slot"] = f"0x{candidate:02x}"
    moved = DeviceSpec(
        devices[position].id,
        devices[position].type,
        devices[position].device,
        device_address_text(fields),
    )
    return (*devices[:position], moved, *devices[position + 1 :])


def memory_device(devices: tuple[DeviceSpec, ...], device_id: str) -> DeviceSpec:
    """A hot-plugged DIMM in the next free DIMM slot; each slot owns a fixed address window."""
    slot = sum(1 for d in devices if d.type == "memory")
    base = HOTPLUG_MEMORY_BASE + slot * DIMM_WINDOW
    address = device_address_text({"type": "dimm", "slot": f"0x{slot:02x}", "base": f"0x{base:x}"})
    return DeviceSpec(device_id, "memory", "memory", address)
