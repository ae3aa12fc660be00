"""The report's study section: the study's references beside the run's computed figures."""

from __future__ import annotations

from pathlib import Path

from tests.unit.render.htmltree import parse
from vmmonbench import units
from vmmonbench.render.report.page import render_report
from vmmonbench.results import Results
from vmmonbench.study import FIGURES, study_rows

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "results" / "stable-6000.json"


def test_every_study_figure_has_a_row_with_the_study_and_the_run_side_by_side() -> None:
    results = Results.load(FIXTURE)
    page = parse(render_report(results))
    table = page.by_id("study-table")
    body_rows = [row for row in table.find_all("tr") if row.find_all("td")]
    assert len(body_rows) == len(FIGURES)
    for html_row, row in zip(body_rows, study_rows(results), strict=True):
        cells = [cell.text().strip() for cell in html_row.find_all("td")]
        assert cells == [
            units.text(row.figure.unit, value)
            for value in (row.study_36, row.run_36, row.study_41, row.run_41)
        ]
        assert row.figure.title in html_row.text()
