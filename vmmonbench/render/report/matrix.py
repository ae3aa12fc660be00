"""The configuration matrix: a row per configuration, its headline figures, best cells, problems."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vmmonbench.figures import Better, View, shown_in
from vmmonbench.render.report.view import Config
from vmmonbench.results import Results


@dataclass(frozen=True, slots=True)
class Cell:
    """One matrix cell; `best` marks the best value of its column."""

    text: str
    value: float | None
    best: bool


def best_flags(values: Sequence[float | None], better: Better | None) -> list[bool]:
    """Which values are the best of their column; none when all known values are equal."""
    known = [v for v in values if v is not None]
    if better is None or len(set(known)) < 2:
        return [False] * len(values)
    target = min(known) if better is Better.LOWER else max(known)
    return [v is not None and v == target for v in values]


def matrix(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Each configuration's row of the matrix figures, the best cell of each column marked."""
    shown = shown_in(View.MATRIX)
    columns = []
    for figure in shown:
        values = [figure.value(config.run) for config in configs]
        flags = best_flags(values, figure.better)
        columns.append(
            [Cell(figure.text(v), v, best) for v, best in zip(values, flags, strict=True)]
        )
    rows = [(config, [column[i] for column in columns]) for i, config in enumerate(configs)]
    higher = [figure.title for figure in shown if figure.better is Better.HIGHER]
    return {"figures": shown, "higher": higher, "rows": rows, "problems": problems(configs)}


def problems(configs: Sequence[Config]) -> list[tuple[Config, list[str]]]:
    """What went wrong per configuration: errors, divergent VMs, failed commands and hosts."""
    found = []
    for config in configs:
        run = config.run
        notes = [f"run {run.status}: {run.error}"] if run.error else []
        consistency = run.consistency
        if consistency.divergent_vms:
            notes += [f"divergent VM {example}" for example in consistency.examples]
        if not consistency.checked and consistency.reason:
            notes.append(f"consistency not checked: {consistency.reason}")
        notes += [f"settle cycle failed: {f}" for f in consistency.settle_failed]
        notes += [f"command error: {e}" for e in run.commands.errors]
        notes += [f"fake host: {f}" for f in run.world.failures]
        if notes:
            found.append((config, notes))
    return found
