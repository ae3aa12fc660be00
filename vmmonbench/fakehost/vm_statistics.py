"""Per-poll statistics: new CPU, memory, network and disk values written into each VM's map."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from vmmonbench.fakehost.vmstate import VmState
from vmmonbench.workload import StatsRanges

POOL_BITS = 10  # drawn values come from tables of 2**POOL_BITS entries, indexed by random bits
STEPS = (1 << POOL_BITS) - 1  # steps across a range: fine enough for a percentage with decimals
CPU_SYS_SHARE = 0.1  # of the drawn CPU load, the part qemu spends outside the guest
DISK_RATE_MAX = 10 << 20  # bytes per second
LATENCY_NS = (100_000, 5_000_000)
BYTES_PER_OP = 4096
BUFFERS_SHARE = (0.01, 0.03)  # of guest memory
CACHED_SHARE = (0.05, 0.15)


@dataclass(slots=True)
class PollTick:
    """The host-clock values every VM of one poll shares."""

    now_ms: int
    status_time: str = ""
    sample_time: float = 0.0
    elapsed: dict[int, str] = field(default_factory=dict)  # started_ms -> elapsedTime

    def __post_init__(self) -> None:
        self.status_time = str(self.now_ms)
        self.sample_time = self.now_ms / 1000

    def elapsed_since(self, started_ms: int) -> str:
        """elapsedTime in whole seconds; VMs started together share the string."""
        text = self.elapsed.get(started_ms)
        if text is None:
            text = self.elapsed[started_ms] = str(max(0, self.now_ms - started_ms) // 1000)
        return text


class StatsGenerator:
    """Draws one host's statistics from a seeded generator, so equal call sequences give equal
    values; strings come from pre-formatted tables because formatting dominates a 6000-VM poll.
    """

    def __init__(
        self, ranges: StatsRanges, rng: random.Random, *, reorder_guest_nics: bool
    ) -> None:
        self._random = rng.random
        self._bits = rng.getrandbits
        self._reorder = reorder_guest_nics
        cpu = _steps(ranges.cpu_percent)
        self._cpu_user = [f"{c * (1 - CPU_SYS_SHARE):.2f}" for c in cpu]
        self._cpu_sys = [f"{c * CPU_SYS_SHARE:.2f}" for c in cpu]
        # CPU time gained per elapsed ms per vCPU, in ns
        self._cpu_ns_per_ms = [int(c / 100 * 1_000_000) for c in cpu]
        mem = _steps(ranges.mem_percent)
        self._mem_usage = [str(round(m)) for m in mem]
        self._mem_free_share = [1 - m / 100 for m in mem]
        net_low, net_high = ranges.net_rate
        self._net_low = net_low
        self._net_span = net_high - net_low
        self._disk_rate = [DISK_RATE_MAX * i // STEPS for i in range(STEPS + 1)]
        self._disk_rate_text = [str(r) for r in self._disk_rate]
        low, high = LATENCY_NS
        latency = [str(low + (high - low) * i // STEPS) for i in range(STEPS + 1)]
        # read, write and flush latency drawn together: one draw per disk and poll
        self._latencies = [
            (latency[rng.getrandbits(POOL_BITS)], latency[rng.getrandbits(POOL_BITS)], text)
            for text in latency
        ]

    def poll(self, vms: Iterable[VmState], tick: PollTick) -> list[dict[str, Any]]:
        """Each VM's report for this poll; running VMs' maps get new values written in place.

        One loop for the whole host with everything hoisted into locals: at 6000 VMs per poll
        the per-VM overhead is what a manager's poll round trip waits for.
        """
        r = self._random
        bits = self._bits
        cpu_user, cpu_sys, cpu_ns_per_ms = self._cpu_user, self._cpu_sys, self._cpu_ns_per_ms
        mem_usage, mem_free_share = self._mem_usage, self._mem_free_share
        net_low, net_span = self._net_low, self._net_span
        rates, rate_text, latencies = self._disk_rate, self._disk_rate_text, self._latencies
        buffers_low, buffers_span = BUFFERS_SHARE[0], BUFFERS_SHARE[1] - BUFFERS_SHARE[0]
        cached_low, cached_span = CACHED_SHARE[0], CACHED_SHARE[1] - CACHED_SHARE[0]
        reorder = self._reorder
        now_ms, status_time, sample_time = tick.now_ms, tick.status_time, tick.sample_time
        elapsed_since = tick.elapsed_since
        reports: list[dict[str, Any]] = []
        append = reports.append
        for vm in vms:
            if vm.exited is not None:
                append(vm.exited)
                continue
            stats = vm.stats
            elapsed_ms = now_ms - vm.sampled_ms
            vm.sampled_ms = now_ms
            stats["statusTime"] = status_time
            stats["elapsedTime"] = elapsed_since(vm.started_ms)

            cpu = bits(POOL_BITS)
            stats["cpuUser"] = cpu_user[cpu]
            stats["cpuSys"] = cpu_sys[cpu]
            vm.cpu_ns += cpu_ns_per_ms[cpu] * elapsed_ms * vm.cpus
            stats["cpuUsage"] = str(vm.cpu_ns)

            # The legacy engine kept free/buffers/cached in vm_dynamic: each must change
            # on every poll, so a value that repeats the previous text is nudged by one.
            mem = bits(POOL_BITS)
            stats["memUsage"] = mem_usage[mem]
            memory = vm.memory
            total = vm.mem_kib
            free = int(total * mem_free_share[mem])
            text = str(free)
            if text == memory["mem_free"]:
                free += 1
                text = str(free)
            memory["mem_free"] = text
            buffers = int(total * (buffers_low + buffers_span * r()))
            text = str(buffers)
            if text == memory["mem_buffers"]:
                buffers += 1
                text = str(buffers)
            memory["mem_buffers"] = text
            cached = int(total * (cached_low + cached_span * r()))
            text = str(cached)
            if text == memory["mem_cached"]:
                cached += 1
                text = str(cached)
            memory["mem_cached"] = text
            memory["mem_unused"] = str(max(0, free - buffers - cached))
            memory["pageflt"] = memory["minflt"] = bits(7)

            for nic in vm.nics:
                # net_rate is a percentage of link speed, as the engine computes rx/tx rates
                per_ms = nic.bytes_per_ms_per_percent * elapsed_ms
                nic.rx += int(per_ms * (net_low + net_span * r()))
                nic.tx += int(per_ms * (net_low + net_span * r()))
                entry = nic.entry
                entry["rx"] = str(nic.rx)
                entry["tx"] = str(nic.tx)
                entry["sampleTime"] = sample_time

            for disk in vm.disks:
                read = bits(POOL_BITS)
                write = bits(POOL_BITS)
                disk.read_bytes += rates[read] * elapsed_ms // 1000
                disk.written_bytes += rates[write] * elapsed_ms // 1000
                entry = disk.entry
                entry["readRate"] = rate_text[read]
                entry["writeRate"] = rate_text[write]
                (
                    entry["readLatency"],
                    entry["writeLatency"],
                    entry["flushLatency"],
                ) = latencies[bits(POOL_BITS)]
                entry["readBytes"] = str(disk.read_bytes)
                entry["writtenBytes"] = str(disk.written_bytes)
                entry["readOps"] = str(disk.read_bytes // BYTES_PER_OP)
                entry["writeOps"] = str(disk.written_bytes // BYTES_PER_OP)

            if reorder:
                # the study's guest-agent quirk: same NICs, another order on every report
                fragments = vm.iface_fragments
                vm.reports += 1
                stats["netIfaces"] = fragments[vm.reports % len(fragments)]
            append(stats)
        return reports


def _steps(bounds: tuple[float, float]) -> list[float]:
    low, high = bounds
    return [low + (high - low) * i / STEPS for i in range(STEPS + 1)]
