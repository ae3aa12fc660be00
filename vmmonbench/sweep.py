"""A scaling sweep: the same configurations at several sizes, then the capacity model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from vmmonbench import __version__
from vmmonbench.configuration import Configuration
from vmmonbench.errors import BadInputError, OutputError
from vmmonbench.outputs import write_in_folder
from vmmonbench.progress import Progress
from vmmonbench.results import Results, RunStatus
from vmmonbench.run_folder import claimed_folder, refuse_earlier_results
from vmmonbench.runner import RESULTS_FILE, RunOptions, run_workload
from vmmonbench.scaling import CapacityModel, ScalingPoint, capacity_model
from vmmonbench.workload import Workload

SWEEP_FORMAT_VERSION = 1
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


@dataclass(slots=True)
class SweepResult:
    """Every size's run (a results.json each) and the fitted capacity models."""

    workload: dict[str, Any]
    sizes: list[int]
    hosts: list[int]
    runs: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    status: str = RunStatus.COMPLETE
    failure: str | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    vmmonbench_version: str = __version__
    format_version: int = SWEEP_FORMAT_VERSION

    def save(self, path: Path) -> None:
        """Atomic JSON write into the sweep's folder, never through a symlink."""
        write_in_folder(path, orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2))


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
    sweep = SweepResult(
        workload=options.workload.to_dict(), sizes=options.sizes, hosts=options.hosts
    )
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
            sweep.runs.append(
                {
                    "vms": vms,
                    "hosts": hosts,
                    "results": f"{folder.name}/{RESULTS_FILE}",
                    "status": results.status,
                }
            )
            _collect(results, vms, hosts, points)
            if results.status == RunStatus.FAILED:
                sweep.status = RunStatus.FAILED
                sweep.failure = results.failure
                options.stop.set()
    if options.stop.is_set() and sweep.status == RunStatus.COMPLETE:
        sweep.status = RunStatus.INTERRUPTED
    sweep.models = [model.to_dict() for model in models_of(points)]
    return sweep


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
        if run.status != RunStatus.COMPLETE or not run.summary.cycles.get("stats"):
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
