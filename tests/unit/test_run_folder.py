"""An output folder owned by one run: the lock, earlier results, scratch files of dead runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from vmmonbench.errors import FolderBusyError, OutputError
from vmmonbench.run_folder import LOCK_FILE, claimed_folder

RESULTS = ("results.json",)
SCRATCH = (".fake-hosts.toml", ".template.db*")


def claim(folder: Path, **options: Any) -> None:
    """Claim the folder for an empty run and give it back."""
    with claimed_folder(folder, results=RESULTS, scratch=SCRATCH, **options):
        pass


def test_a_second_claim_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    with (
        claimed_folder(tmp_path, results=RESULTS, scratch=SCRATCH),
        pytest.raises(FolderBusyError, match=f"another vmmonbench run \\(pid {os.getpid()}\\)"),
        claimed_folder(tmp_path, results=RESULTS, scratch=SCRATCH),
    ):
        pass
    # released and removed: the next claim is free
    assert not (tmp_path / LOCK_FILE).exists()
    with claimed_folder(tmp_path, results=RESULTS, scratch=SCRATCH):
        pass


HOLDER = """
import sys
from pathlib import Path
from vmmonbench.run_folder import claimed_folder

folder = Path(sys.argv[1])
with claimed_folder(folder, results=(), scratch=(".fake-hosts.toml",)):
    (folder / ".fake-hosts.toml").write_text("left behind")
    print("held", flush=True)
    sys.stdin.read()  # until killed
"""


def test_a_sigkilled_holder_never_blocks_the_next_run(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        _kill_while_holding(holder, tmp_path)
    assert (tmp_path / ".fake-hosts.toml").exists()  # what the killed run left
    with claimed_folder(tmp_path, results=RESULTS, scratch=SCRATCH):
        assert not (tmp_path / ".fake-hosts.toml").exists()  # cleaned before this run starts


def _kill_while_holding(holder: subprocess.Popen[str], folder: Path) -> None:
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderBusyError, match=f"pid {holder.pid}"):
            claim(folder)
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def _crash_leaving_scratch(folder: Path) -> None:
    with claimed_folder(folder, results=RESULTS, scratch=SCRATCH):
        (folder / ".template.db").write_bytes(b"x")
        (folder / ".template.db-wal").write_bytes(b"x")
        (folder / ".results.json.0a1b2c3d.tmp").write_bytes(b"half")
        raise RuntimeError("a bug")


def test_scratch_files_go_on_every_exit_path(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="a bug"):
        _crash_leaving_scratch(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_scratch_removal_never_follows_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("precious")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / ".template.db").symlink_to(victim)
    with claimed_folder(folder, results=RESULTS, scratch=SCRATCH):
        assert not (folder / ".template.db").is_symlink()
    assert (victim / "keep").read_text() == "precious"


def test_measured_results_are_refused_unless_overwrite(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(
        '{"format_version": 1, "created": "2026-12-01T10:00:00+00:00", "status": "complete",'
        ' "runs": [{"label": "x"}]}'
    )
    with pytest.raises(FolderBusyError) as refused:
        claim(tmp_path)
    message = refused.value.message
    assert "already holds results (status complete, created 2026-12-01T10:00:00+00:00)" in message
    assert "--overwrite" in message
    claim(tmp_path, overwrite=True)
    assert results.exists()  # overwrite lets the run replace it; claiming alone deletes nothing


def test_results_without_a_single_run_may_be_replaced(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text('{"format_version": 1, "status": "failed", "runs": []}')
    claim(tmp_path)


def test_a_file_that_is_not_results_is_not_ours_to_replace(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text("my notes, not JSON")
    with pytest.raises(FolderBusyError, match="already holds results"):
        claim(tmp_path)


def test_a_symlink_where_an_output_goes_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "workload.toml").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutputError, match=r"workload\.toml: it is a symbolic link"):
        claim(tmp_path, outputs=["workload.toml"])


def test_a_symlinked_lock_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).symlink_to(tmp_path / "target")
    with pytest.raises(OutputError, match="symbolic link"):
        claim(tmp_path)
    assert not (tmp_path / "target").exists()


def test_a_folder_that_cannot_be_made_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OutputError, match="cannot write to output folder"):
        claim(tmp_path / "a-file" / "sub")


def test_a_folder_the_claim_made_goes_again_if_nothing_was_written(tmp_path: Path) -> None:
    claim(tmp_path / "new")
    assert not (tmp_path / "new").exists()
    with claimed_folder(tmp_path / "used", results=RESULTS, scratch=SCRATCH):
        (tmp_path / "used" / "results.json").write_text("{}")
    assert (tmp_path / "used" / "results.json").exists()
