"""The HTML report in headless Chromium, offline: no errors, no requests, sortable tables."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vmmonbench.render.html import write_report
from vmmonbench.results import Results

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "results"
ARTIFACTS = ROOT / "test-artifacts"
LEGACY_TABLE = "#statements-per-vm-lock-event-plus-stats-3-6"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (skips without it; fails when `CI` is set)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


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
    context = browser.new_context(offline=True, viewport={"width": 1360, "height": 900})
    url = report.as_uri()
    problems: dict[str, list[str]] = {"console": [], "errors": [], "failed": [], "blocked": []}

    def refuse_all_but_the_report(route: Any) -> None:
        if route.request.url == url:
            route.continue_()
        else:
            problems["blocked"].append(route.request.url)
            route.abort()

    context.route("**/*", refuse_all_but_the_report)
    page = context.new_page()
    page.on(
        "console",
        lambda m: problems["console"].append(m.text) if m.type in {"error", "warning"} else None,
    )
    page.on("pageerror", lambda e: problems["errors"].append(str(e)))
    page.on("requestfailed", lambda r: problems["failed"].append(r.url))
    page.goto(url, wait_until="load")
    try:
        yield page, problems
    finally:
        context.close()


def column(page: Any, table: str, index: int) -> list[float]:
    """The numeric sort keys of one column, in the order the rows are shown."""
    values: list[str] = page.eval_on_selector_all(
        f"{table} tbody tr",
        f"rows => rows.map(r => r.cells[{index}].getAttribute('data-value'))",
    )
    return [float(v) for v in values]


@pytest.mark.parametrize("report", ["stable-6000", "profiled"], indirect=True)
def test_report_opens_offline_without_errors_or_requests(
    opened: tuple[Any, dict[str, list[str]]], report: Path
) -> None:
    page, problems = opened
    assert page.title().startswith("vmmonbench report: stable")
    assert problems == {"console": [], "errors": [], "failed": [], "blocked": []}
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
    assert problems == {"console": [], "errors": [], "failed": [], "blocked": []}


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
