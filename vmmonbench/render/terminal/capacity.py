"""After a sweep: the capacity model per configuration and host count (fits and projections)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from vmmonbench import units
from vmmonbench.render.terminal.fit import fitted
from vmmonbench.render.terminal.untrusted import lines
from vmmonbench.scaling import CapacityModel, LinearFit


def _per_vm(fit: Callable[[CapacityModel], LinearFit | None]) -> Callable[[CapacityModel], str]:
    return lambda m: units.seconds(line.per_vm) if (line := fit(m)) else "-"


def _vms(value: float | None, fit: LinearFit | None) -> str:
    if fit is None:
        return "-"
    return "not reached" if value is None else f"{value:,.0f} VMs"


ROWS: tuple[tuple[str, Callable[[CapacityModel], str]], ...] = (
    ("hosts", lambda m: str(m.hosts)),
    ("VMs per host measured", lambda m: m.sizes),
    ("processing / VM", _per_vm(lambda m: m.processing)),
    ("fixed processing", lambda m: units.seconds(m.processing.fixed) if m.processing else "-"),
    ("DB time / VM", _per_vm(lambda m: m.db_time)),
    (
        "statements / VM",
        lambda m: units.count(round(m.statements.per_vm, 2)) if m.statements else "-",
    ),
    ("saturates (15 s cycle)", lambda m: _vms(m.saturation_vms, m.processing)),
    ("50 % utilization", lambda m: _vms(m.half_utilization_vms, m.load)),
)


def capacity_table(models: Sequence[CapacityModel], console: Console) -> list[Table]:
    """Fitted costs and projected saturation points, a column per model, as many as fit."""
    ordered = sorted(models, key=lambda m: (m.hosts, m.label))
    title = Text("Capacity model (fits over VMs per host)", style="bold")

    def build(chosen: Sequence[CapacityModel]) -> Table:
        table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, title_justify="left")
        table.add_column("figure", overflow="fold")
        for model in chosen:
            table.add_column(lines(model.label.split("+")), justify="right", no_wrap=True)
        for name, value in ROWS:
            table.add_row(name, *(value(model) for model in chosen))
        return table

    return fitted(console, ordered, build) if ordered else []
