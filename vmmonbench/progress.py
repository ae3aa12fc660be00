"""What a run tells its user while it works: the protocol the CLI renders, and silence."""

from __future__ import annotations

from typing import Protocol

from vmmonbench.results import RunResult


class Progress(Protocol):
    """Progress of a run (the CLI renders it; tests and library callers may ignore it)."""

    def configuration_started(self, label: str, number: int, total: int, duration_s: float) -> None:
        """A configuration begins."""

    def update(self, simulated_s: float, stats_cycles: int) -> None:
        """Simulated time reached and statistics cycles done so far."""

    def configuration_done(self, result: RunResult) -> None:
        """A configuration finished (or stopped)."""

    def message(self, text: str) -> None:
        """A one-line note."""


class SilentProgress:
    """Progress that says nothing."""

    def configuration_started(self, label: str, number: int, total: int, duration_s: float) -> None:
        """Nothing."""

    def update(self, simulated_s: float, stats_cycles: int) -> None:
        """Nothing."""

    def configuration_done(self, result: RunResult) -> None:
        """Nothing."""

    def message(self, text: str) -> None:
        """Nothing."""
