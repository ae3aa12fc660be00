"""The `vmmonbench` entry point: stop signals end it quietly from the first instant.

Importing the command line takes most of a second (SQLAlchemy, rich, SciPy); a Ctrl-C or a
SIGTERM meanwhile must not print a traceback, so the handlers come before the imports.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from vmmonbench.errors import EXIT_INTERRUPTED
from vmmonbench.interrupts import STOP_SIGNALS, note

_received: list[int] = []


def main() -> None:
    """Install early stop-signal handlers, then run the command line."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _remember)
    from vmmonbench.cli import main as cli_main  # noqa: PLC0415 - after the handlers

    if _received:
        note("error: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    for sig in STOP_SIGNALS:
        # nothing is measured before a command installs its own handlers: end as Ctrl-C
        # does, which the command line turns into one line and exit code 130
        signal.signal(sig, _interrupt)
    cli_main()


def _remember(signum: int, _frame: FrameType | None) -> None:
    # no exception while importing: an extension module (orjson) crashes when its
    # initialisation is interrupted by one
    _received.append(signum)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt
