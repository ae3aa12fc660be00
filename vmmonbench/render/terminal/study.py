"""After a run: the seed study's figures beside the same figures of this run, per design."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from vmmonbench import units
from vmmonbench.results import Results
from vmmonbench.study import study_rows

CAPTION = (
    "study: oVirt 3.6 and 4.1, 6000 stable VMs on one host, one hour (DOMAIN.md section 4); "
    "run: this run's per-vm-lock + event-plus-stats designs; hourly figures predicted under "
    "the 15 s fixed delay from the measured statistics cycle"
)


def study_table(results: Results) -> Table | None:
    """The study beside this run, or None when the run has neither design."""
    rows = study_rows(results)
    if not rows:
        return None
    table = Table(
        title=Text("The study beside this run", style="bold"),
        caption=Text(CAPTION, style="dim"),
        caption_justify="left",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
    )
    table.add_column("figure", overflow="fold", min_width=14)
    for heading in ("3.6 study", "3.6 run", "4.1 study", "4.1 run"):
        table.add_column(heading, justify="right", no_wrap=True)
    for row in rows:
        unit = row.figure.unit
        table.add_row(
            row.figure.title,
            *(units.text(unit, value) for value in (row.study_36, row.run_36)),
            *(units.text(unit, value) for value in (row.study_41, row.run_41)),
        )
    return table
