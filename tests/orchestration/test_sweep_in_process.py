"""A scaling sweep in the test's own process: two sizes, capacity models, sweep.json, the page.

The sweep starts its own fake-host processes for each size, as `vmmonbench sweep` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vmmonbench.configuration import select_configurations
from vmmonbench.render.html import render_sweep
from vmmonbench.result_records import RunStatus
from vmmonbench.results import Results
from vmmonbench.sweep import SweepOptions, run_sweep
from vmmonbench.sweep_results import SweepResult
from vmmonbench.workload import load_workload

LABELS = ["per-vm-lock+event-plus-stats+3.6", "per-vm-lock+event-plus-stats+4.1"]


class Silent:
    """Progress that keeps the sweep's own messages."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def configuration_started(self, label: str, number: int, total: int, duration_s: float) -> None:
        """Nothing."""

    def update(self, simulated_s: float, stats_cycles: int) -> None:
        """Nothing."""

    def configuration_done(self, result: object) -> None:
        """Nothing."""

    def message(self, text: str) -> None:
        self.messages.append(text)


@pytest.mark.slow
def test_a_sweep_of_two_sizes_fits_a_model_per_configuration(tmp_path: Path) -> None:
    kept: list[tuple[int, str]] = []

    def keep(results: Results, folder: Path) -> None:
        kept.append((results.workload["vms"], folder.name))

    progress = Silent()
    options = SweepOptions(
        workload=load_workload("gate").with_overrides(duration_s=35.0),
        sizes=[10, 20],
        hosts=[1],
        configurations=select_configurations(["per-vm-lock", "event-plus-stats"], ["all"]),
        out_dir=tmp_path,
        on_results=keep,
    )
    sweep = run_sweep(options, progress)
    assert sweep.status is RunStatus.COMPLETE
    # each size's results after each of its configurations, then once more at its end
    per_size = len(LABELS) + 1
    assert kept == [(10, "h1-n10")] * per_size + [(20, "h1-n20")] * per_size
    assert progress.messages[0] == f"sweep 1/2: 10 VMs x 1 hosts -> {tmp_path / 'h1-n10'}"
    assert [model.label for model in sweep.models] == LABELS
    for model in sweep.models:
        assert [point.vms for point in model.points] == [10, 20]
        assert model.processing is not None
        assert model.statements is not None
        # statements per statistics cycle grow with the VMs: the 3.6 design per VM, 4.1 in batches
        assert (
            model.points[1].statements_per_stats_cycle > model.points[0].statements_per_stats_cycle
        )
    legacy, optimized = sweep.models
    assert legacy.statements is not None
    assert optimized.statements is not None
    assert optimized.statements.per_vm < legacy.statements.per_vm
    path = tmp_path / "sweep.json"
    sweep.save(path)
    assert SweepResult.load(path) == sweep
    page = render_sweep(sweep)
    assert all(label in page for label in LABELS)
