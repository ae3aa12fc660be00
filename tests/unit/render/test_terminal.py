"""The terminal output at 80, 100 and 120 columns: nothing cut, numbers whole, nothing injected."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tests.results_data import edited
from vmmonbench import units
from vmmonbench.compare import compare
from vmmonbench.figures import View, shown_in
from vmmonbench.render.terminal import (
    TerminalProgress,
    capacity_table,
    print_comparison,
    print_results,
    visible,
)
from vmmonbench.render.terminal.labels import short_label
from vmmonbench.results import Results
from vmmonbench.study import study_rows
from vmmonbench.sweep_results import SweepResult

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "results"
WIDTHS = [80, 100, 120]
OPTIMIZED = "per-vm-lock+event-plus-stats+4.1"
LEGACY = "per-vm-lock+event-plus-stats+3.6"
# what a hostile results file might carry: an OSC 8 hyperlink, a screen clear, a title change,
# rich markup, a right-to-left override
INJECTIONS = (
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "\x1b[2J\x1b[H",
    "\x1b]0;owned\x07",
    "[link=https://evil.example/]x[/link][blink]y[/blink]",
    "\u202eexe.txt",
)


def render(width: int, draw: Any, *, terminal: bool = False) -> str:
    """What `draw(console)` prints on a console `width` columns wide (raw, with any codes)."""
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=terminal,
        color_system="truecolor" if terminal else None,
        legacy_windows=False,
    )
    draw(console)
    return out.getvalue()


def check_fits(text: str, width: int) -> None:
    """Every line within the width; nothing cut with an ellipsis."""
    for line in text.splitlines():
        assert len(line.rstrip()) <= width, line
    assert "…" not in text


def cells(text: str) -> set[str]:
    """The cells of the tables in `text`: runs of text between two or more spaces."""
    return {part.strip() for line in text.splitlines() for part in re.split(r"\s{2,}", line)}


@pytest.fixture(scope="module", params=["smoke", "stable-6000"])
def results(request: pytest.FixtureRequest) -> Results:
    """Each frozen results file."""
    return Results.load(FIXTURES / f"{request.param}.json")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_summary_fits_and_every_number_is_whole(results: Results, width: int) -> None:
    text = render(width, lambda console: print_results(results, console))
    check_fits(text, width)
    shown = cells(text)
    for run in results.runs:
        for figure in shown_in(View.TERMINAL):
            assert figure.of(run) in shown, (run.label, figure.name, width)
    for line in ("host", "per-vm", "polling", "events", "3.6", "4.1"):
        assert line in shown
    assert "3.6: the legacy persistence" in " ".join(text.split())


@pytest.mark.parametrize("width", [*WIDTHS, 160])
def test_the_hot_spots_go_side_by_side_only_where_whole_labels_fit(
    results: Results, width: int
) -> None:
    text = render(width, lambda console: print_results(results, console))
    titles = text.count("DB self time hot spots")
    assert titles == (1 if width >= 160 else 2)
    legacy, optimized = results.run(LEGACY), results.run(OPTIMIZED)
    assert legacy is not None
    assert optimized is not None
    for run in (legacy, optimized):
        top = sorted(run.statements, key=lambda s: s.total_s, reverse=True)[:10]
        for statement in top:
            whole = re.compile(rf"(^|\s){re.escape(statement.label)}(\s|$)", re.MULTILINE)
            assert whole.search(text), statement.label


def test_configurations_that_do_not_fit_side_by_side_continue_in_another_table(
    results: Results,
) -> None:
    # eleven configurations: the 2x2 matrix, then each optimization alone on the 4.1 axes
    extra = [
        "vm-numa-skip",
        "host-numa-memo",
        "jobs-in-memory",
        "dynamic-updates",
        "devices-split",
        "light-views",
    ]

    def more(data: dict[str, Any]) -> None:
        base = data["runs"][-1]
        for name in extra:
            data["runs"].append(
                {**base, "label": f"per-vm-lock+event-plus-stats+{name}", "optimizations": [name]}
            )

    many = edited(results, more)
    text = render(80, lambda console: print_results(many, console))
    check_fits(text, 80)
    assert text.count("vmmonbench: ") >= 2  # the title of each part
    shown = cells(text)
    for run in many.runs:
        for figure in shown_in(View.TERMINAL):
            assert figure.of(run) in shown
    assert "1 opt" in shown
    for name in extra:
        assert f"per-vm events 1 opt: {name}" in text  # the legend says which


@pytest.mark.parametrize("width", WIDTHS)
def test_a_comparison_fits_with_its_numbers_whole(results: Results, width: int) -> None:
    def change(data: dict[str, Any]) -> None:
        run = next(r for r in data["runs"] if r["label"] == OPTIMIZED)
        entry = next(s for s in run["statements"] if s["label"] == "UpdateVmStatistics")
        entry["calls"] *= 2

    comparison = compare(results, edited(results, change), base_name="a.json", new_name="b.json")
    text = render(width, lambda console: print_comparison(comparison, console))
    check_fits(text, width)
    failed = next(r for r in comparison.rows if r.failed)
    shown = cells(text)
    assert "regressed FAIL" in shown
    assert "+100%" in shown
    joined = " ".join(text.split())
    for check in comparison.failures:
        assert f"FAIL {check.explanation}" in joined
    assert failed.explanation in joined if width >= 120 else True
    assert joined.endswith("(default rules)")


def test_the_capacity_model_fits_at_80_columns() -> None:
    sweep = SweepResult.load(FIXTURES / "sweep.json")

    def draw(console: Console) -> None:
        for table in capacity_table(sweep.models, console):
            console.print(table)

    text = render(80, draw)
    check_fits(text, 80)
    assert text.count("Capacity model") >= 2  # five models do not fit one table at 80
    assert "VMs per host measured" in text


# -- untrusted strings ----------------------------------------------------------------------------


def test_control_characters_are_made_visible() -> None:
    assert visible("a\x1b[2Jb\x07\u202ec\x7f") == "a\\x1b[2Jb\\x07\\u202ec\\x7f"
    assert visible("UpdateVmDynamic · 4.1 µs") == "UpdateVmDynamic · 4.1 µs"


def hostile(results: Results) -> Results:
    """Results whose labels, statement names and notes carry terminal escapes and markup."""

    def inject(data: dict[str, Any]) -> None:
        data["workload"]["name"] = INJECTIONS[2]
        for index, run in enumerate(data["runs"]):
            run["label"] = run["label"] + INJECTIONS[index % len(INJECTIONS)]
            for number, statement in enumerate(run["statements"]):
                statement["label"] = INJECTIONS[number % len(INJECTIONS)] + statement["label"]
            run["consistency"]["divergent_vms"] = 1
            run["consistency"]["examples"] = [INJECTIONS[0]]

    return edited(results, inject)


def assert_nothing_injected(raw: str) -> None:
    """No escape sequence of the results reached the terminal, and no markup was obeyed."""
    for sequence in ("\x1b]8;;https://evil", "\x1b[2J", "\x1b]0;owned", "\u202e", "\x07"):
        assert sequence not in raw
    assert "\x1b]8;" not in raw  # rich wrote no hyperlink either: the markup stayed text
    plain_text = re.sub(r"\x1b\[[0-9;]*m", "", raw)  # rich's own colours
    assert "\x1b" not in plain_text
    assert "\\x1b]8;;https://evil.example/" in "".join(plain_text.split())
    assert "[link=https://evil.example/]" in "".join(plain_text.split())


def test_a_hostile_results_file_cannot_drive_the_terminal_in_the_summary(results: Results) -> None:
    raw = render(120, lambda console: print_results(hostile(results), console), terminal=True)
    assert_nothing_injected(raw)


def test_a_hostile_results_file_cannot_drive_the_terminal_in_compare(results: Results) -> None:
    bad = hostile(results)
    comparison = compare(bad, bad, base_name="\x1b[2Ja.json", new_name="b.json", allow_gone=True)
    raw = render(
        120, lambda console: print_comparison(comparison, console, show_all=True), terminal=True
    )
    assert_nothing_injected(raw)
    assert "\\x1b[2Ja.json" in raw


def test_a_hostile_label_cannot_drive_the_terminal_in_the_progress_lines(results: Results) -> None:
    run = hostile(results).runs[0]

    def draw(console: Console) -> None:
        progress = TerminalProgress(console)
        progress.configuration_started(run.label, 1, 1, 60.0)
        progress.configuration_done(run)
        progress.message(INJECTIONS[3])

    for terminal in (False, True):
        raw = render(100, draw, terminal=terminal)
        for sequence in ("\x1b]8;;https://evil", "\x1b[2J", "\x1b]0;owned", "\u202e"):
            assert sequence not in raw


# -- progress -------------------------------------------------------------------------------------


class Clock:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_progress_is_plain_lines_with_full_labels(results: Results) -> None:
    clock = Clock()
    run = results.runs[0]

    def draw(console: Console) -> None:
        progress = TerminalProgress(console, clock=clock)
        progress.configuration_started(run.label, 1, 2, 60.0)
        clock.now += 1
        progress.update(5.0, 0)  # too soon for a line
        progress.update(10.0, 1)  # the first statistics cycle: a line at once
        clock.now += 1
        progress.update(20.0, 1)  # too soon again
        clock.now += 5
        progress.update(30.0, 2)
        progress.configuration_done(run)

    text = render(200, draw)
    assert text.splitlines() == [
        f"[1/2] {run.label}: started (60 s simulated)",
        f"[1/2] {run.label}: 10 s simulated, 1 statistics cycles",
        f"[1/2] {run.label}: 30 s simulated, 2 statistics cycles",
        f"[1/2] {run.label}: {run.status}, {run.summary.cycles.stats} statistics cycles, "
        f"{shown_in(View.HEADLINE)[1].of(run)} DB time per cycle, 7.0 s wall",
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_on_a_terminal_the_bar_and_the_lines_fit(results: Results, width: int) -> None:
    clock = Clock()
    run = next(r for r in results.runs if r.label == OPTIMIZED)

    def draw(console: Console) -> None:
        progress = TerminalProgress(console, clock=clock)
        progress.configuration_started(run.label, 2, 5, 60.0)
        clock.now += 3
        progress.update(30.0, 2)
        assert progress._progress is not None
        console.print(progress._progress.get_renderable())  # the live line as drawn
        clock.now += 3
        progress.configuration_done(run)

    raw = render(width, draw, terminal=True)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)
    check_fits(text, width)
    assert f"[2/5] {short_label(run.label)}" in text
    assert "30/60 s, 2 cycles" in text
    assert "0:00:03 left, run 0:00:21" in text  # 3 s to go here, then 3 configurations of 6 s
    done = f"[2/5] per-vm events 4.1  {run.status}  {run.summary.cycles.stats} stats cycles"
    assert done in text


def test_the_run_estimate_uses_the_configurations_measured_so_far(results: Results) -> None:
    clock = Clock()
    progress = TerminalProgress(Console(file=io.StringIO()), clock=clock)
    assert progress.run_remaining_s(10.0) is None  # nothing started
    progress.configuration_started("a", 1, 3, 60.0)
    assert progress.run_remaining_s(0.0) is None
    assert progress.configuration_remaining_s(0.0) is None
    clock.now += 10
    assert progress.configuration_remaining_s(30.0) == pytest.approx(10)
    assert progress.run_remaining_s(30.0) == pytest.approx(10 + 2 * 20)
    progress.configuration_done(results.runs[0])  # took 10 s
    progress.configuration_started("b", 2, 3, 60.0)
    clock.now += 30
    # this one is projected at 40 s: 10 s left, then one more at the mean of 10 and 40
    assert progress.run_remaining_s(45.0) == pytest.approx(10 + 25)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_study_stands_beside_the_run_with_every_value_whole(
    results: Results, width: int
) -> None:
    text = render(width, lambda console: print_results(results, console))
    check_fits(text, width)
    assert "The study beside this run" in text
    shown = cells(text)
    for row in study_rows(results):
        for value in (row.study_36, row.run_36, row.study_41, row.run_41):
            assert units.text(row.figure.unit, value) in shown, (row.figure.name, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_hot_spots_show_db_work_where_it_was_counted(results: Results, width: int) -> None:
    worked = Results.load(FIXTURES.parent / "compare" / "gate-loaded-run1.json")
    text = render(width, lambda console: print_results(worked, console))
    check_fits(text, width)
    optimized = worked.run(OPTIMIZED)
    assert optimized is not None
    light = next(s for s in optimized.statements if s.label.endswith("ToMonitorByVmId"))
    line = next(row for row in text.splitlines() if f" {light.label} " in row)
    assert line.rstrip().endswith(f" {units.count(light.blocks)}")  # its blocks, whole
    assert "blocks" in cells(text)
    # results without the server's counts have no such column
    assert "blocks" not in cells(render(width, lambda console: print_results(results, console)))
