"""The configuration matrix: one row per configuration, headline metrics, best cells, problems."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from vmmonbench.configuration import STATS_DELAY_S
from vmmonbench.render import format as fmt
from vmmonbench.render.report.view import Config, text
from vmmonbench.render.shell import decimal
from vmmonbench.results import Results, RunResult


@dataclass(frozen=True, slots=True)
class Metric:
    """A matrix column: how to read and write it from a run, and which direction is better."""

    name: str
    help: str
    value: Callable[[RunResult], float | None]
    text: Callable[[float | None], str]
    better: Literal["lower", "higher"] | None = "lower"


@dataclass(frozen=True, slots=True)
class Cell:
    """One matrix cell; `best` marks the best value of its column."""

    text: str
    value: float | None
    best: bool


def _consistency(key: str) -> Callable[[RunResult], float | None]:
    def read(run: RunResult) -> float | None:
        if not run.consistency.get("checked"):
            return None
        value = run.consistency.get(key)
        return float(value) if isinstance(value, int | float) else None

    return read


def _command_wait_p99(run: RunResult) -> float | None:
    return run.summary.command_wait_p99_s if run.commands.get("count") else None


def _count_or_na(value: float | None) -> str:
    return "n/a" if value is None else fmt.count(value)


METRICS: tuple[Metric, ...] = (
    Metric(
        "statistics cycles",
        "statistics cycles completed (all hosts)",
        lambda r: float(r.summary.cycles.get("stats", 0)),
        fmt.count,
        better=None,
    ),
    Metric(
        "DB time / stats cycle",
        "mean DB self time of one statistics cycle",
        lambda r: r.summary.db_time_per_stats_cycle_s,
        fmt.seconds,
    ),
    Metric(
        "statements / stats cycle",
        "mean statements executed by one statistics cycle",
        lambda r: r.summary.statements_per_stats_cycle,
        decimal,
    ),
    Metric(
        "utilization",
        "monitoring busy time / (simulated time x hosts)",
        lambda r: r.summary.utilization,
        fmt.percent,
    ),
    Metric(
        "effective stats period",
        f"mean time between statistics cycle starts (nominal {STATS_DELAY_S:g} s, fixed delay)",
        lambda r: r.summary.effective_stats_period_s,
        fmt.seconds,
    ),
    Metric(
        "command wait p99",
        "99th percentile of the time commands waited for their lock",
        _command_wait_p99,
        fmt.seconds,
    ),
    Metric(
        "VMs skipped",
        "VMs a cycle skipped because a command held their lock",
        lambda r: float(r.summary.vms_skipped),
        fmt.count,
    ),
    Metric(
        "cycles skipped",
        "host cycles skipped because a command held the host lock",
        lambda r: float(r.summary.cycles_skipped),
        fmt.count,
    ),
    Metric(
        "divergent VMs",
        "VMs whose DB state differs from the host's truth at the end (0 when healthy)",
        _consistency("divergent_vms"),
        _count_or_na,
    ),
    Metric(
        "divergent before settle",
        "divergent VMs right after the inputs stopped, before the settling cycle",
        _consistency("divergent_before_settle"),
        _count_or_na,
    ),
    Metric(
        "failed cycles",
        "cycles that ended with an error",
        lambda r: float(r.summary.failed_cycles),
        fmt.count,
    ),
)


def best_flags(
    values: Sequence[float | None], better: Literal["lower", "higher"] | None
) -> list[bool]:
    """Which values are the best of their column; none when all known values are equal."""
    known = [v for v in values if v is not None]
    if better is None or len(set(known)) < 2:
        return [False] * len(values)
    target = min(known) if better == "lower" else max(known)
    return [v is not None and v == target for v in values]


def matrix(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Each configuration's row of METRICS, the best cell of each column marked, and problems."""
    columns = []
    for metric in METRICS:
        values = [metric.value(config.run) for config in configs]
        flags = best_flags(values, metric.better)
        columns.append(
            [Cell(metric.text(v), v, best) for v, best in zip(values, flags, strict=True)]
        )
    rows = [(config, [column[i] for column in columns]) for i, config in enumerate(configs)]
    return {"metrics": METRICS, "rows": rows, "problems": problems(configs)}


def problems(configs: Sequence[Config]) -> list[tuple[Config, list[str]]]:
    """What went wrong per configuration: errors, divergent VMs, failed commands and hosts."""
    found = []
    for config in configs:
        run = config.run
        notes = [f"run {run.status}: {run.error}"] if run.error else []
        consistency = run.consistency
        if consistency.get("divergent_vms"):
            notes += [f"divergent VM {example}" for example in consistency.get("examples") or []]
        if not consistency.get("checked") and consistency.get("reason"):
            notes.append(f"consistency not checked: {consistency['reason']}")
        notes += [f"settle cycle failed: {text(f)}" for f in consistency.get("settle_failed") or []]
        notes += [f"command error: {text(e)}" for e in run.commands.get("errors") or []]
        notes += [f"fake host: {text(f)}" for f in run.world.get("failures") or []]
        if notes:
            found.append((config, notes))
    return found
