"""User operations on VMs: they lock what they touch, write the database and call the host."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from vmmonbench.db.dao import MonitoringDao
from vmmonbench.db.database import BoundTimestamp, Database
from vmmonbench.monitor.clock import WarpClock
from vmmonbench.monitor.hostclient import HostCallError, HostClient
from vmmonbench.monitor.locks import LockManager
from vmmonbench.monitor.state import MonitorState

EPOCH = datetime(2016, 7, 25, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Command:
    """One scheduled user operation."""

    at_s: float
    kind: str
    vm_id: str
    host_id: str
    device_id: str | None = None


@dataclass(slots=True)
class CommandSample:
    """What one command waited for its lock and how long it took in all."""

    kind: str
    at_s: float
    wait_s: float
    duration_s: float
    failed: str | None = None


def schedule_commands(
    *,
    seed: int,
    rate_per_s: float,
    mix: Sequence[tuple[str, float]],
    duration_s: float,
    vms: Sequence[tuple[str, str]],
) -> list[Command]:
    """Poisson arrivals over the run on uniformly chosen VMs; the same seed, the same commands."""
    rng = random.Random(f"{seed}:commands")
    commands: list[Command] = []
    kinds = [kind for kind, weight in mix if weight > 0]
    weights = [weight for _, weight in mix if weight > 0]
    if rate_per_s <= 0 or not vms or not kinds:
        return commands
    at = rng.expovariate(rate_per_s)
    while at < duration_s:
        kind = rng.choices(kinds, weights)[0]
        vm_id, host_id = vms[rng.randrange(len(vms))]
        device_id = (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)) if kind == "hotplug" else None
        )
        commands.append(Command(at, kind, vm_id, host_id, device_id))
        at += rng.expovariate(rate_per_s)
    return commands


class CommandExecutor:
    """Runs commands the way the engine's commands do: lock, DB write, host call, release."""

    def __init__(
        self,
        db: Database,
        locks: LockManager,
        clients: Mapping[str, HostClient],
        states: Mapping[str, MonitorState],
        clock: WarpClock,
        *,
        record: Callable[[CommandSample], None],
    ) -> None:
        self.db = db
        self.locks = locks
        self.clients = clients
        self.states = states
        self.clock = clock
        self.record = record

    def execute(self, command: Command) -> None:
        """Run one command on the calling thread and record its sample."""
        started = time.perf_counter()
        wait_s = 0.0
        failed: str | None = None
        try:
            with self.locks.for_command(command.host_id, command.vm_id) as waited:
                wait_s = waited
                self._perform(command)
        except (HostCallError, SQLAlchemyError) as exc:
            failed = " ".join(str(exc).split())[:200]
        self.record(
            CommandSample(
                kind=command.kind,
                at_s=command.at_s,
                wait_s=wait_s,
                duration_s=time.perf_counter() - started,
                failed=failed,
            )
        )

    def _perform(self, command: Command) -> None:
        profiler = self.db.profiler
        # a command's statements are its own activity, never attributed to a monitoring cycle
        with profiler.activity() if profiler is not None else nullcontext():
            self._call(command, self.clients[command.host_id])

    def _call(self, command: Command, client: HostClient) -> None:
        now = EPOCH + timedelta(seconds=self.clock.now())
        if command.kind == "update":
            with self.db.session() as session:
                MonitoringDao(session).update_vm_static(
                    command.vm_id,
                    {
                        "description": f"updated at {now.isoformat()}",
                        "_update_date": session.timestamp(now),
                    },
                )
                session.commit()
            client.call("VM.updateVmPolicy", {"vmID": command.vm_id, "params": {"vcpuLimit": 100}})
            self.states[command.host_id].command_changed(command.vm_id, self.clock.now())
        elif command.kind == "hotplug":
            with self.db.session() as session:
                MonitoringDao(session).insert_vm_device(
                    _memory_device(command, session.timestamp(now))
                )
                session.commit()
            memory = {"deviceId": command.device_id, "size": 256}
            client.call("VM.hotplugMemory", {"vmID": command.vm_id, "params": {"memory": memory}})
            self.states[command.host_id].command_changed(command.vm_id, self.clock.now())
        else:
            client.call("VM.setTicket", {"vmID": command.vm_id, "password": "secret", "ttl": 120})


def _memory_device(command: Command, now: BoundTimestamp) -> dict[str, Any]:
    return {
        "device_id": command.device_id,
        "vm_id": command.vm_id,
        "type": "memory",
        "device": "memory",
        "address": "",
        "boot_order": 0,
        "spec_params": '{"size": 256, "node": 0}',
        "is_managed": True,
        "is_plugged": True,
        "is_readonly": False,
        "alias": "",
        "custom_properties": None,
        "snapshot_id": None,
        "logical_name": None,
        "host_device": None,
        "_create_date": now,
        "_update_date": now,
    }
