"""Autonomous real-time churn for standalone fake hosts: random changes at a rate per VM-hour."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from vmmonbench.fakehost.host import EmulatedHost

SECONDS_PER_HOUR = 3600.0


async def churn(
    rate_per_vm_hour: float,
    host: EmulatedHost,
    change: Callable[[int], None],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Apply `change` to a random VM of `host`, as a Poisson process, until cancelled."""
    per_second = rate_per_vm_hour * len(host.spec.vms) / SECONDS_PER_HOUR
    while True:
        # read the generator each time: Sim.reset re-seeds it
        await sleep(host.churn_random.expovariate(per_second))
        change(host.churn_random.randrange(len(host.spec.vms)))
