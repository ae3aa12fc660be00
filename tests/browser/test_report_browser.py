"""The HTML report in headless Chromium, offline: no errors, no requests, sortable tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vmmonbench.render.html import write_report
from vmmonbench.results import Results

from .offline import ARTIFACTS, NO_PROBLEMS, chromium, column, open_offline

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "results"
LEGACY_TABLE = "#statements-per-vm-lock-event-plus-stats-3-6"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for this module."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def report(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A frozen results file's report written to a file (the study's unless parametrized)."""
    name = getattr(request, "param", "stable-6000")
    path = tmp_path / f"report-{name}.html"
    write_report(Results.load(FIXTURES / f"{name}.json"), path)
    return path


@pytest.fixture
def opened(browser: Any, report: Path) -> Iterator[tuple[Any, dict[str, list[str]]]]:
    """The report opened with every network request refused; what the page complained about."""
    with open_offline(browser, report) as found:
        yield found


@pytest.mark.parametrize("report", ["stable-6000", "profiled"], indirect=True)
def test_report_opens_offline_without_errors_or_requests(
    opened: tuple[Any, dict[str, list[str]]], report: Path
) -> None:
    page, problems = opened
    assert page.title().startswith("vmmonbench report: stable")
    assert problems == NO_PROBLEMS
    assert page.locator("#hot-spots-pair figure").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{report.stem}.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"{report.stem}-top.png"))
    assert (ARTIFACTS / f"{report.stem}.png").stat().st_size > 10_000


@pytest.mark.parametrize("report", ["profiled"], indirect=True)
def test_cpu_profiles_sit_side_by_side_and_sort(opened: tuple[Any, dict[str, list[str]]]) -> None:
    page, problems = opened
    pair = page.locator("#cpu-profile-pair > .cpu-profile")
    assert pair.count() == 2
    left, right = (pair.nth(i).bounding_box() for i in range(2))
    assert left["y"] == right["y"]
    assert left["x"] + left["width"] <= right["x"], "side by side, not stacked"
    table = "#cpu-hot-spots-per-vm-lock-event-plus-stats-3-6"
    page.click(f"{table} thead th:nth-child(6)")  # seconds, largest first
    seconds = column(page, table, 5)
    assert seconds == sorted(seconds, reverse=True)
    assert page.locator("#cpu-profile a[href$='.flamegraph.svg']").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#cpu-profile").screenshot(path=str(ARTIFACTS / "report-cpu-profile.png"))
    assert problems == NO_PROBLEMS


def test_clicking_a_header_sorts_the_rows_by_that_column(
    opened: tuple[Any, dict[str, list[str]]],
) -> None:
    page, problems = opened
    calls = f"{LEGACY_TABLE} thead th:nth-child(3)"
    before = column(page, LEGACY_TABLE, 2)
    assert before != sorted(before, reverse=True), "the fixture must start out of call order"
    page.click(calls)
    assert column(page, LEGACY_TABLE, 2) == sorted(before, reverse=True)
    assert page.get_attribute(calls, "aria-sort") == "descending"
    page.click(calls)
    assert column(page, LEGACY_TABLE, 2) == sorted(before)
    assert page.get_attribute(calls, "aria-sort") == "ascending"
    page.click(f"{LEGACY_TABLE} thead th:nth-child(1)")
    labels: list[str] = page.eval_on_selector_all(
        f"{LEGACY_TABLE} tbody tr", "rows => rows.map(r => r.cells[0].getAttribute('data-value'))"
    )
    assert labels == sorted(labels, key=str.lower)
    assert problems["errors"] == []


def test_filter_and_sql_expansion(opened: tuple[Any, dict[str, list[str]]]) -> None:
    page, problems = opened
    page.fill(f"input[data-filter='{LEGACY_TABLE[1:]}']", "numa")
    visible = page.locator(f"{LEGACY_TABLE} tbody tr:visible")
    assert visible.count() == 5
    assert all("Numa" in text for text in visible.all_inner_texts())
    page.click("button.toggle-sql")
    assert page.locator(f"{LEGACY_TABLE} details.sql[open]").count() == 17
    assert problems["errors"] == []


@pytest.fixture
def work_report(tmp_path: Path) -> Path:
    """The report of a gate run with the server's DB work per statement."""
    path = tmp_path / "report-gate-work.html"
    results = FIXTURES.parent / "compare" / "gate-loaded-run1.json"
    write_report(Results.load(results), path)
    return path


def test_hot_spots_switch_between_self_time_and_db_work(browser: Any, work_report: Path) -> None:
    with open_offline(browser, work_report) as (page, problems):
        time_view = page.locator("#hot-spots-views > .hot-view[data-view='time']")
        work_view = page.locator("#hot-spots-work")
        assert time_view.is_visible()
        assert not work_view.is_visible()
        page.click("button.switch-view[data-view='work']")
        assert work_view.is_visible()
        assert not time_view.is_visible()
        assert page.get_attribute("button.switch-view[data-view='work']", "aria-pressed") == "true"
        assert page.get_attribute("button.switch-view[data-view='time']", "aria-pressed") == "false"
        assert page.locator("#hot-spots-work-pair figure").count() == 2
        optimized = page.locator("#hot-spots-work-per-vm-lock-event-plus-stats-4-1")
        assert "DB work hot spots: per-vm-lock+event-plus-stats+4.1" in optimized.inner_html()
        assert "GetVmNetworkInterfaceToMonitorByVmId" in optimized.inner_text()
        assert "blocks accessed" in optimized.inner_text()
        page.click("button.switch-view[data-view='time']")
        assert time_view.is_visible()
        assert not work_view.is_visible()

        table = "#statements-per-vm-lock-event-plus-stats-4-1"
        header = page.locator(f"{table} thead th").nth(10)
        assert header.inner_text() == "DB work"
        header.click()  # blocks, largest first
        blocks = column(page, table, 10)
        assert blocks == sorted(blocks, reverse=True)
        assert blocks[0] > 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.click("button.switch-view[data-view='work']")
        page.locator("#hot-spots").screenshot(path=str(ARTIFACTS / "report-work-hot-spots.png"))
        assert problems == NO_PROBLEMS
