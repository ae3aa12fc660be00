"""The report page: its sections in order, assembled with inline CSS and JS and the results data."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from vmmonbench.outputs import write_file, write_in_folder
from vmmonbench.render.links import folder_href
from vmmonbench.render.report.commands import command_waits
from vmmonbench.render.report.cpu_profile import cpu_profile
from vmmonbench.render.report.floor import floor
from vmmonbench.render.report.matrix import matrix
from vmmonbench.render.report.overview import overview
from vmmonbench.render.report.scaling import scaling
from vmmonbench.render.report.server import server_statements
from vmmonbench.render.report.statements import MAX_STATEMENT_ROWS, hot_spots, statements
from vmmonbench.render.report.study import study
from vmmonbench.render.report.timeline import timeline
from vmmonbench.render.report.view import Section, configs
from vmmonbench.render.shell import Block, render_page, safe_json
from vmmonbench.results import Results, to_builtins

EMBEDDED_NOTE = (
    "results.json without the raw per-cycle samples (runs[].cycles) and raw command lock waits "
    "(runs[].commands.waits_s), the charts were drawn from them; and with at most the "
    f"{MAX_STATEMENT_ROWS} slowest statements of each configuration (runs[].statements_count "
    "says how many there were)"
)

SECTIONS: tuple[Section, ...] = (
    Section("overview", "Run", overview),
    Section("hot-spots", "DB self time hot spots", hot_spots),
    Section("study", "The study side by side", study),
    Section("matrix", "Configuration matrix", matrix),
    Section("statements", "Statements", statements),
    Section("timeline", "Cycle durations over time", timeline),
    Section("command-waits", "Command lock waits", command_waits),
    Section("floor", "Writes against the floor", floor),
    Section("server-statements", "Server-side cross-check", server_statements),
    Section("cpu-profile", "CPU profile", cpu_profile),
    Section("scaling", "Scaling", scaling),
)


def render_report(
    results: Results, *, assets_dir: Path | None = None, report_dir: Path | None = None
) -> str:
    """The whole report as one self-contained HTML page (no external resources).

    The CPU profile files are linked, not embedded: `assets_dir` is the folder holding them
    (the results folder) and `report_dir` the folder the page will be saved in (default: the
    current folder). Without `assets_dir` the links are plain file names, for a report saved
    beside its results.
    """
    shown = configs(results)
    return render_page(
        "report.html.j2",
        kind="report",
        version=results.vmmonbench_version,
        results=results,
        configs=shown,
        blocks=[
            Block(section.id, section.title, section.template, section.build(results, shown))
            for section in SECTIONS
        ],
        assets=folder_href(assets_dir, report_dir) if assets_dir is not None else "",
        data=embedded_json(results),
    )


def write_report(
    results: Results, path: Path, *, assets_dir: Path | None = None, user_path: bool = False
) -> None:
    """Render the report and replace `path` with it atomically.

    `assets_dir`: the folder holding the results and their profile files, when the report is
    written elsewhere (`vmmonbench report RESULTS -o OTHER.html`); links then lead there.
    `user_path`: the user named `path` (written like a shell redirection); otherwise it is a
    file of a results folder, never written through a symlink.
    """
    html = render_report(results, assets_dir=assets_dir, report_dir=path.parent)
    (write_file if user_path else write_in_folder)(path, html.encode("utf-8"))


def embedded_json(results: Results) -> Markup:
    """The results (without raw samples) as JSON that cannot end the `<script>` holding it."""
    data = to_builtins(results)
    data["embedded"] = EMBEDDED_NOTE
    for run in data["runs"]:
        run["cycles_count"] = len(run.pop("cycles"))
        run["commands"].pop("waits_s")
        statements = sorted(run["statements"], key=lambda s: s["total_s"], reverse=True)
        run["statements_count"] = len(statements)
        run["statements"] = statements[:MAX_STATEMENT_ROWS]
    return safe_json(data)
