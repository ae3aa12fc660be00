"""Files a user hands in: only regular files, only up to a size, never a read without end."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from vmmonbench.errors import BadInputError

MIB = 1024 * 1024


def read_bounded(path: Path, *, what: str, limit_bytes: int) -> bytes:
    """The bytes of `path`, a regular file of at most `limit_bytes`; BadInputError otherwise.

    A FIFO, a device (`/dev/zero`) or a folder is refused before anything is read: a FIFO is
    opened without blocking, so a path swapped for one after a check cannot hang the read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise BadInputError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise BadInputError(f"cannot read {what} {path}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise BadInputError(f"{what} {path} is a folder, not a file")
        raise BadInputError(
            f"{what} {path} is not a regular file (a FIFO, device or socket): give a file"
        )
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limit_bytes:
            raise BadInputError(_too_large(what, path, info.st_size, limit_bytes))
        data = handle.read(limit_bytes + 1)  # a file still growing stops at the limit too
    if len(data) > limit_bytes:
        raise BadInputError(_too_large(what, path, len(data), limit_bytes))
    return data


def _too_large(what: str, path: Path, size: int, limit: int) -> str:
    return (
        f"{what} {path} has {size / MIB:,.0f} MiB, more than the {limit / MIB:,.0f} MiB "
        f"vmmonbench reads"
    )
