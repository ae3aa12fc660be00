"""FakeHostConfig: everything a fake-host process needs, built from a workload plus overrides."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from vmmonbench.errors import BadInputError
from vmmonbench.faults import FaultSpec
from vmmonbench.workload import MAX_HOSTS, MAX_VMS_PER_HOST, StatsRanges, Workload

MAX_PORT = 65_535
MAX_HOST_INDEX = 99_999  # inventory serials are host_index * 100 000 + vm_index
MAX_CHANGE_RATE = 3600.0  # per VM per hour, like the workload's churn bound


@dataclass(frozen=True, slots=True)
class FakeHostConfig:
    """What one fake-host process serves: `vms` per host, hosts `host_offset`.. on ports `port`..

    `port` 0 lets the system pick a free port per host. Rates are per VM per hour of real time
    and drive autonomous churn for standalone use (0 = off, the runner drives changes itself).
    """

    vms: int = 6000
    hosts: int = 1
    host_offset: int = 0
    port: int = 0
    bind: str = "127.0.0.1"
    seed: int = 20161
    vnics: int = 2
    disks: int = 1
    guest_nic_reorder: bool = True
    stats: StatsRanges = field(default_factory=StatsRanges)
    command_latency_ms: float = 20.0
    churn_per_vm_hour: float = 0.0
    devices_change_per_vm_hour: float = 0.0
    faults: tuple[FaultSpec, ...] = ()
    watch_pid: int | None = None
    tls_cert: str | None = None  # both given: the whole port is TLS, as VDSM's by default
    tls_key: str | None = None

    @property
    def host_indexes(self) -> range:
        """The global inventory indexes of the hosts this process serves."""
        return range(self.host_offset, self.host_offset + self.hosts)

    def port_for(self, position: int) -> int:
        """The port to bind for the host at `position` (0-based within this process)."""
        return 0 if self.port == 0 else self.port + position

    @classmethod
    def from_workload(cls, workload: Workload, **overrides: Any) -> FakeHostConfig:
        """The config a workload implies, with keyword overrides (None values are ignored)."""
        config = cls(
            vms=workload.vms,
            hosts=workload.hosts,
            seed=workload.seed,
            vnics=workload.vnics,
            disks=workload.disks,
            guest_nic_reorder=workload.guest_nic_reorder,
            stats=workload.stats,
            command_latency_ms=workload.commands.latency_ms,
            churn_per_vm_hour=workload.churn_per_vm_hour,
            devices_change_per_vm_hour=workload.devices_change_per_vm_hour,
            faults=tuple(workload.fault_specs()),
        )
        return config.with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> FakeHostConfig:
        """A validated copy with the given fields replaced (None values are ignored)."""
        changes = {key: value for key, value in overrides.items() if value is not None}
        if "faults" in changes:
            changes["faults"] = tuple(changes["faults"])
        updated = replace(self, **changes)
        updated.validate()
        return updated

    def validate(self) -> None:
        """Raise BadInputError naming the first value out of range."""
        _check(
            1 <= self.vms <= MAX_VMS_PER_HOST,
            f"--vms must be 1..{MAX_VMS_PER_HOST} (VMs per host), got {self.vms}",
        )
        _check(1 <= self.hosts <= MAX_HOSTS, f"--hosts must be 1..{MAX_HOSTS}, got {self.hosts}")
        _check(
            self.host_offset >= 0 and self.host_offset + self.hosts - 1 <= MAX_HOST_INDEX,
            f"--host-offset must be >= 0 and the last host index at most {MAX_HOST_INDEX}",
        )
        _check(
            self.port == 0 or 1 <= self.port <= MAX_PORT - self.hosts + 1,
            f"--port must be 0 (pick free ports) or leave room for {self.hosts} ports "
            f"up to {MAX_PORT}, got {self.port}",
        )
        _check(bool(self.bind.strip()), "--bind must name an address")
        _check(0 <= self.seed < 2**63, f"--seed must be a non-negative integer, got {self.seed}")
        _check(0 <= self.vnics <= 16, f"--vnics must be 0..16, got {self.vnics}")
        _check(0 <= self.disks <= 16, f"--disks must be 0..16, got {self.disks}")
        _check(
            0 <= self.command_latency_ms <= 60_000,
            f"--command-latency-ms must be 0..60000, got {self.command_latency_ms:g}",
        )
        for name, rate in (
            ("--churn", self.churn_per_vm_hour),
            ("--devices-change", self.devices_change_per_vm_hour),
        ):
            _check(
                0 <= rate <= MAX_CHANGE_RATE, f"{name} must be 0..{MAX_CHANGE_RATE:g}, got {rate:g}"
            )
        _check(self.watch_pid is None or self.watch_pid > 0, "--watch-pid must be positive")
        _check(
            (self.tls_cert is None) == (self.tls_key is None),
            "--tls-cert and --tls-key go together: give both or neither",
        )


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise BadInputError(message)
