"""Terminal output: the per-configuration summary table, hot spots, and run progress."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from vmmonbench.render import format as fmt
from vmmonbench.render.selection import legacy_and_optimized
from vmmonbench.results import Results, RunResult

TOP_STATEMENTS = 10
PLAIN_UPDATE_EVERY_S = 5.0


def summary_table(results: Results) -> Table:
    """One row per configuration with the headline figures."""
    table = Table(title=f"vmmonbench: {results.workload.get('name')} ({results.status})")
    for header in (
        "configuration",
        "stats cycles",
        "eff. period",
        "DB time / stats cycle",
        "stmts / stats cycle",
        "rows written",
        "RPC bytes",
        "util.",
        "VMs / cycles skipped",
        "cmd wait p99",
        "divergent VMs",
    ):
        if header == "configuration":
            table.add_column(header, justify="left", no_wrap=True)
        else:
            table.add_column(header, justify="right")
    for run in results.runs:
        s = run.summary
        consistency = run.consistency
        divergent = (
            fmt.count(consistency.get("divergent_vms")) if consistency.get("checked") else "n/a"
        )
        table.add_row(
            run.label,
            fmt.count(s.cycles.get("stats", 0)),
            fmt.seconds(s.effective_stats_period_s),
            fmt.seconds(s.db_time_per_stats_cycle_s),
            fmt.count(round(s.statements_per_stats_cycle, 1)),
            fmt.count(s.rows_written),
            fmt.size(s.rpc_bytes),
            fmt.percent(s.utilization),
            f"{fmt.count(s.vms_skipped)} / {fmt.count(s.cycles_skipped)}",
            fmt.seconds(s.command_wait_p99_s),
            divergent,
        )
    return table


def hot_spots_table(results: Results, limit: int = TOP_STATEMENTS) -> Table | None:
    """Top statements by self time, the 3.6 design beside the 4.1 design (Figure 1 vs 2)."""
    legacy, optimized = legacy_and_optimized(results)
    runs = [run for run in (legacy, optimized) if run is not None]
    if not runs:
        return None
    table = Table(title="DB self time hot spots (top statements)")
    for run in runs:
        table.add_column(f"{run.label}", justify="left")
        table.add_column("self time", justify="right")
        table.add_column("calls", justify="right")
    columns = [_top(run, limit) for run in runs]
    for index in range(max(len(c) for c in columns)):
        cells: list[str] = []
        for column in columns:
            if index < len(column):
                entry = column[index]
                cells += [
                    str(entry["label"]),
                    fmt.seconds(entry["total_s"]),
                    fmt.count(entry["calls"]),
                ]
            else:
                cells += ["", "", ""]
        table.add_row(*cells)
    return table


def _top(run: RunResult, limit: int) -> list[dict[str, Any]]:
    return sorted(run.statements, key=lambda s: s.get("total_s", 0.0), reverse=True)[:limit]


def print_results(results: Results, console: Console) -> None:
    """The summary table, then the hot spots side by side, then any consistency problems."""
    console.print(summary_table(results))
    hot = hot_spots_table(results)
    if hot is not None:
        console.print(hot)
    for run in results.runs:
        examples = run.consistency.get("examples") or []
        if run.consistency.get("divergent_vms"):
            console.print(
                f"[yellow]{run.label}: {run.consistency['divergent_vms']} VMs diverge, e.g. "
                f"{examples[0] if examples else ''}[/yellow]"
            )


class TerminalProgress:
    """A rich progress bar per configuration on a terminal; plain lines otherwise (CI logs)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._label = ""
        self._started = 0.0
        self._last_line = 0.0

    def configuration_started(self, label: str, number: int, total: int, duration_s: float) -> None:
        """Open a bar (or print a line) for the configuration."""
        self._label = f"[{number}/{total}] {label}"
        self._started = time.monotonic()
        if self.live:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn(
                    "{task.fields[cycles]} stats cycles, {task.completed:.0f}/{task.total:.0f} s"
                ),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._label, total=duration_s, cycles=0)
        else:
            self._last_line = time.monotonic()
            self.console.print(f"{self._label}: started ({duration_s:g} s simulated)")

    def update(self, simulated_s: float, stats_cycles: int) -> None:
        """Move the bar (or print a line every 10 s of wall time)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=simulated_s, cycles=stats_cycles)
        elif time.monotonic() - self._last_line >= PLAIN_UPDATE_EVERY_S:
            self._last_line = time.monotonic()
            self.console.print(
                f"{self._label}: {simulated_s:.0f} s simulated, {stats_cycles} statistics cycles"
            )

    def configuration_done(self, result: RunResult) -> None:
        """Close the bar and print one line."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        s = result.summary
        self.console.print(
            f"{self._label}: {result.status}, {s.cycles.get('stats', 0)} statistics cycles, "
            f"{fmt.seconds(s.db_time_per_stats_cycle_s)} DB time per cycle, "
            f"{time.monotonic() - self._started:.1f} s wall"
        )

    def message(self, text: str) -> None:
        """Print a note."""
        self.console.print(text)


def scaling_table(models: list[dict[str, Any]]) -> Table:
    """Per configuration and host count: fitted costs and projected saturation points."""
    table = Table(title="Capacity model (fits over VMs per host)")
    for header in (
        "configuration",
        "hosts",
        "sizes",
        "processing / VM",
        "fixed",
        "DB time / VM",
        "stmts / VM",
        "saturates at (15 s cycle)",
        "50 % utilization at",
    ):
        table.add_column(header, justify="left" if header == "configuration" else "right")
    for model in sorted(models, key=lambda m: (m["hosts"], m["label"])):
        processing = model.get("processing") or {}
        db_time = model.get("db_time") or {}
        statements = model.get("statements") or {}
        table.add_row(
            model["label"],
            str(model["hosts"]),
            ",".join(str(p["vms"]) for p in model["points"]),
            fmt.seconds(processing.get("per_vm")),
            fmt.seconds(processing.get("fixed")),
            fmt.seconds(db_time.get("per_vm")),
            fmt.count(round(statements.get("per_vm", 0.0), 2)) if statements else "-",
            _vms(model.get("saturation_vms")),
            _vms(model.get("half_utilization_vms")),
        )
    return table


def _vms(value: float | None) -> str:
    return "not reached" if value is None else f"{value:,.0f} VMs"
