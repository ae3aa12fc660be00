"""A run's progress: a live bar per configuration with ETAs on a terminal, plain lines in logs."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from vmmonbench.figures import BY_NAME
from vmmonbench.render.terminal.labels import short_label
from vmmonbench.render.terminal.untrusted import plain
from vmmonbench.results import RunResult

PLAIN_UPDATE_EVERY_S = 5.0
DB_TIME = BY_NAME["db_time_per_stats_cycle_s"]
STATS_CYCLES = BY_NAME["stats_cycles"]


class TerminalProgress:
    """A rich progress bar per configuration on a terminal; plain lines otherwise (CI logs).

    The bar shows the configuration's own ETA (from its simulated-time rate so far) and the
    whole run's: the configurations still to come are assumed to take as long as the mean of
    those measured, the current one included at its projected length.
    """

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.live = console.is_terminal
        self.clock = clock
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._prefix = ""
        self._label = ""
        self._number = self._total = 0
        self._duration_s = 0.0
        self._started = 0.0
        self._last_line = 0.0
        self._cycle_shown = False  # a plain line has shown a cycle: the first gets one at once
        self._finished_s: list[float] = []

    def configuration_started(self, label: str, number: int, total: int, duration_s: float) -> None:
        """Open a bar (or print a line) for the configuration."""
        self._prefix, self._label = f"[{number}/{total}]", label
        self._number, self._total, self._duration_s = number, total, duration_s
        self._started = self.clock()
        if self.live:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=None),
                TextColumn("{task.completed:.0f}/{task.total:.0f} s, {task.fields[cycles]} cycles"),
                TextColumn("{task.fields[eta]} left, run {task.fields[run_eta]}"),
                console=self.console,
                transient=True,
                expand=True,
            )
            self._progress.start()
            description = plain(f"{self._prefix} {short_label(label)}")
            unknown = _clock_text(None)
            self._task = self._progress.add_task(
                description.plain, total=duration_s, cycles=0, eta=unknown, run_eta=unknown
            )
        else:
            self._last_line = self.clock()
            self._cycle_shown = False
            self.console.print(
                plain(f"{self._prefix} {label}: started ({duration_s:g} s simulated)")
            )

    def update(self, simulated_s: float, stats_cycles: int) -> None:
        """Move the bar (or print a line every few seconds of wall time, and as soon as the
        configuration's first statistics cycle is done: a log shows when measuring began)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task,
                completed=simulated_s,
                cycles=stats_cycles,
                eta=_clock_text(self.configuration_remaining_s(simulated_s)),
                run_eta=_clock_text(self.run_remaining_s(simulated_s)),
            )
        elif self.clock() - self._last_line >= PLAIN_UPDATE_EVERY_S or (
            stats_cycles and not self._cycle_shown
        ):
            self._last_line = self.clock()
            self._cycle_shown = stats_cycles > 0
            self.console.print(
                plain(
                    f"{self._prefix} {self._label}: {simulated_s:.0f} s simulated, "
                    f"{stats_cycles} statistics cycles"
                )
            )

    def configuration_remaining_s(self, simulated_s: float) -> float | None:
        """Wall seconds until this configuration ends, at its rate so far; None before any."""
        projected = self._projected_s(simulated_s)
        return None if projected is None else max(0.0, projected - (self.clock() - self._started))

    def run_remaining_s(self, simulated_s: float) -> float | None:
        """Wall seconds until the whole run ends, estimated; None before any progress."""
        projected, left = (
            self._projected_s(simulated_s),
            self.configuration_remaining_s(simulated_s),
        )
        if projected is None or left is None:
            return None
        per_configuration = (sum(self._finished_s) + projected) / (len(self._finished_s) + 1)
        return left + per_configuration * (self._total - self._number)

    def _projected_s(self, simulated_s: float) -> float | None:
        # the configuration's whole wall time, if the rest goes at the simulated rate so far
        if simulated_s <= 0 or self._duration_s <= 0:
            return None
        elapsed = self.clock() - self._started
        return elapsed * self._duration_s / min(simulated_s, self._duration_s)

    def configuration_done(self, result: RunResult) -> None:
        """Close the bar and print one line."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        wall = self.clock() - self._started
        self._finished_s.append(wall)
        cycles, db_time = STATS_CYCLES.of(result), DB_TIME.of(result)
        if self.live:
            label = short_label(result.label)
            line = (
                f"{self._prefix} {label}  {result.status}  {cycles} stats cycles  "
                f"{db_time} DB/cycle  {wall:.1f} s"
            )
        else:
            line = (
                f"{self._prefix} {result.label}: {result.status}, {cycles} statistics cycles, "
                f"{db_time} DB time per cycle, {wall:.1f} s wall"
            )
        self.console.print(plain(line))

    def message(self, text: str) -> None:
        """Print a note."""
        self.console.print(plain(text))


def _clock_text(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
