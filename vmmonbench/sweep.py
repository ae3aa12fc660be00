"""A scaling sweep: the same configurations at several sizes, then the capacity model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vmmonbench.configuration import Configuration
from vmmonbench.errors import BadInputError, OutputError
from vmmonbench.progress import Progress
from vmmonbench.results import Results, RunStatus
from vmmonbench.run_folder import claimed_folder, refuse_earlier_results
from vmmonbench.runner import RESULTS_FILE, RunOptions, run_workload
from vmmonbench.scaling import CapacityModel, ScalingPoint, capacity_model
from vmmonbench.sweep_results import SizeRun, SweepResult
from vmmonbench.workload import Workload

SWEEP_FILE = "sweep.json"
MAX_SIZES = 20


def parse_sizes(text: str, *, option: str) -> list[int]:
    """`500,1000,2000` into sorted unique positive integers; BadInputError otherwise.

    A size given twice runs once (one folder per size): the sizes are a set.
    """
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
    # each size's results and folder, after each configuration and at the end (as a run's)
    on_results: Callable[[Results, Path], None] | None = None
    on_sweep: Callable[[SweepResult], None] | None = None  # the final sweep, while still locked
    overwrite: bool = False  # replace a sweep (and size results) already in out_dir


def size_folder(vms: int, hosts: int) -> str:
    """The folder name of one sweep point."""
    return f"h{hosts}-n{vms}"


def run_sweep(options: SweepOptions, progress: Progress) -> SweepResult:
    """Run every size in turn (stopping early on interrupt or failure) and fit the models.

    The sweep's folder is locked throughout; a sweep or size results already there are
    refused unless `options.overwrite` (before anything runs).
    """
    folders = [
        options.out_dir / size_folder(vms, hosts)
        for hosts in options.hosts
        for vms in options.sizes
    ]
    with claimed_folder(
        options.out_dir,
        results=(SWEEP_FILE,),
        scratch=(),
        outputs=("sweep.html",),
        overwrite=options.overwrite,
    ):
        for folder in folders:
            if folder.is_symlink():  # a size's folder is written into: never through a link
                raise OutputError(f"refusing to write into {folder}: it is a symbolic link")
            if not options.overwrite:
                refuse_earlier_results(folder / RESULTS_FILE)
        sweep = _run_sizes(options, progress)
        if options.on_sweep is not None:
            options.on_sweep(sweep)
        return sweep


def _run_sizes(options: SweepOptions, progress: Progress) -> SweepResult:
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
                    on_results=_for_folder(options.on_results, folder),
                    overwrite=options.overwrite,
                    stop=options.stop,
                ),
                progress,
            )
            runs.append(SizeRun(vms, hosts, f"{folder.name}/{RESULTS_FILE}", results.status))
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


def _for_folder(
    keep: Callable[[Results, Path], None] | None, folder: Path
) -> Callable[[Results], None] | None:
    if keep is None:
        return None
    return lambda results: keep(results, folder)


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
