"""A scaling sweep: the same configurations at several sizes, then the capacity model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vmmonbench.configuration import Configuration
from vmmonbench.errors import BadInputError
from vmmonbench.progress import Progress
from vmmonbench.results import Results, RunStatus
from vmmonbench.runner import RunOptions, run_workload
from vmmonbench.scaling import CapacityModel, ScalingPoint, capacity_model
from vmmonbench.sweep_results import SizeRun, SweepResult
from vmmonbench.workload import Workload

MAX_SIZES = 20


def parse_sizes(text: str, *, option: str) -> list[int]:
    """`500,1000,2000` into sorted unique positive integers; BadInputError otherwise."""
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise BadInputError(f"{option} takes comma-separated whole numbers, got {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise BadInputError(f"{option} needs positive numbers, got {text!r}")
    if len(sizes) > MAX_SIZES:
        raise BadInputError(f"{option} takes at most {MAX_SIZES} sizes")
    return sizes


@dataclass(slots=True)
class SweepOptions:
    """What to sweep: a base workload, VMs per host and host counts, the configurations."""

    workload: Workload
    sizes: list[int]
    hosts: list[int]
    configurations: list[Configuration]
    out_dir: Path
    db_url: str | None = None
    monitoring_threads: int = 10
    stop: threading.Event = field(default_factory=threading.Event)
    on_results: Callable[[Results, Path], None] | None = None  # each size's results and folder


def size_folder(vms: int, hosts: int) -> str:
    """The folder name of one sweep point."""
    return f"h{hosts}-n{vms}"


def run_sweep(options: SweepOptions, progress: Progress) -> SweepResult:
    """Run every size in turn (stopping early on interrupt or failure) and fit the models."""
    runs: list[SizeRun] = []
    status, failure = RunStatus.COMPLETE, None
    points: dict[tuple[str, int], list[ScalingPoint]] = {}
    total = len(options.sizes) * len(options.hosts)
    number = 0
    for hosts in options.hosts:
        for vms in options.sizes:
            number += 1
            if options.stop.is_set():
                break
            workload = options.workload.with_overrides(vms=vms, hosts=hosts)
            folder = options.out_dir / size_folder(vms, hosts)
            progress.message(f"sweep {number}/{total}: {vms} VMs x {hosts} hosts -> {folder}")
            results = run_workload(
                RunOptions(
                    workload=workload,
                    configurations=options.configurations,
                    out_dir=folder,
                    db_url=options.db_url,
                    monitoring_threads=options.monitoring_threads,
                    stop=options.stop,
                ),
                progress,
            )
            if options.on_results is not None:
                options.on_results(results, folder)
            runs.append(SizeRun(vms, hosts, f"{folder.name}/results.json", results.status))
            _collect(results, vms, hosts, points)
            if results.status == RunStatus.FAILED:
                status, failure = RunStatus.FAILED, results.failure
                options.stop.set()
    if options.stop.is_set() and status == RunStatus.COMPLETE:
        status = RunStatus.INTERRUPTED
    return SweepResult(
        workload=options.workload.to_dict(),
        sizes=tuple(options.sizes),
        hosts=tuple(options.hosts),
        runs=tuple(runs),
        models=tuple(models_of(points)),
        status=status,
        failure=failure,
    )


def _collect(
    results: Results, vms: int, hosts: int, points: dict[tuple[str, int], list[ScalingPoint]]
) -> None:
    for run in results.runs:
        if run.status != RunStatus.COMPLETE or not run.summary.cycles.stats:
            continue
        s = run.summary
        points.setdefault((run.label, hosts), []).append(
            ScalingPoint(
                vms=vms,
                hosts=hosts,
                stats_cycle_s=s.stats_cycle_s,
                db_time_per_stats_cycle_s=s.db_time_per_stats_cycle_s,
                statements_per_stats_cycle=s.statements_per_stats_cycle,
                utilization=s.utilization,
                effective_stats_period_s=s.effective_stats_period_s,
            )
        )


def models_of(points: dict[tuple[str, int], list[ScalingPoint]]) -> Sequence[CapacityModel]:
    """One capacity model per configuration and host count."""
    return [capacity_model(label, hosts, pts) for (label, hosts), pts in points.items()]
