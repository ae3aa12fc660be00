"""The lock axis: one host lock per host (3.4/3.5) or one lock per VM (3.6+), real locks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from vmmonbench.configuration import LockMode


class LockManager:
    """Locks shared by monitoring cycles, event workers and commands of one configuration."""

    def __init__(
        self,
        mode: LockMode,
        host_ids: Iterable[str],
        vm_ids: Iterable[str],
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.mode = mode
        self._clock = clock
        self._host = {host_id: threading.Lock() for host_id in host_ids}
        self._vm = {vm_id: threading.Lock() for vm_id in vm_ids} if mode is LockMode.PER_VM else {}

    def begin_cycle(self, host_id: str) -> bool:
        """Try to start a refresh of `host_id`; False means skip the whole cycle (host-lock)."""
        if self.mode is LockMode.HOST:
            return self._host[host_id].acquire(blocking=False)
        return True

    def end_cycle(self, host_id: str) -> None:
        """End a refresh started with `begin_cycle`."""
        if self.mode is LockMode.HOST:
            self._host[host_id].release()

    def lock_vms(self, vm_ids: Iterable[str]) -> tuple[list[str], list[str]]:
        """Try-lock VMs for analysis: (locked, skipped). Under host-lock every VM is covered."""
        if self.mode is LockMode.HOST:
            return list(vm_ids), []
        locked: list[str] = []
        skipped: list[str] = []
        for vm_id in vm_ids:
            lock = self._vm.get(vm_id)
            if lock is None:
                lock = self._vm.setdefault(vm_id, threading.Lock())
            (locked if lock.acquire(blocking=False) else skipped).append(vm_id)
        return locked, skipped

    def unlock_vms(self, vm_ids: Iterable[str]) -> None:
        """Release VMs locked by `lock_vms` (no-op under host-lock)."""
        if self.mode is LockMode.PER_VM:
            for vm_id in vm_ids:
                self._vm[vm_id].release()

    def _command_lock(self, host_id: str, vm_id: str) -> threading.Lock:
        if self.mode is LockMode.HOST:
            return self._host[host_id]
        return self._vm.setdefault(vm_id, threading.Lock())

    @contextmanager
    def for_command(self, host_id: str, vm_id: str) -> Iterator[float]:
        """Block until the command may touch the VM; yields the seconds it waited."""
        lock = self._command_lock(host_id, vm_id)
        started = self._clock()
        lock.acquire()
        try:
            yield self._clock() - started
        finally:
            lock.release()

    @contextmanager
    def for_event(self, host_id: str, vm_id: str) -> Iterator[bool]:
        """Lock for processing one VM's event: blocks on the host lock, try-locks a VM lock."""
        if self.mode is LockMode.HOST:
            lock = self._host[host_id]
            lock.acquire()
            acquired = True
        else:
            lock = self._vm.setdefault(vm_id, threading.Lock())
            acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
