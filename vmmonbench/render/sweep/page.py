"""The sweep page: capacity model, cost plots against VMs per host, links to every size's report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vmmonbench import __version__
from vmmonbench.configuration import STATS_DELAY_S
from vmmonbench.outputs import write_in_folder
from vmmonbench.render.links import folder_href
from vmmonbench.render.shell import Block, render_page, safe_json
from vmmonbench.render.sweep.charts import plots
from vmmonbench.render.sweep.models import models
from vmmonbench.render.sweep.tables import (
    CAPACITY_COLUMNS,
    capacity_rows,
    measured_rows,
    size_runs,
)
from vmmonbench.scaling import UTILIZATION_LIMIT


def render_sweep(
    sweep: Mapping[str, Any], *, assets_dir: Path | None = None, page_dir: Path | None = None
) -> str:
    """A sweep (sweep.json's data) as one self-contained HTML page (no external resources).

    Each size's report and results are linked, not embedded: `assets_dir` is the sweep's
    folder and `page_dir` the folder the page will be saved in (default: the current folder).
    Without `assets_dir` the links are relative to the sweep's folder, for a page saved there.
    """
    drawn = models(sweep)
    prefix = folder_href(assets_dir, page_dir) if assets_dir is not None else ""
    workload = sweep.get("workload")
    blocks = [
        Block(
            "capacity",
            "Capacity model",
            "sweep/capacity.html.j2",
            {"rows": capacity_rows(drawn), "columns": CAPACITY_COLUMNS},
        ),
        Block(
            "plots",
            "Cost against VMs per host",
            "sweep/plots.html.j2",
            {"plots": plots(drawn), "measured": measured_rows(drawn)},
        ),
        Block("sizes", "Sizes run", "sweep/sizes.html.j2", {"runs": size_runs(sweep, prefix)}),
    ]
    return render_page(
        "sweep.html.j2",
        kind="sweep",
        version=str(sweep.get("vmmonbench_version") or __version__),
        sweep=sweep,
        workload=workload if isinstance(workload, Mapping) else {},
        labels=list(dict.fromkeys(m.label for m in drawn)),
        interval_s=STATS_DELAY_S,
        utilization_limit=UTILIZATION_LIMIT,
        blocks=blocks,
        assets=prefix,
        data=safe_json(sweep),
    )


def write_sweep_report(
    sweep: Mapping[str, Any], path: Path, *, assets_dir: Path | None = None
) -> None:
    """Render the sweep page and replace `path` (a file of the sweep's folder) atomically.

    `assets_dir`: the sweep's folder, when the page is written elsewhere; links then lead there.
    """
    html = render_sweep(sweep, assets_dir=assets_dir, page_dir=path.parent)
    write_in_folder(path, html.encode("utf-8"))
