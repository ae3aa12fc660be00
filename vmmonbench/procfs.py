"""Facts about processes from the operating system: alive, children, memory (Linux /proc).

Where /proc is missing (macOS) the answers degrade, never raise: `alive` trusts kill(0), the
lists are empty and the sizes 0.
"""

from __future__ import annotations

import os
from pathlib import Path

_PROC = Path("/proc")


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    stat = _stat_fields(pid)
    return stat is None or stat[0] != "Z"


def children(parent: int) -> list[int]:
    """The pids whose parent is `parent` (zombies included)."""
    found = []
    for entry in _entries():
        stat = _stat_fields(int(entry.name))
        if stat is not None and int(stat[1]) == parent:
            found.append(int(entry.name))
    return found


def memory_bytes(pid: int | str, field: str) -> int:
    """A memory field of /proc/<pid>/status (VmRSS, VmHWM, ...) in bytes; 0 where missing.

    `pid` may be "self".
    """
    return _kilobytes_field(_PROC / str(pid) / "status", f"{field}:")


def proportional_bytes(pid: int) -> int:
    """The process's proportional set size (Pss: shared pages split between their users);
    its VmRSS where smaps_rollup is missing (Linux < 4.14); 0 for a process gone."""
    pss = _kilobytes_field(_PROC / str(pid) / "smaps_rollup", "Pss:")
    return pss or memory_bytes(pid, "VmRSS")


def _entries() -> list[Path]:
    try:
        return [entry for entry in _PROC.iterdir() if entry.name.isdigit()]
    except OSError:
        return []


def _stat_fields(pid: int) -> list[str] | None:
    # the fields after the command name, which may itself hold spaces and parentheses
    try:
        return (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _kilobytes_field(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
