"""The simulated world around the monitor: status churn and device changes on the hosts."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from vmmonbench.monitor.hostclient import HostCallError, HostClient
from vmmonbench.monitor.scheduler import Action, Scheduler

LEAVE_UP = ("Down", "Paused")  # what a churning Up VM turns into


@dataclass(slots=True)
class WorldCounters:
    """What the world did to the hosts."""

    status_changes: int = 0
    device_changes: int = 0
    failures: list[str] = field(default_factory=list)


class WorldDriver:
    """Schedules status churn and device changes on simulated time, through control connections.

    Changes are drawn from the seed (Poisson arrivals, uniform VMs), so every configuration of a
    run faces exactly the same world.
    """

    def __init__(
        self,
        controls: Mapping[str, HostClient],
        vms: Sequence[tuple[str, str]],
        scheduler: Scheduler,
        *,
        seed: int,
        events_expected: bool,
    ) -> None:
        self.controls = controls
        self.vms = vms
        self.scheduler = scheduler
        self.events_expected = events_expected
        self.counters = WorldCounters()
        self._rng = random.Random(f"{seed}:world")
        self._down_or_paused: dict[str, str] = {}

    def schedule(
        self, *, duration_s: float, churn_per_vm_hour: float, devices_per_vm_hour: float
    ) -> None:
        """Arm every change of the run (drawn now, so the sequence is fixed by the seed)."""
        total = len(self.vms)
        for rate, action in (
            (churn_per_vm_hour * total / 3600.0, self._status_change),
            (devices_per_vm_hour * total / 3600.0, self._device_change),
        ):
            if rate <= 0:
                continue
            at = self._rng.expovariate(rate)
            while at < duration_s:
                vm_id, host_id = self.vms[self._rng.randrange(total)]
                self.scheduler.at(at, action(vm_id, host_id, self._rng.random()))
                at += self._rng.expovariate(rate)

    def _status_change(self, vm_id: str, host_id: str, draw: float) -> Action:
        def fire() -> None:
            previous = self._down_or_paused.pop(vm_id, None)
            if previous is None:
                status = LEAVE_UP[0] if draw < 0.5 else LEAVE_UP[1]
                self._down_or_paused[vm_id] = status
            else:
                status = "Up"
            if self.events_expected:
                self.scheduler.expect_events(1)
            try:
                changed = self.controls[host_id].call(
                    "Sim.setStatus", {"vmIds": [vm_id], "status": status}
                )
            except HostCallError as exc:
                self.counters.failures.append(str(exc))
                changed = 0
            if self.events_expected and changed != 1:
                self.scheduler.expect_events(-1)
            self.counters.status_changes += int(changed == 1)

        return fire

    def _device_change(self, vm_id: str, host_id: str, _draw: float) -> Action:
        def fire() -> None:
            try:
                changed = self.controls[host_id].call("Sim.changeDevices", {"vmIds": [vm_id]})
            except HostCallError as exc:
                self.counters.failures.append(str(exc))
                return
            self.counters.device_changes += int(changed or 0)

        return fire
