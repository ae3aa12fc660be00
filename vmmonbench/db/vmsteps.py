"""SQLite's virtual-machine steps per statement, counted by each connection's progress handler.

The counterpart of PostgreSQL's block counts where there is no server: the number of VDBE
instructions a statement ran, which a dropped index or a wider view raises at the same call
count. Opt-in (`vmmonbench run --db sqlite --sqlite-steps`): SQLite calls the handler every
N instructions and only N = 1 counts a short statement at all (the count restarts with each
statement), so it is a Python call per instruction: 1.2-1.6x the wall time of the profiler
bench's statistics cycle, 2-2.7x the DB self time per statistics cycle of `run gate --db
sqlite`. The DB self times of such a run are inflated by it. Python's sqlite3 does not
expose `sqlite3_stmt_status`, so full-scan and sort steps are not counted separately.
"""

from __future__ import annotations

from typing import Any, Final

STEPS_KEY: Final = "vmmonbench.vm_steps"  # where a pooled connection keeps its counter


class StepCounter:
    """The VM steps one SQLite connection has run since it was opened."""

    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = 0

    def tick(self) -> None:
        """The progress handler: one more instruction (None lets the statement go on)."""
        self.steps += 1


def count_steps(dbapi_connection: Any, connection_record: Any) -> None:
    """Engine `connect` listener: count this new connection's VM steps from now on."""
    counter = StepCounter()
    dbapi_connection.set_progress_handler(counter.tick, 1)
    connection_record.info[STEPS_KEY] = counter
