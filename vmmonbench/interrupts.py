"""How a command ends early and keeps what it measured: stop signals and a closed stdout.

While a run measures, SIGINT, SIGTERM, SIGHUP and SIGQUIT ask it to stop (it then saves what it
measured and exits 130); a second Ctrl-C forces the stop. Once its results are saved, a stop
signal aborts what is left (the report, the summary) with RunInterruptedError. A stdout whose
reader went away (`| head -1`) stops the run as SIGPIPE would stop a C program, results kept.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

from vmmonbench.errors import RunInterruptedError

if TYPE_CHECKING:
    from vmmonbench.progress import Progress
    from vmmonbench.results import RunResult

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def note(text: str) -> None:
    """One line on stderr (nothing when stderr is gone)."""
    with contextlib.suppress(OSError, ValueError):
        print(f"vmmonbench: {text}", file=sys.stderr, flush=True)


def _note_in_handler(text: str) -> None:
    # os.write, not print: a handler may run while the main thread is inside print()
    with contextlib.suppress(OSError):
        os.write(2, f"vmmonbench: {text}\n".encode())


class StopSignals:
    """The stop signals of one command: first they stop the run, then they abort the rest."""

    def __init__(self, stop: threading.Event, *, after_results: str) -> None:
        self.stop = stop
        self.after_results = after_results  # the message once the results are saved
        self.measuring = True

    def results_saved(self) -> None:
        """From now on a stop signal aborts at once: nothing measured can be lost."""
        self.measuring = False

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        """The signal handler."""
        name = signal.Signals(signum).name
        if not self.measuring:
            raise RunInterruptedError(f"interrupted by {name}; {self.after_results}")
        if self.stop.is_set():
            if signum == signal.SIGINT:
                raise KeyboardInterrupt  # the second Ctrl-C: stop now
            return
        _note_in_handler(f"{name}: stopping; the results measured so far will be written")
        self.stop.set()


@contextmanager
def stop_signals(stop: threading.Event, *, after_results: str) -> Iterator[StopSignals]:
    """Install the stop-signal handlers for the body; the previous ones come back after it."""
    signals = StopSignals(stop, after_results=after_results)
    previous = {sig: signal.signal(sig, signals.handle) for sig in STOP_SIGNALS}
    try:
        yield signals
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def stdout_is_gone() -> bool:
    """Whether stdout's reader went away (a closed pipe) or its terminal hung up."""
    try:
        poller = select.poll()
        poller.register(1, select.POLLOUT)
        events = poller.poll(0)
    except (OSError, ValueError):
        return True
    return any(mask & (select.POLLERR | select.POLLHUP | select.POLLNVAL) for _, mask in events)


def silence_stdout() -> None:
    """Point stdout at /dev/null, so what is still buffered or printed goes nowhere quietly."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)


class StdoutGuardedProgress:
    """A run's progress on stdout; when stdout goes away the run is asked to stop, not broken.

    Without it the first progress line after `| head -1` exits raised inside the run, before
    the configuration just measured was saved.
    """

    def __init__(self, inner: Progress, stop: threading.Event) -> None:
        self.inner = inner
        self.stop = stop
        self.closed = False
        self._lock = threading.Lock()

    def _lost(self, exc: OSError) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
        silence_stdout()
        reason = exc.strerror or type(exc).__name__
        note(f"standard output failed ({reason}): stopping; what was measured will be written")
        self.stop.set()

    def configuration_started(self, label: str, number: int, total: int, duration_s: float) -> None:
        """Forwarded while stdout works."""
        if not self.closed:
            try:
                self.inner.configuration_started(label, number, total, duration_s)
            except OSError as exc:
                self._lost(exc)

    def update(self, simulated_s: float, stats_cycles: int) -> None:
        """Forwarded while stdout works."""
        if not self.closed:
            try:
                self.inner.update(simulated_s, stats_cycles)
            except OSError as exc:
                self._lost(exc)

    def configuration_done(self, result: RunResult) -> None:
        """Forwarded while stdout works."""
        if not self.closed:
            try:
                self.inner.configuration_done(result)
            except OSError as exc:
                self._lost(exc)

    def message(self, text: str) -> None:
        """Forwarded while stdout works."""
        if not self.closed:
            try:
                self.inner.message(text)
            except OSError as exc:
                self._lost(exc)
