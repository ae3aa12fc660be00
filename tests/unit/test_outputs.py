"""Writing outputs: whole or not at all, streams in place, and never through a trap."""

from __future__ import annotations

import os
import select
import socket
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from vmmonbench.errors import OutputError
from vmmonbench.outputs import open_in_folder, write_file, write_in_folder


def _no_temp_files(folder: Path) -> bool:
    return not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_new_file_is_shared_and_a_replaced_one_keeps_its_mode(tmp_path: Path) -> None:
    fresh = tmp_path / "new.json"
    write_file(fresh, b"one")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    fresh.chmod(0o600)
    write_file(fresh, b"two")
    assert fresh.read_bytes() == b"two"
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


@pytest.mark.parametrize("write", [write_file, write_in_folder], ids=["user-path", "in-folder"])
def test_a_failed_write_leaves_the_previous_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: object
) -> None:
    assert callable(write)
    path = tmp_path / "results.json"
    write(path, b'{"complete": true}')

    def broken_fsync(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OutputError, match=f"cannot write {path}: No space left on device"):
        write(path, b'{"half": ')
    assert path.read_bytes() == b'{"complete": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temp file left


def test_the_new_content_appears_only_by_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "results.json"
    write_in_folder(path, b"old")
    seen: list[bytes] = []
    real_replace = Path.replace

    def observe(self: Path, target: Path) -> Path:
        seen.append(path.read_bytes())  # what a reader sees just before the rename
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", observe)
    write_in_folder(path, b"new and whole")
    assert seen == [b"old"]
    assert path.read_bytes() == b"new and whole"


def test_dev_null_stays_a_device() -> None:
    before = Path("/dev/null").stat()
    write_file(Path("/dev/null"), b"{}")
    after = Path("/dev/null").stat()
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def _mknod(path: Path, kind: int, device: tuple[int, int]) -> None:
    try:
        os.mknod(path, kind | 0o666, os.makedev(*device))
    except PermissionError:
        pytest.skip("creating device nodes needs CAP_MKNOD")


def test_a_character_device_is_written_in_place_not_replaced(tmp_path: Path) -> None:
    node = tmp_path / "null"
    _mknod(node, stat.S_IFCHR, (1, 3))  # a second /dev/null
    inode = node.stat().st_ino
    write_file(node, b"data")
    assert stat.S_ISCHR(node.lstat().st_mode)
    assert node.stat().st_ino == inode


def test_a_full_device_is_one_clear_error() -> None:
    with pytest.raises(OutputError, match="cannot write /dev/full: No space left on device"):
        write_file(Path("/dev/full"), b"x" * 10_000)


def test_a_block_device_is_refused_untouched(tmp_path: Path) -> None:
    node = tmp_path / "disk"
    _mknod(node, stat.S_IFBLK, (7, 0))  # a loop device node: refused before it is opened
    with pytest.raises(OutputError, match="block device"):
        write_file(node, b"x")
    assert stat.S_ISBLK(node.lstat().st_mode)


def test_a_directory_and_a_socket_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="it is a directory"):
        write_file(tmp_path, b"x")
    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(OutputError, match="it is a socket"):
            write_file(sock_path, b"x")
        assert stat.S_ISSOCK(sock_path.lstat().st_mode)


def test_a_fifo_is_written_in_place_to_its_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    ready = threading.Event()

    def read() -> None:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader before the writer comes
        ready.set()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        chunks = []
        # Linux reports no hang-up on a FIFO before its first writer: poll waits for the data
        while poller.poll(10_000) and (chunk := os.read(fd, 65536)):
            chunks.append(chunk)
        os.close(fd)
        received.append(b"".join(chunks))

    reader = threading.Thread(target=read)
    reader.start()
    assert ready.wait(10)
    write_file(fifo, b"streamed")
    reader.join(10)
    assert received == [b"streamed"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_fifo_nobody_reads_is_an_error_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="no process is reading it"):
        write_file(fifo, b"x")


def test_a_user_path_through_a_symlink_replaces_the_file_it_names(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_file(link, b"new")
    assert link.is_symlink()
    assert target.read_bytes() == b"new"


@pytest.fixture
def planted(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A symlink in an output folder pointing at a file of someone else's."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    folder = tmp_path / "out"
    folder.mkdir()
    link = folder / "workload.toml"
    link.symlink_to(victim)
    yield link, victim
    assert victim.read_bytes() == b"precious"
    assert link.is_symlink()


def test_writes_in_a_folder_never_follow_a_symlink(planted: tuple[Path, Path]) -> None:
    link, _ = planted
    with pytest.raises(OutputError, match="it is a symbolic link"):
        write_in_folder(link, b"name = 'x'\n")


def test_logs_in_a_folder_never_follow_a_symlink(planted: tuple[Path, Path]) -> None:
    link, _ = planted
    with pytest.raises(OutputError, match="symbolic link"):
        open_in_folder(link)


def test_a_dangling_symlink_in_a_folder_is_refused_too(tmp_path: Path) -> None:
    link = tmp_path / "fake-host-0.log"
    link.symlink_to(tmp_path / "would-be-created")
    with pytest.raises(OutputError, match="symbolic link"):
        open_in_folder(link)
    assert not (tmp_path / "would-be-created").exists()


def test_a_fifo_in_a_folder_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "fake-host-0.log"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="FIFO"):
        open_in_folder(fifo)
    with pytest.raises(OutputError, match="FIFO"):
        write_in_folder(fifo, b"x")


def test_a_log_is_a_fresh_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "fake-host-0.log"
    path.write_bytes(b"an earlier run's lines\n")
    with open_in_folder(path) as log:
        log.write(b"this run\n")
    assert path.read_bytes() == b"this run\n"


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 KiB tmpfs mounted for the test (skips where mounting is not permitted)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_a_full_disk_keeps_the_earlier_file_and_no_temp(tiny_disk: Path) -> None:
    path = tiny_disk / "export.json"
    write_file(path, b"earlier and whole")
    with pytest.raises(OutputError, match="No space left on device"):
        write_file(path, b"x" * (64 * 1024))
    assert path.read_bytes() == b"earlier and whole"
    assert _no_temp_files(tiny_disk)
