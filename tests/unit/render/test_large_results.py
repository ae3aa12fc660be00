"""Results far larger than a real run render in bounded output: tables capped, the rest counted."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tests.results_data import edited
from vmmonbench.compare import compare
from vmmonbench.render.comparison.tables import MAX_STATEMENTS, configuration_views
from vmmonbench.render.html import render_comparison, render_report
from vmmonbench.render.report.statements import MAX_STATEMENT_ROWS
from vmmonbench.render.terminal import print_comparison
from vmmonbench.render.terminal.comparison import MAX_FAILURES, MAX_ROWS
from vmmonbench.results import Results

from .htmltree import parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "results"
STATEMENTS = 2_000  # per configuration: a hundred times a real run's


def many_statements(calls: int = 1) -> Results:
    """The smoke results with STATEMENTS distinct statements per configuration."""

    def grow(data: dict[str, Any]) -> None:
        for run in data["runs"]:
            base = run["statements"][0]
            run["statements"] = [
                {**base, "label": f"Get{i}", "sql": f"SELECT a FROM t{i}", "calls": calls * (i + 1)}
                | {"total_s": 1e-4 * (i + 1)}
                for i in range(STATEMENTS)
            ]

    return edited(Results.load(FIXTURES / "smoke.json"), grow)


@pytest.fixture(scope="module")
def large() -> Results:
    """The large results."""
    return many_statements()


def test_the_report_lists_the_slowest_statements_and_counts_the_rest(large: Results) -> None:
    html = render_report(large)
    tree = parse(html)
    table = tree.by_id("statements-per-vm-lock-event-plus-stats-4-1")
    assert len(table.rows()) == MAX_STATEMENT_ROWS
    assert [r.children[0].attrs["data-value"] for r in table.rows()[:2]] == ["Get1999", "Get1998"]
    left = f"{STATEMENTS - MAX_STATEMENT_ROWS:,} more in results.json"
    assert left in " ".join(tree.by_id("statements").text().split())
    data = html.split('id="results-data">', 1)[1]
    assert data.count('"label":"Get') == MAX_STATEMENT_ROWS * len(large.runs)
    assert f'"statements_count":{STATEMENTS}' in data
    assert len(html) < 4_000_000


def test_a_comparison_lists_capped_rows_and_failures(large: Results) -> None:
    comparison = compare(large, many_statements(calls=2))  # every statement regressed
    assert len(comparison.failures) > MAX_FAILURES
    out = io.StringIO()
    print_comparison(comparison, Console(file=out, width=120, color_system=None))
    text = out.getvalue()
    assert len(re.findall(r"regressed FAIL", text)) == MAX_ROWS * len(large.runs)
    assert text.count("\nFAIL ") == MAX_FAILURES
    more = len(comparison.failures) - MAX_FAILURES
    assert f"... and {more} more failed checks" in text
    assert "rows not shown" in text
    views = configuration_views(comparison)
    assert all(len(view.statements) == MAX_STATEMENTS for view in views)
    assert all(view.left_out == STATEMENTS - MAX_STATEMENTS for view in views)
    assert all(group.failures for view in views for group in view.statements)
    assert len(render_comparison(comparison)) < 20_000_000
