"""The comparison and sweep pages in headless Chromium, offline: no errors, sorting, toggles."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.results_data import edited
from vmmonbench.compare import compare
from vmmonbench.render.html import write_comparison_report, write_sweep_report
from vmmonbench.results import Results
from vmmonbench.sweep_results import SweepResult

from .offline import ARTIFACTS, NO_PROBLEMS, chromium, column, open_offline, screenshot

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
GATE_CONFIG = "#config-host-lock-event-plus-stats-3-6"
GATE_METRICS = "#metrics-host-lock-event-plus-stats-3-6"
GATE_STATEMENTS = "#statements-host-lock-event-plus-stats-3-6"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for this module."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def comparison_page(tmp_path: Path) -> Path:
    """Two real gate runs compared, with a regression injected: 3.6 doubles its NUMA reads."""
    base = Results.load(FIXTURES / "compare" / "gate-run1.json")

    def double(data: dict[str, Any]) -> None:
        run = next(r for r in data["runs"] if r["label"] == "host-lock+event-plus-stats+3.6")
        entry = next(s for s in run["statements"] if s["label"] == "GetNumaNodeByVdsId")
        entry["calls"] *= 2

    new = edited(Results.load(FIXTURES / "compare" / "gate-run2.json"), double)
    path = tmp_path / "compare.html"
    write_comparison_report(compare(base, new, base_name="run1", new_name="run2"), path)
    return path


@pytest.fixture
def sweep_page(tmp_path: Path) -> Path:
    """The frozen sweep's page, written where its sweep.json would be."""
    sweep = SweepResult.load(FIXTURES / "results" / "sweep.json")
    path = tmp_path / "sweep.html"
    write_sweep_report(sweep, path)
    return path


def visible_rows(page: Any, table: str) -> int:
    """Rows of a table the reader can see."""
    return int(page.locator(f"{table} tbody tr:visible").count())


def test_comparison_opens_offline_and_sorts(browser: Any, comparison_page: Path) -> None:
    with open_offline(browser, comparison_page) as (page, problems):
        assert page.title() == "vmmonbench compare: gate (regression)"
        assert page.locator("#failures li").count() == 1
        assert "GetNumaNodeByVdsId" in page.inner_text("#failures")
        path = screenshot(page, "compare")
        assert path.stat().st_size > 10_000
        change = f"{GATE_METRICS} thead th:nth-child(4)"
        page.click(change)  # largest change first
        values = column(page, GATE_METRICS, 3)
        assert values == sorted(values, reverse=True)
        assert page.get_attribute(change, "aria-sort") == "descending"
        page.click(change)
        assert column(page, GATE_METRICS, 3) == sorted(values)
        assert problems == NO_PROBLEMS


def test_comparison_shows_unchanged_rows_on_demand_and_filters(
    browser: Any, comparison_page: Path
) -> None:
    with open_offline(browser, comparison_page) as (page, problems):
        before = visible_rows(page, GATE_STATEMENTS)
        assert before == 1  # only the regressed statement
        button = f"{GATE_CONFIG} button.toggle-quiet"
        page.click(button)
        after = visible_rows(page, GATE_STATEMENTS)
        assert after == page.locator(f"{GATE_STATEMENTS} tbody tr").count() > before
        assert page.get_attribute(button, "aria-pressed") == "true"
        assert page.inner_text(button) == "Hide unchanged rows"
        page.fill(f"{GATE_CONFIG} input[data-filter]", "numa")
        shown = page.locator(f"{GATE_STATEMENTS} tbody tr:visible")
        assert shown.count() == 5
        assert all("Numa" in text for text in shown.all_inner_texts())
        assert visible_rows(page, GATE_METRICS) == 0  # no metric mentions NUMA
        verdict = f"{GATE_STATEMENTS} thead th:nth-child(7)"
        page.click(verdict)  # the worst first
        first = page.locator(f"{GATE_STATEMENTS} tbody tr").first.inner_text()
        assert "FAIL" in first
        page.click(button)
        assert visible_rows(page, GATE_STATEMENTS) == 1
        page.locator(GATE_CONFIG).screenshot(path=str(ARTIFACTS / "compare-config.png"))
        assert problems == NO_PROBLEMS


def test_sweep_opens_offline_and_sorts(browser: Any, sweep_page: Path) -> None:
    with open_offline(browser, sweep_page) as (page, problems):
        assert page.title() == "vmmonbench sweep: smoke (complete)"
        assert page.locator("#plots figure svg").count() == 4
        path = screenshot(page, "sweep")
        assert path.stat().st_size > 10_000
        saturation = "#capacity-table thead th:nth-child(9)"
        page.click(saturation)  # most capacity first
        values = column(page, "#capacity-table", 8)
        assert values == sorted(values, reverse=True)
        assert all(math.isfinite(v) for v in values)
        first = page.locator("#capacity-table tbody tr").first.inner_text()
        assert first.startswith("per-vm-lock+event-plus-stats+4.1")
        links = page.eval_on_selector_all("#sizes-table a", "links => links.map(a => a.href)")
        assert links[0] == (sweep_page.parent / "h1-n50" / "report.html").as_uri()
        assert problems == NO_PROBLEMS
