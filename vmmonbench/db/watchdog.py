"""Watchdog of the embedded server: if the runner dies first, stop the server and remove it.

Run as `python -m vmmonbench.db.watchdog --runner PID --server PID --folder DIR` in a session
of its own, so that a runner killed with its whole process group still leaves it behind to
clean up. It exits as soon as the server is gone, whoever stopped it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import time
from pathlib import Path

from vmmonbench import procfs

POLL_S = 0.2
STOP_TIMEOUT_S = 15.0


def _stop(server: int) -> None:
    # immediate shutdown: the cluster is thrown away with its folder
    for sig, wait_s in ((signal.SIGQUIT, STOP_TIMEOUT_S), (signal.SIGKILL, STOP_TIMEOUT_S)):
        try:
            os.kill(server, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if not procfs.alive(server):
                return
            time.sleep(POLL_S)


def watch(runner: int, server: int, folder: Path) -> None:
    """Wait until the server is gone; stop it and remove `folder` if the runner goes first."""
    while procfs.alive(server):
        if not procfs.alive(runner):
            _stop(server)
            shutil.rmtree(folder, ignore_errors=True)
            return
        time.sleep(POLL_S)


def main() -> None:
    """Entry point of `python -m vmmonbench.db.watchdog`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runner", type=int, required=True)
    parser.add_argument("--server", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only the runner's stop() or death ends us
    watch(args.runner, args.server, args.folder)


if __name__ == "__main__":
    main()
