"""After a run: the summary of headline figures per configuration, hot spots, divergences."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from vmmonbench import units
from vmmonbench.figures import View, shown_in
from vmmonbench.render.selection import legacy_and_optimized
from vmmonbench.render.terminal.fit import fits, fitted
from vmmonbench.render.terminal.labels import LEGEND, custom_sets, header
from vmmonbench.render.terminal.study import study_table
from vmmonbench.render.terminal.untrusted import lines, plain
from vmmonbench.result_records import StatementRecord
from vmmonbench.results import Results, RunResult

TOP_STATEMENTS = 10
FIGURE_MIN_WIDTH = 14  # figure names wrap down to this
LABEL_MIN_WIDTH = 26  # statement labels: narrower than this, the two designs go one above the other


def summary_tables(results: Results, console: Console) -> list[Table]:
    """The terminal figures (rows) of every configuration (columns), as many per table as fit."""
    title = plain(f"vmmonbench: {results.workload_name} ({results.status})", style="bold")

    def build(runs: Sequence[RunResult]) -> Table:
        table = _table(title)
        table.add_column("figure", overflow="fold", min_width=FIGURE_MIN_WIDTH)
        for run in runs:
            table.add_column(lines(header(run.label)), justify="right", no_wrap=True)
        for figure in shown_in(View.TERMINAL):
            table.add_row(figure.title, *(figure.of(run) for run in runs))
        return table

    return fitted(console, results.runs, build) if results.runs else []


def hot_spots_tables(results: Results, console: Console) -> list[Table]:
    """Top statements by self time, the 3.6 design beside the 4.1 design (the study's Figures 1
    and 2); one above the other when the terminal is too narrow for both with whole labels."""
    legacy, optimized = legacy_and_optimized(results)
    runs = [run for run in (legacy, optimized) if run is not None]
    if not runs:
        return []
    title = Text("DB self time hot spots (top statements)", style="bold")
    side_by_side = _hot_spots(title, runs)
    if len(runs) == 1 or fits(console, side_by_side, whole=True):
        return [side_by_side]
    return [_hot_spots(title, [run]) for run in runs]


def _hot_spots(title: Text, runs: Sequence[RunResult]) -> Table:
    # the server's DB work (blocks accessed) beside the time, where the database counted it
    worked = any(s.blocks is not None for run in runs for s in run.statements)
    table = _table(title)
    for run in runs:
        longest = max((len(s.label) for s in run.statements), default=0)
        table.add_column(
            plain(run.label), overflow="fold", ratio=1, min_width=min(longest, LABEL_MIN_WIDTH)
        )
        table.add_column("self time", justify="right", no_wrap=True)
        table.add_column("calls", justify="right", no_wrap=True)
        if worked:
            table.add_column("blocks", justify="right", no_wrap=True)
    columns = [_top(run) for run in runs]
    for index in range(max(len(column) for column in columns)):
        cells: list[RenderableType] = []
        for column in columns:
            if index < len(column):
                entry = column[index]
                cells += [
                    plain(entry.label),
                    units.seconds(entry.total_s),
                    units.count(entry.calls),
                ]
                cells += [units.count(entry.blocks)] if worked else []
            else:
                cells += [""] * (4 if worked else 3)
        table.add_row(*cells)
    return table


def _top(run: RunResult) -> list[StatementRecord]:
    return sorted(run.statements, key=lambda s: s.total_s, reverse=True)[:TOP_STATEMENTS]


def _table(title: Text) -> Table:
    return Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, title_justify="left")


def print_results(results: Results, console: Console) -> None:
    """The summary tables and their legend, the hot spots, the study beside the run, the
    results' notes (e.g. that SQLite's per-call costs are not a server's), then any
    consistency problems."""
    for table in summary_tables(results, console):
        console.print(table)
    for line in (LEGEND, *custom_sets(results.runs)):
        console.print(plain(line, style="dim"))
    for table in hot_spots_tables(results, console):
        console.print(table)
    study = study_table(results)
    if study is not None:
        console.print(study)
    for note in results.notes:
        console.print(plain(f"note: {note}", style="yellow"))
    for run in results.runs:
        consistency = run.consistency
        if consistency.divergent_vms:
            example = consistency.examples[0] if consistency.examples else ""
            line = f"{run.label}: {consistency.divergent_vms} VMs diverge, e.g. {example}"
            console.print(plain(line, style="yellow"))
