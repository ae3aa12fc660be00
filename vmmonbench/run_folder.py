"""An output folder owned by one run at a time: its lock, the results it must not lose, its scratch.

The lock is an flock on a file in the folder: the kernel releases it when the process dies, so
a SIGKILLed run never blocks the next one, which removes what the dead run left behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import orjson

from vmmonbench.errors import FolderBusyError, OutputError
from vmmonbench.outputs import TEMP_GLOB, refuse_unless_regular

LOCK_FILE = ".vmmonbench.lock"
OVERWRITE_HINT = "pass --overwrite to replace them, or choose another --out"
_PEEK_BYTES = 2048
_SMALL_RESULTS_BYTES = 1 << 20
_LOCK_ATTEMPTS = 20


@contextmanager
def claimed_folder(
    folder: Path,
    *,
    results: Sequence[str],
    scratch: Sequence[str],
    outputs: Sequence[str] = (),
    overwrite: bool = False,
) -> Iterator[None]:
    """Own `folder` for one run: lock it, keep earlier results, clear scratch before and after.

    `results`: files holding measured results, refused unless `overwrite`; `scratch`: names or
    glob patterns of the run's temporary files (a dead run's are removed); `outputs`: names or
    glob patterns of what the run writes, refused up front when a symlink or a non-file holds
    one of them.
    Raises FolderBusyError (another run holds the folder, or results would be lost) or
    OutputError (the folder cannot be written).
    """
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write to output folder {folder}: {exc.strerror}") from None
    try:
        lock = _lock(folder)
    except BaseException:
        _remove_if_empty(folder, created)
        raise
    try:
        _remove_scratch(folder, scratch)
        for pattern in (*results, *outputs):
            for path in _matching(folder, pattern):
                refuse_unless_regular(path)
        if not overwrite:
            for name in results:
                refuse_earlier_results(folder / name)
        yield
    finally:
        try:
            _remove_scratch(folder, scratch)
        finally:
            _unlock(folder, lock)
            _remove_if_empty(folder, created)


def _remove_if_empty(folder: Path, created: bool) -> None:
    # a run refused before it wrote anything leaves no empty folder of its own behind
    if created:
        with contextlib.suppress(OSError):
            folder.rmdir()


def refuse_earlier_results(path: Path) -> None:
    """FolderBusyError if `path` holds measured results: they are never replaced silently.

    A results file without a single configuration (a run that failed or was stopped before
    measuring) holds nothing measured and may be replaced.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_SMALL_RESULTS_BYTES + 1)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot read {path}: {exc.strerror}") from None
    if _measured_nothing(head):
        return
    text = head[:_PEEK_BYTES].decode("utf-8", "replace")
    facts = [
        f"{key} {match.group(1)}"
        for key in ("status", "created")
        if (match := re.search(rf'"{key}":\s*"([^"]{{1,40}})"', text))
    ]
    detail = f" ({', '.join(facts)})" if facts else ""
    raise FolderBusyError(f"{path} already holds results{detail}: {OVERWRITE_HINT}")


def _measured_nothing(content: bytes) -> bool:
    if len(content) > _SMALL_RESULTS_BYTES:
        return False  # only a file with runs grows this large
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return False  # not ours to judge, so not ours to replace
    return isinstance(data, dict) and data.get("runs") == [] and "format_version" in data


def _lock(folder: Path) -> int:
    path = folder / LOCK_FILE
    for _ in range(_LOCK_ATTEMPTS):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutputError(f"refusing to use {path}: it is a symbolic link") from None
            raise OutputError(f"cannot write to output folder {folder}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise FolderBusyError(
                f"another vmmonbench run{who} is using {folder}: wait for it to end, "
                "or choose another --out"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise OutputError(f"cannot lock output folder {folder}: {exc.strerror}") from None
        # the previous owner unlinks the file as it leaves: a lock on that old file is no lock
        if _same_file(fd, path):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            return fd
        os.close(fd)
    raise FolderBusyError(f"cannot lock output folder {folder}: it keeps changing hands")


def _same_file(fd: int, path: Path) -> bool:
    try:
        named = path.lstat()
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _unlock(folder: Path, fd: int) -> None:
    # unlinked while still held, so whoever opens the name next gets a fresh, free file
    with contextlib.suppress(OSError):
        if _same_file(fd, folder / LOCK_FILE):
            (folder / LOCK_FILE).unlink()
    os.close(fd)


def _matching(folder: Path, pattern: str) -> list[Path]:
    # glob lists dangling symlinks too, which is what a planted link often is
    return list(folder.glob(pattern)) if any(c in pattern for c in "*?[") else [folder / pattern]


def _remove_scratch(folder: Path, patterns: Sequence[str]) -> None:
    for pattern in (*patterns, TEMP_GLOB):
        for path in _matching(folder, pattern):
            _remove(path)


def _remove(path: Path) -> None:
    # best effort: what cannot be removed is reported by the write that needs the name
    with contextlib.suppress(OSError):
        mode = path.lstat().st_mode
        # a link is removed, never followed; only a real folder of ours is removed whole
        if stat.S_ISDIR(mode):
            shutil.rmtree(path)
        else:
            path.unlink()
