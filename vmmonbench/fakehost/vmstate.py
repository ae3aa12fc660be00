"""One emulated VM: status, devices, and the pre-built VDSM maps that polls mutate in place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vmmonbench.fakehost.devices import device_wire, memory_device, move_one_device
from vmmonbench.fakehost.vmmaps import (
    KIB_PER_MB,
    guest_ifaces,
    iface_orders,
    pre_encoded,
    running_map,
)
from vmmonbench.inventory import DeviceSpec, VmSpec, devices_hash

UP = "Up"
DOWN = "Down"
# VDSM's VmStatus enum (vdsm-api.yml)
VM_STATUSES = (
    "Up",
    "Down",
    "Powering up",
    "Powering down",
    "Paused",
    "Migration Source",
    "Migration Destination",
    "WaitForLaunch",
    "RebootInProgress",
    "Saving State",
    "Restoring state",
)
# Fields the engine stores in vm_dynamic and that a stable VM never changes; hashes are apart.
DYNAMIC_FIELDS = (
    "guestIPs",
    "guestFQDN",
    "username",
    "session",
    "clientIp",
    "displayInfo",
    "timeOffset",
    "pauseCode",
    "guestCPUCount",
    "kvmEnable",
    "acpiEnable",
    "appsList",
)
# Fields kept as orjson.Fragment in the running map (plain copies in VmState.plain).
PRE_ENCODED_FIELDS = ("balloonInfo", "appsList", "displayInfo", "disksUsage", "vmJobs")
EXITED_FIELDS = ("exitCode", "exitMessage", "exitReason", "timeOffset")
# A status event carries what the engine analyses without statistics.
EVENT_FIELDS = ("vmId", "status", "statusTime", "vmName", "hash", *DYNAMIC_FIELDS, "netIfaces")


@dataclass(frozen=True, slots=True)
class ExitInfo:
    """Why a VM went Down, in ExitedVmStats terms."""

    code: str
    message: str
    reason: str


ADMIN_SHUTDOWN = ExitInfo("NORMAL", "Admin shut down from the engine", "admin shutdown")
USER_SHUTDOWN = ExitInfo("NORMAL", "User shut down from within the guest", "user shutdown")


class NicSample:
    """A vNIC's byte counters and its entry in the VM's `network` map."""

    __slots__ = ("bytes_per_ms_per_percent", "entry", "rx", "tx")

    def __init__(self, entry: dict[str, Any], speed_mbps: int) -> None:
        self.entry = entry
        self.bytes_per_ms_per_percent = speed_mbps * 1.25  # Mbit/s -> bytes/ms, at 1 %
        self.rx = 0
        self.tx = 0


class DiskSample:
    """A disk's byte counters and its entry in the VM's `disks` map."""

    __slots__ = ("entry", "read_bytes", "written_bytes")

    def __init__(self, entry: dict[str, Any]) -> None:
        self.entry = entry
        self.read_bytes = 0
        self.written_bytes = 0


class VmState:
    """A VM as its host sees it; `stats` is the RunningVmStats map, reused across polls."""

    __slots__ = (
        "_devices_wire",
        "_encoded",
        "_initial_hash",
        "cpu_ns",
        "cpus",
        "destroyed",
        "device_changes",
        "devices",
        "disks",
        "exited",
        "hash",
        "iface_fragments",
        "iface_orders",
        "last_event",
        "mem_kib",
        "memory",
        "nics",
        "plain",
        "reports",
        "sampled_ms",
        "spec",
        "started_ms",
        "stats",
        "status",
    )

    def __init__(self, spec: VmSpec, now_ms: int) -> None:
        self.spec = spec
        self.cpus = spec.cpus
        self.mem_kib = spec.mem_mb * KIB_PER_MB
        self.devices: tuple[DeviceSpec, ...] = spec.devices
        self.hash = self._initial_hash = devices_hash(spec.devices)
        self.device_changes = 0
        self._devices_wire: list[dict[str, Any]] | None = None
        self.last_event: bytes | None = None
        self.exited: dict[str, Any] | None = None
        self.destroyed = False
        self.status = UP
        # every order the guest agent reports its NICs in; [0] is the canonical one
        self.iface_orders = iface_orders(guest_ifaces(spec))
        self.iface_fragments = [pre_encoded(order) for order in self.iface_orders]
        self.plain: dict[str, Any] = {}
        self._encoded: dict[str, Any] = {}
        self.stats: dict[str, Any] = {}
        self.memory: dict[str, Any] = {}
        self.nics: list[NicSample] = []
        self.disks: list[DiskSample] = []
        self.cpu_ns = 0
        self.reports = 0
        self.started_ms = now_ms
        self.sampled_ms = now_ms
        self.start(UP, now_ms)

    @property
    def id(self) -> str:
        """The VM id."""
        return self.spec.id

    @property
    def is_down(self) -> bool:
        """Whether the VM reports ExitedVmStats."""
        return self.status == DOWN

    def start(self, status: str, now_ms: int) -> None:
        """Boot afresh: new maps, counters zeroed, elapsed time from now."""
        self.status = status
        self.exited = None
        self.destroyed = False
        self.started_ms = now_ms
        self.sampled_ms = now_ms
        self.cpu_ns = 0
        self.reports = 0
        self.stats = running_map(self.spec, status, self.hash, self.iface_orders[0], now_ms)
        # Parts that never change while the VM runs travel pre-encoded: nested containers are
        # what JSON encoding spends its time on, and the bytes on the wire are the same. They
        # come from the inventory alone, so the first boot encodes them for every later one.
        if not self._encoded:
            self.plain = {key: self.stats[key] for key in PRE_ENCODED_FIELDS}
            self._encoded = {key: pre_encoded(value) for key, value in self.plain.items()}
        self.stats.update(self._encoded)
        self.stats["netIfaces"] = self.iface_fragments[0]
        self.memory = self.stats["memoryStats"]
        self.nics = [
            NicSample(self.stats["network"][nic.name], nic.speed_mbps) for nic in self.spec.nics
        ]
        self.disks = [DiskSample(self.stats["disks"][disk.device]) for disk in self.spec.disks]

    def restore(self, now_ms: int) -> None:
        """Back to how the VM first started: its original devices, Up, statistics at zero."""
        if self.devices is not self.spec.devices:  # the wire form of unchanged devices stays
            self.devices = self.spec.devices
            self._devices_wire = None
        self.hash = self._initial_hash
        self.device_changes = 0
        self.last_event = None
        self.start(UP, now_ms)

    def set_status(self, status: str, now_ms: int, exit_info: ExitInfo) -> bool:
        """Move to `status`; leaving Down boots a fresh VM. Returns whether anything changed."""
        if status == self.status:
            return False
        if status == DOWN:
            self.status = DOWN
            self.exited = {
                "vmId": self.spec.id,
                "status": DOWN,
                "exitCode": exit_info.code,
                "exitMessage": exit_info.message,
                "exitReason": exit_info.reason,
                "timeOffset": 0,
            }
        elif self.status == DOWN:
            self.start(status, now_ms)
        else:
            self.status = status
            self.stats["status"] = status
        return True

    def report(self) -> dict[str, Any]:
        """The map a poll returns as is: RunningVmStats, or ExitedVmStats when Down."""
        return self.exited if self.exited is not None else self.stats

    def change_devices(self) -> bool:
        """Move one device to another address; the devices hash follows. False if none can."""
        moved = move_one_device(self.devices, self.device_changes)
        if moved == self.devices:
            return False
        self.device_changes += 1
        self._set_devices(moved)
        return True

    def has_device(self, device_id: str) -> bool:
        """Whether a device with this id exists."""
        return any(d.id == device_id for d in self.devices)

    def plug_memory(self, device_id: str) -> None:
        """Add a hot-plugged DIMM; the devices hash follows."""
        self._set_devices((*self.devices, memory_device(self.devices, device_id)))

    def devices_wire(self) -> list[dict[str, Any]]:
        """The FullList devices (built once per devices change)."""
        if self._devices_wire is None:
            self._devices_wire = [device_wire(d) for d in self.devices]
        return self._devices_wire

    def dynamic(self) -> dict[str, Any]:
        """The stable dynamic fields exactly as a poll reports them (exit fields when Down)."""
        if self.exited is not None:
            return {key: self.exited[key] for key in EXITED_FIELDS}
        return {key: self._value(key) for key in DYNAMIC_FIELDS}

    def canonical_ifaces(self) -> list[dict[str, Any]]:
        """Guest-agent NICs sorted by name, address lists sorted (none when Down)."""
        return [] if self.exited is not None else self.iface_orders[0]

    def event_fields(self, status_time: str) -> dict[str, Any]:
        """What a VM_status event says about this VM."""
        if self.exited is not None:
            return {"status": DOWN, "statusTime": status_time, **self.dynamic()}
        fields = {key: self._value(key) for key in EVENT_FIELDS}
        fields["statusTime"] = status_time
        return fields

    def current_ifaces(self) -> list[dict[str, Any]]:
        """The guest-agent NICs in the order the latest report gave them."""
        return self.iface_orders[self.reports % len(self.iface_orders)]

    def _value(self, key: str) -> Any:
        """A field of the running map as plain data (pre-encoded parts decoded back)."""
        if key == "netIfaces":
            return self.current_ifaces()
        return self.plain[key] if key in self.plain else self.stats[key]

    def _set_devices(self, devices: tuple[DeviceSpec, ...]) -> None:
        self.devices = devices
        self.hash = devices_hash(devices)
        self._devices_wire = None
        self.stats["hash"] = self.hash
