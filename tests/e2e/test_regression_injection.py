"""An injected regression is caught: the real `vmmonbench run smoke`, with one optimization off."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.processes import run_to_results
from vmmonbench.compare import compare, exit_code
from vmmonbench.configuration import Optimization
from vmmonbench.errors import EXIT_FAILED
from vmmonbench.results import Results

AXES = ["--mode", "per-vm-lock", "--mode", "event-plus-stats"]


def _run_smoke(out: Path, optimizations: list[str]) -> Results:
    exe = shutil.which("vmmonbench")
    command = [exe] if exe else [sys.executable, "-m", "vmmonbench"]
    options = [arg for name in optimizations for arg in ("--optimization", name)]
    return run_to_results([*command, "run", "smoke", "--duration", "30s", *AXES, *options], out)


@pytest.mark.slow
def test_losing_the_dynamic_updates_optimization_fails_the_default_gate(tmp_path: Path) -> None:
    # the same configuration label would come from a code change; here the optimization is
    # switched off instead, and compare pairs the one unmatched configuration on each side
    without = [o.value for o in Optimization if o is not Optimization.DYNAMIC_UPDATES]
    base = _run_smoke(tmp_path / "all", ["all"])
    new = _run_smoke(tmp_path / "without", without)
    comparison = compare(base, new, base_name="all.json", new_name="without.json")
    assert exit_code(comparison) == EXIT_FAILED
    assert any("compared per-vm-lock+event-plus-stats+4.1" in n for n in comparison.notes)
    named = [c.explanation for c in comparison.failures if "UpdateVmDynamic" in c.subject]
    assert named, [c.explanation for c in comparison.failures]
    # its calls per cycle (a count) and, on PostgreSQL, the work they did
    assert any(" exceeds +0" in line for line in named), named
    assert all(line.endswith((" exceeds +0", " exceeds +5%")) for line in named), named
    assert all(line.startswith("per-vm-lock+event-plus-stats+vm-numa-skip,") for line in named)
