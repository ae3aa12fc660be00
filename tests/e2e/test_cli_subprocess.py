"""The real `vmmonbench` entry point, run as a subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys


def _vmmonbench() -> list[str]:
    exe = shutil.which("vmmonbench")
    return [exe] if exe else [sys.executable, "-m", "vmmonbench"]


def test_help_lists_every_contract_command() -> None:
    done = subprocess.run(
        [*_vmmonbench(), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    for command in ("run", "fake-host", "compare", "report", "sweep"):
        assert command in done.stdout


def test_non_numeric_vms_is_one_line_and_exit_2() -> None:
    done = subprocess.run(
        [*_vmmonbench(), "run", "--vms", "abc"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "--vms" in lines[0]
    assert "Traceback" not in done.stderr


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vmmonbench", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert "fake-host" in done.stdout
