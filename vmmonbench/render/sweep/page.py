"""The sweep page: capacity model, cost plots against VMs per host, links to every size's report."""

from __future__ import annotations

from pathlib import Path

import msgspec

from vmmonbench.configuration import STATS_DELAY_S
from vmmonbench.outputs import write_in_folder
from vmmonbench.render.links import folder_href
from vmmonbench.render.shell import Block, render_page, safe_json
from vmmonbench.render.sweep.charts import plots
from vmmonbench.render.sweep.styles import drawn
from vmmonbench.render.sweep.tables import (
    CAPACITY_COLUMNS,
    capacity_rows,
    measured_rows,
    size_runs,
)
from vmmonbench.scaling import UTILIZATION_LIMIT
from vmmonbench.sweep_results import SweepResult


def render_sweep(
    sweep: SweepResult, *, assets_dir: Path | None = None, page_dir: Path | None = None
) -> str:
    """A sweep as one self-contained HTML page (no external resources).

    Each size's report and results are linked, not embedded: `assets_dir` is the sweep's
    folder and `page_dir` the folder the page will be saved in (default: the current folder).
    Without `assets_dir` the links are relative to the sweep's folder, for a page saved there.
    """
    models = drawn(sweep.models)
    prefix = folder_href(assets_dir, page_dir) if assets_dir is not None else ""
    blocks = [
        Block(
            "capacity",
            "Capacity model",
            "sweep/capacity.html.j2",
            {"rows": capacity_rows(models), "columns": CAPACITY_COLUMNS},
        ),
        Block(
            "plots",
            "Cost against VMs per host",
            "sweep/plots.html.j2",
            {"plots": plots(models), "measured": measured_rows(models)},
        ),
        Block("sizes", "Sizes run", "sweep/sizes.html.j2", {"runs": size_runs(sweep, prefix)}),
    ]
    return render_page(
        "sweep.html.j2",
        kind="sweep",
        version=sweep.vmmonbench_version,
        sweep=sweep,
        workload=sweep.parameters,
        labels=list(dict.fromkeys(m.label for m in sweep.models)),
        interval_s=STATS_DELAY_S,
        utilization_limit=UTILIZATION_LIMIT,
        blocks=blocks,
        assets=prefix,
        data=safe_json(msgspec.to_builtins(sweep)),
    )


def write_sweep_report(sweep: SweepResult, path: Path, *, assets_dir: Path | None = None) -> None:
    """Render the sweep page and replace `path` (a file of the sweep's folder) atomically.

    `assets_dir`: the sweep's folder, when the page is written elsewhere; links then lead there.
    """
    html = render_sweep(sweep, assets_dir=assets_dir, page_dir=path.parent)
    write_in_folder(path, html.encode("utf-8"))
