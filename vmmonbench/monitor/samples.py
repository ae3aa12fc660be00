"""Raw per-cycle samples: what one cycle, list refresh or event cost and did."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CycleKind(StrEnum):
    """The kinds of monitoring work recorded as samples."""

    STATS = "stats"  # statistics cycle: every VM's full stats
    LIST = "list"  # polling refresh with the short list verb
    EVENT = "event"  # one VM status event


@dataclass(slots=True)
class CycleSample:
    """One unit of monitoring work, measured for real (times in seconds)."""

    kind: str
    host: int
    start_s: float
    duration_s: float = 0.0
    db_time_s: float = 0.0
    statements: int = 0
    rows_read: int = 0
    rows_written: int = 0
    vms_analysed: int = 0
    vms_skipped: int = 0
    vms_changed: int = 0
    rpc_calls: int = 0
    rpc_bytes: int = 0
    rpc_s: float = 0.0  # waited on host calls: from each send to its reply handed back
    skipped: bool = False
    failed: str | None = None
