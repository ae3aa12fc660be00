"""EmulatedHost: one fake VDSM host's VMs, events and faults, and the wire methods it answers."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import translate
from typing import Any

from vmmonbench import protocol
from vmmonbench.errors import BadInputError
from vmmonbench.fakehost import host_facts
from vmmonbench.fakehost.config import FakeHostConfig
from vmmonbench.fakehost.injector import FaultInjector
from vmmonbench.fakehost.rpc import (
    Method,
    MethodKind,
    RpcError,
    Subscriber,
    int_param,
    map_param,
    string_param,
    strings_param,
)
from vmmonbench.fakehost.vm_statistics import PollTick, StatsGenerator
from vmmonbench.fakehost.vmstate import (
    ADMIN_SHUTDOWN,
    DOWN,
    UP,
    USER_SHUTDOWN,
    VM_STATUSES,
    VmState,
)
from vmmonbench.faults import FaultKind, parse_fault
from vmmonbench.inventory import HostSpec

Clock = Callable[[], float]  # seconds, like time.monotonic
Matcher = Callable[[str], object]

# an event name is `|virt|VM_status|<uuid>` (52 characters): a longer glob can only be an attack,
# and a few wildcards are all a real filter needs
MAX_PATTERN_CHARS = 256
MAX_PATTERN_WILDCARDS = 8


@dataclass(slots=True)
class HostCounters:
    """What Sim.stats reports about the traffic since start or the last Sim.reset."""

    requests: int = 0
    events_sent: int = 0
    connections: int = 0  # open now
    bytes_sent: int = 0


class EmulatedHost:
    """One host of the inventory, answering VDSM-shaped methods; all randomness is seeded."""

    def __init__(self, spec: HostSpec, config: FakeHostConfig, clock: Clock) -> None:
        self.spec = spec
        self.index = spec.index
        self._config = config
        self._clock = clock
        self._subscribers: dict[Subscriber, Matcher] = {}
        self.counters = HostCounters()
        self.vms: list[VmState] = []
        self._by_id: dict[str, VmState] = {}
        self.methods: dict[str, Method] = {
            "Host.ping": Method(MethodKind.QUERY, self.ping),
            "Host.ping2": Method(MethodKind.QUERY, self.ping),
            "Host.confirmConnectivity": Method(MethodKind.QUERY, self.ping),
            "Host.getCapabilities": Method(MethodKind.QUERY, self.get_capabilities),
            "Host.getHardwareInfo": Method(MethodKind.QUERY, self.get_hardware_info),
            "Host.getStats": Method(MethodKind.QUERY, self.get_stats),
            "Host.setMOMPolicyParameters": Method(MethodKind.QUERY, self.set_mom_policy),
            "Host.hostdevListByCaps": Method(MethodKind.QUERY, self.hostdev_list_by_caps),
            "Host.dumpxmls": Method(MethodKind.QUERY, self.dumpxmls),
            "Host.getVMList": Method(MethodKind.QUERY, self.get_vm_list),
            "Host.getAllVmStats": Method(MethodKind.QUERY, self.get_all_vm_stats),
            "VM.getStats": Method(MethodKind.QUERY, self.get_vm_stats),
            "Host.getVMFullList": Method(MethodKind.QUERY, self.get_vm_full_list),
            "Events.subscribe": Method(MethodKind.QUERY, self.subscribe),
            "VM.updateVmPolicy": Method(MethodKind.COMMAND, command=self.update_vm_policy),
            "VM.setTicket": Method(MethodKind.COMMAND, command=self.set_ticket),
            "VM.hotplugMemory": Method(MethodKind.COMMAND, command=self.hotplug_memory),
            "VM.destroy": Method(MethodKind.QUERY, self.destroy),
            "Sim.setStatus": Method(MethodKind.SIM, self.sim_set_status),
            "Sim.snapshot": Method(MethodKind.SIM, self.sim_snapshot),
            "Sim.reset": Method(MethodKind.SIM, self.sim_reset),
            "Sim.changeDevices": Method(MethodKind.SIM, self.sim_change_devices),
            "Sim.setFaults": Method(MethodKind.SIM, self.sim_set_faults),
            "Sim.stats": Method(MethodKind.SIM, self.sim_stats),
            "Sim.info": Method(MethodKind.SIM, self.sim_info),
        }
        self.reset()

    def reset(self) -> None:
        """The initial state for the seed: every VM Up, original devices, generators re-seeded."""
        seed = f"{self._config.seed}:fakehost:{self.index}"
        now_ms = self.now_ms()
        if self.vms:  # what a VM is made of never changes: restore the same objects
            for vm in self.vms:
                vm.restore(now_ms)
        else:
            self.vms = [VmState(vm, now_ms) for vm in self.spec.vms]
            self._by_id = {vm.id: vm for vm in self.vms}
        self._stats = StatsGenerator(
            self._config.stats,
            random.Random(f"{seed}:stats"),
            reorder_guest_nics=self._config.guest_nic_reorder,
        )
        self.faults = FaultInjector(self.index, self._config.faults, f"{seed}:faults")
        self.churn_random = random.Random(f"{seed}:churn")
        self._host_stats = host_facts.HostStatistics(self.spec, seed, self._clock())
        self.counters = HostCounters(connections=self.counters.connections)

    def now_ms(self) -> int:
        """The host clock in milliseconds."""
        return int(self._clock() * 1000)

    def unsubscribe(self, subscriber: object) -> None:
        """Forget a closed connection (or one that dropped its last events subscription)."""
        self._subscribers.pop(subscriber, None)  # type: ignore[call-overload]

    # -- queries -------------------------------------------------------------------------

    def ping(self, params: Mapping[str, Any], caller: Subscriber) -> bool:
        """Host.ping, Host.ping2, Host.confirmConnectivity: true."""
        return True

    def get_capabilities(self, params: Mapping[str, Any], caller: Subscriber) -> dict[str, Any]:
        """Host.getCapabilities: what an engine validates before it lets a host be Up."""
        return host_facts.capabilities(self.spec)

    def get_hardware_info(self, params: Mapping[str, Any], caller: Subscriber) -> dict[str, Any]:
        """Host.getHardwareInfo: manufacturer, product, serial, UUID."""
        return host_facts.hardware_info(self.spec)

    def get_stats(self, params: Mapping[str, Any], caller: Subscriber) -> dict[str, Any]:
        """Host.getStats: host CPU, memory and network figures, new on every call."""
        return self._host_stats.sample(self.vms, self._clock())

    def set_mom_policy(self, params: Mapping[str, Any], caller: Subscriber) -> bool:
        """Host.setMOMPolicyParameters: the engine's ballooning/KSM policy, accepted."""
        map_param(params, "key_value_store")
        return True

    def hostdev_list_by_caps(self, params: Mapping[str, Any], caller: Subscriber) -> dict[str, Any]:
        """Host.hostdevListByCaps: host devices, filtered by capability when `caps` is given."""
        caps = strings_param(params, "caps", required=False)
        devices = host_facts.host_devices(self.spec)
        if not caps:
            return devices
        return {name: d for name, d in devices.items() if d["params"]["capability"] in caps}

    def dumpxmls(self, params: Mapping[str, Any], caller: Subscriber) -> dict[str, str]:
        """Host.dumpxmls: domain XML of the VMs asked for; unknown or destroyed ids skipped."""
        ids = strings_param(params, "vmList")
        vms = [self._by_id[i] for i in dict.fromkeys(ids) if i in self._by_id]
        return {vm.id: host_facts.domain_xml(vm) for vm in vms if not vm.destroyed}

    def get_vm_list(self, params: Mapping[str, Any], caller: Subscriber) -> list[dict[str, Any]]:
        """Host.getVMList: id, status and status time of every VM."""
        status_time = str(self.now_ms())
        return [
            {"vmId": vm.id, "status": vm.status, "statusTime": status_time} for vm in self._polled()
        ]

    def get_all_vm_stats(
        self, params: Mapping[str, Any], caller: Subscriber
    ) -> list[dict[str, Any]]:
        """Host.getAllVmStats: every VM's stats map, new statistics on every call."""
        return self._stats.poll(self._polled(), PollTick(self.now_ms()))

    def get_vm_stats(self, params: Mapping[str, Any], caller: Subscriber) -> list[dict[str, Any]]:
        """VM.getStats: a list with one VM's stats map."""
        vm = self._listed_vm(string_param(params, "vmID"))
        return self._stats.poll([vm], PollTick(self.now_ms()))

    def get_vm_full_list(
        self, params: Mapping[str, Any], caller: Subscriber
    ) -> list[dict[str, Any]]:
        """Host.getVMFullList: devices of the VMs asked for (all when none); unknown ids skipped."""
        ids = strings_param(params, "vmList", required=False)
        vms = [self._by_id[i] for i in ids if i in self._by_id] if ids else self.vms
        return [{"vmId": vm.id, "devices": vm.devices_wire()} for vm in vms if not vm.destroyed]

    def subscribe(self, params: Mapping[str, Any], caller: Subscriber) -> bool:
        """Events.subscribe: push status events whose method matches the glob `pattern`.

        The glob is bounded and compiled once for this connection (never into a cache that
        outlives it), so matching stays cheap for every other client.
        """
        pattern = string_param(params, "pattern")
        if len(pattern) > MAX_PATTERN_CHARS:
            raise RpcError(
                protocol.INVALID_PARAMS, f"params.pattern is longer than {MAX_PATTERN_CHARS}"
            )
        if sum(pattern.count(c) for c in "*?[") > MAX_PATTERN_WILDCARDS:
            raise RpcError(
                protocol.INVALID_PARAMS,
                f"params.pattern has more than {MAX_PATTERN_WILDCARDS} wildcards",
            )
        self._subscribers[caller] = re.compile(translate(pattern)).match
        return True

    def subscribe_all(self, subscriber: Subscriber) -> None:
        """Push every status event to `subscriber` (a STOMP SUBSCRIBE to the events queue)."""
        self._subscribers[subscriber] = _match_all

    # -- commands (user operations) --------------------------------------------------------

    async def update_vm_policy(self, params: Mapping[str, Any], caller: Subscriber) -> bool:
        """VM.updateVmPolicy: accepted after the command latency."""
        self._vm(string_param(params, "vmID"))
        map_param(params, "params")
        await self._command_latency()
        return True

    async def set_ticket(self, params: Mapping[str, Any], caller: Subscriber) -> bool:
        """VM.setTicket: accepted after the command latency."""
        self._vm(string_param(params, "vmID"))
        string_param(params, "password")
        int_param(params, "ttl", minimum=0)
        await self._command_latency()
        return True

    async def hotplug_memory(self, params: Mapping[str, Any], caller: Subscriber) -> bool:
        """VM.hotplugMemory: adds a memory device (new devices hash) after the latency."""
        vm = self._vm(string_param(params, "vmID"))
        memory = map_param(map_param(params, "params"), "memory")
        device_id = string_param(memory, "deviceId")
        int_param(memory, "size", minimum=1)
        await self._command_latency()
        if vm.has_device(device_id):
            raise RpcError(protocol.INVALID_PARAMS, f"device {device_id} already exists")
        vm.plug_memory(device_id)
        return True

    def destroy(self, params: Mapping[str, Any], caller: Subscriber) -> bool:
        """VM.destroy: stop the VM if it runs, then forget it until it is started again.

        A real host keeps reporting an exited VM until the manager destroys it; after that the
        VM is absent from polls, lists and VM.getStats (its truth in Sim.snapshot stays Down).
        """
        vm = self._listed_vm(string_param(params, "vmID"))
        if not vm.is_down:
            now_ms = self.now_ms()
            vm.set_status(DOWN, now_ms, ADMIN_SHUTDOWN)
            self._publish(vm, now_ms)
        vm.destroyed = True
        return True

    # -- simulation control ------------------------------------------------------------------

    def sim_set_status(self, params: Mapping[str, Any], caller: Subscriber) -> int:
        """Sim.setStatus: set VMs' status, one event per VM that changed; returns that count."""
        status = string_param(params, "status")
        if status not in VM_STATUSES:
            raise RpcError(
                protocol.INVALID_PARAMS, f"params.status must be one of: {', '.join(VM_STATUSES)}"
            )
        vms = self._vms(strings_param(params, "vmIds"))
        now_ms = self.now_ms()
        changed = 0
        for vm in vms:
            if vm.set_status(status, now_ms, ADMIN_SHUTDOWN):
                changed += 1
                self._publish(vm, now_ms)
        return changed

    def sim_snapshot(self, params: Mapping[str, Any], caller: Subscriber) -> dict[str, Any]:
        """Sim.snapshot: the host's truth for consistency checks."""
        return {
            "hostId": self.spec.id,
            "vms": [
                {
                    "vmId": vm.id,
                    "status": vm.status,
                    "hash": vm.hash,
                    "dynamic": vm.dynamic(),
                    "netIfaces": vm.canonical_ifaces(),
                    "devices": vm.devices_wire(),
                }
                for vm in self.vms
            ],
        }

    def sim_reset(self, params: Mapping[str, Any], caller: Subscriber) -> bool:
        """Sim.reset: back to the initial state for the seed."""
        self.reset()
        return True

    def sim_change_devices(self, params: Mapping[str, Any], caller: Subscriber) -> int:
        """Sim.changeDevices: move one device of each VM; returns how many VMs changed."""
        return sum(vm.change_devices() for vm in self._vms(strings_param(params, "vmIds")))

    def sim_set_faults(self, params: Mapping[str, Any], caller: Subscriber) -> bool:
        """Sim.setFaults: replace this host's active faults (vmmonbench.faults syntax)."""
        try:
            specs = [parse_fault(text) for text in strings_param(params, "faults")]
        except BadInputError as exc:
            raise RpcError(protocol.INVALID_PARAMS, exc.message) from None
        self.faults.replace(specs)
        return True

    def sim_stats(self, params: Mapping[str, Any], caller: Subscriber) -> dict[str, Any]:
        """Sim.stats: traffic counters and injected faults by kind."""
        return {
            "requests": self.counters.requests,
            "events_sent": self.counters.events_sent,
            "connections": self.counters.connections,
            "bytes_sent": self.counters.bytes_sent,
            "faults": {str(kind): count for kind, count in self.faults.counts.items()},
            "active_faults": self.faults.specs(),
        }

    def sim_info(self, params: Mapping[str, Any], caller: Subscriber) -> dict[str, Any]:
        """Sim.info: who this host is and the inventory it serves (for remote monitoring)."""
        config = self._config
        return {
            "hostId": self.spec.id,
            "index": self.index,
            "name": self.spec.name,
            "vms": len(self.spec.vms),
            "vnics": config.vnics,
            "disks": config.disks,
            "seed": config.seed,
            "guestNicReorder": config.guest_nic_reorder,
            "commandLatencyMs": config.command_latency_ms,
            "protocols": ["line", "stomp"],
            "tls": config.tls_cert is not None,
        }

    # -- autonomous churn --------------------------------------------------------------------

    def churn_status(self, position: int) -> None:
        """Flip one VM between Up and Down (a guest shutdown or a restart), with its event."""
        vm = self.vms[position]
        now_ms = self.now_ms()
        vm.set_status(UP if vm.is_down else DOWN, now_ms, USER_SHUTDOWN)
        self._publish(vm, now_ms)

    def churn_devices(self, position: int) -> None:
        """Move one device of one VM."""
        self.vms[position].change_devices()

    # -- helpers -------------------------------------------------------------------------------

    def _vm(self, vm_id: str) -> VmState:
        vm = self._by_id.get(vm_id)
        if vm is None:
            raise RpcError(protocol.NO_SUCH_VM, "Virtual machine does not exist")
        return vm

    def _listed_vm(self, vm_id: str) -> VmState:
        vm = self._vm(vm_id)
        if vm.destroyed:
            raise RpcError(protocol.NO_SUCH_VM, "Virtual machine does not exist")
        return vm

    def _vms(self, ids: list[str]) -> list[VmState]:
        # all ids checked before anything changes; duplicates count once
        return [self._vm(vm_id) for vm_id in dict.fromkeys(ids)]

    def _polled(self) -> list[VmState]:
        listed = [vm for vm in self.vms if not vm.destroyed]
        if self.faults.active(FaultKind.MISSING_VMS) is None:
            return listed
        fires = self.faults.fires
        return [vm for vm in listed if fires(FaultKind.MISSING_VMS) is None]

    async def _command_latency(self) -> None:
        await asyncio.sleep(self._config.command_latency_ms / 1000)

    def _publish(self, vm: VmState, now_ms: int) -> None:
        method = protocol.status_event_method(vm.id)
        params = {vm.id: vm.event_fields(str(now_ms)), "notify_time": now_ms}
        line = protocol.notification(method, params)
        previous, vm.last_event = vm.last_event, line
        targets = [s for s, matches in self._subscribers.items() if matches(method)]
        if not targets:
            return
        duplicate = self.faults.fires(FaultKind.DUPLICATE_EVENTS) is not None
        stale = None
        if previous is not None and self.faults.fires(FaultKind.REORDER_EVENTS) is not None:
            stale = previous
        for subscriber in targets:
            self._push(subscriber, line)
            if duplicate:
                self._push(subscriber, line)
            if stale is not None:
                self._push(subscriber, stale)

    def _push(self, subscriber: Subscriber, line: bytes) -> None:
        subscriber.send(line)
        self.counters.events_sent += 1


def _match_all(method: str) -> bool:
    return True
