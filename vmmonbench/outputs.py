"""Writing what the user asked for, safely: whole or not at all, and never through a trap.

Two kinds of target. A path the user named (`export -o`, `report -o`, `compare --html`) is
treated like a shell redirection: symbolic links are followed, a regular file (or a new path) is
replaced atomically, a stream (character device, FIFO) is written in place, and anything else is
refused. A file vmmonbench names inside an output folder (results.json, logs, workload.toml...)
is never reached through a symbolic link and must be a regular file or not exist yet.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO

from vmmonbench.errors import OutputError

# O_NOFOLLOW fails with ELOOP on a symlink; O_CLOEXEC keeps the file out of child processes
TEMP_SUFFIX = ".tmp"
TEMP_GLOB = ".*." + "[0-9a-f]" * 8 + TEMP_SUFFIX  # `.NAME.1a2b3c4d.tmp` while NAME is written
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOCTTY


def write_file(path: Path, data: bytes) -> None:
    """Write a file the user named, as a shell redirection would but never half-written.

    Regular files and new paths are replaced atomically (the old content survives any
    failure); character devices and FIFOs (`/dev/null`, `/dev/stdout`, a pipe) are written in
    place; directories, block devices and sockets are refused. Raises OutputError.
    """
    info = _stat(path, follow=True)
    if info is not None and _is_stream(info.st_mode):
        _write_stream(path, data)
        return
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OutputError(f"cannot write {path}: {_kind(info.st_mode)}")
    # a link to a regular file (or a dangling one) names the file it points to
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    _replace(target, data, mode=stat.S_IMODE(info.st_mode) if info is not None else None)


def check_target(path: Path) -> None:
    """Refuse up front (OutputError) a path the user named that write_file would refuse."""
    info = _stat(path, follow=True)
    if info is not None and not (stat.S_ISREG(info.st_mode) or _is_stream(info.st_mode)):
        raise OutputError(f"cannot write {path}: {_kind(info.st_mode)}")


def write_in_folder(path: Path, data: bytes) -> None:
    """Write a file vmmonbench names inside an output folder: atomically, never via a symlink.

    The target must be a regular file or not exist; a symbolic link, device, FIFO, socket or
    directory in its place is refused. Raises OutputError.
    """
    info = _stat(path, follow=False)
    if info is not None:
        _refuse_unless_regular(path, info.st_mode)
    _replace(path, data, mode=stat.S_IMODE(info.st_mode) if info is not None else None)


def open_in_folder(path: Path) -> BinaryIO:
    """Open (truncate or create) a log vmmonbench names in an output folder, never via a symlink.

    The handle is unbuffered binary, fit to hand to a child process as its stderr.
    Raises OutputError.
    """
    info = _stat(path, follow=False)
    if info is not None:
        _refuse_unless_regular(path, info.st_mode)
    try:
        # non-blocking: a FIFO swapped in since the check must not hang the open
        fd = os.open(path, _NEW_FILE_FLAGS | os.O_TRUNC | os.O_NONBLOCK, 0o666)
    except OSError as exc:
        raise _cannot(path, exc) from None
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode):
        os.close(fd)
        raise OutputError(f"refusing to write {path}: {_kind(opened.st_mode)}")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "wb", buffering=0)


def refuse_unless_regular(path: Path) -> None:
    """Refuse (OutputError) a name in an output folder held by a symlink or a non-file."""
    info = _stat(path, follow=False)
    if info is not None:
        _refuse_unless_regular(path, info.st_mode)


def _refuse_unless_regular(path: Path, mode: int) -> None:
    if stat.S_ISLNK(mode):
        raise OutputError(
            f"refusing to write {path}: it is a symbolic link (vmmonbench never writes through "
            "one in an output folder; remove it or choose another folder)"
        )
    if not stat.S_ISREG(mode):
        raise OutputError(f"refusing to write {path}: {_kind(mode)}")


def _stat(path: Path, *, follow: bool) -> os.stat_result | None:
    try:
        return path.stat() if follow else path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _cannot(path, exc) from None


def _is_stream(mode: int) -> bool:
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "it is a directory"
    if stat.S_ISLNK(mode):
        return "it is a symbolic link"
    if stat.S_ISBLK(mode):
        return "it is a block device (it could hold a file system; vmmonbench writes files)"
    if stat.S_ISSOCK(mode):
        return "it is a socket"
    if stat.S_ISFIFO(mode):
        return "it is a FIFO"
    if stat.S_ISCHR(mode):
        return "it is a character device"
    return "it is not a regular file"


def _write_stream(path: Path, data: bytes) -> None:
    try:
        # non-blocking open: a FIFO nobody reads is an error, not a hang
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OutputError(f"cannot write {path}: no process is reading it") from None
        raise _cannot(path, exc) from None
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise _cannot(path, exc) from None
    finally:
        os.close(fd)


def _replace(path: Path, data: bytes, *, mode: int | None) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _temp_beside(path)
    except OSError as exc:
        raise _cannot(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if mode is not None:
                os.fchmod(handle.fileno(), mode)  # a replaced file keeps its mode
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise _cannot(path, exc) from None
        raise
    _sync_folder(path.parent)


def _temp_beside(path: Path) -> tuple[int, Path]:
    # like mkstemp, but 0666 less the umask (results are meant to be shared) without touching
    # the process-wide umask, which other threads may be creating files under
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, _NEW_FILE_FLAGS | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def _sync_folder(folder: Path) -> None:
    # the rename is durable once the folder is; some file systems cannot sync a folder
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _cannot(path: Path, exc: OSError) -> OutputError:
    if exc.errno == errno.ELOOP:
        return OutputError(f"refusing to write {path}: it is a symbolic link")
    return OutputError(f"cannot write {path}: {exc.strerror or exc}")
