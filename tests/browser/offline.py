"""Headless Chromium for the page tests: launched once, pages opened with the network refused."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NO_PROBLEMS: dict[str, list[str]] = {"console": [], "errors": [], "failed": [], "blocked": []}


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (skips without it; fails when `CI` is set)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def open_offline(browser: Any, path: Path) -> Iterator[tuple[Any, dict[str, list[str]]]]:
    """The page at `path` with every other request refused; what the page complained about."""
    context = browser.new_context(offline=True, viewport={"width": 1360, "height": 900})
    url = path.as_uri()
    problems: dict[str, list[str]] = {key: [] for key in NO_PROBLEMS}

    def refuse_all_but_the_page(route: Any) -> None:
        if route.request.url == url:
            route.continue_()
        else:
            problems["blocked"].append(route.request.url)
            route.abort()

    context.route("**/*", refuse_all_but_the_page)
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
    """The numeric sort keys of one column, in the order the rows are shown ('' skipped)."""
    values: list[str] = page.eval_on_selector_all(
        f"{table} tbody tr",
        f"rows => rows.map(r => r.cells[{index}].getAttribute('data-value'))",
    )
    return [float(v) for v in values if v != ""]


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot in test-artifacts/ (and one of the first screen)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-top.png"))
    return path
