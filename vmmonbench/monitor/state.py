"""What the monitoring core remembers between cycles for one host (in memory, as the engine)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

HISTORY_LENGTH = 40  # the engine's UsageHistoryLength


@dataclass(slots=True)
class UsageHistory:
    """The last samples of CPU, memory and network usage of one VM."""

    cpu: deque[int] = field(default_factory=lambda: deque(maxlen=HISTORY_LENGTH))
    memory: deque[int] = field(default_factory=lambda: deque(maxlen=HISTORY_LENGTH))
    network: deque[int] = field(default_factory=lambda: deque(maxlen=HISTORY_LENGTH))


@dataclass(slots=True)
class MonitorState:
    """Per-host memory: staleness marks, usage history, the 4.1 hash and job caches."""

    last_report_time: dict[str, int] = field(default_factory=dict)
    data_changed_at: dict[str, float] = field(default_factory=dict)
    history: dict[str, UsageHistory] = field(default_factory=dict)
    hash_cache: dict[str, str | None] = field(default_factory=dict)
    job_ids: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def is_stale(
        self, vm_id: str, report_time: int | None, fetched_at: float, *, event: bool = False
    ) -> bool:
        """Guard 1: a command changed the VM after the fetch. Guard 2: an older report.

        An event with the same notify_time as one processed is a duplicate; a poll with the same
        statusTime is not (two polls may share a millisecond).
        """
        with self.lock:
            if self.data_changed_at.get(vm_id, float("-inf")) >= fetched_at:
                return True
            if report_time is not None:
                last = self.last_report_time.get(vm_id)
                if last is not None and (report_time < last or (event and report_time == last)):
                    return True
        return False

    def processed(self, vm_id: str, report_time: int | None) -> None:
        """Remember the time of the last report processed for the VM."""
        if report_time is None:
            return
        with self.lock:
            if report_time > self.last_report_time.get(vm_id, -1):
                self.last_report_time[vm_id] = report_time

    def command_changed(self, vm_id: str, at: float) -> None:
        """A command changed the VM at simulated time `at`."""
        with self.lock:
            self.data_changed_at[vm_id] = at

    def usage_history(self, vm_id: str) -> UsageHistory:
        """The VM's usage history (created empty)."""
        history = self.history.get(vm_id)
        if history is None:
            history = self.history[vm_id] = UsageHistory()
        return history
