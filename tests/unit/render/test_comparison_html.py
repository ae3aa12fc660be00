"""The comparison page: verdict and failures on top, per-configuration tables, charts, escaping."""

from __future__ import annotations

import io
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tests.results_data import edited
from vmmonbench import units as fmt
from vmmonbench.compare import Comparison, Verdict, compare, parse_rule
from vmmonbench.render.html import render_comparison, write_comparison_report
from vmmonbench.render.terminal import print_comparison
from vmmonbench.result_records import StatementRecord
from vmmonbench.results import Results

from .htmltree import Element, parse
from .pages import assert_self_contained, cell_texts

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LEGACY = "per-vm-lock+event-plus-stats+3.6"
OPTIMIZED = "per-vm-lock+event-plus-stats+4.1"
SLUGS = {
    "host-lock+polling-only+3.6": "host-lock-polling-only-3-6",
    "host-lock+event-plus-stats+3.6": "host-lock-event-plus-stats-3-6",
    "per-vm-lock+polling-only+3.6": "per-vm-lock-polling-only-3-6",
    LEGACY: "per-vm-lock-event-plus-stats-3-6",
    OPTIMIZED: "per-vm-lock-event-plus-stats-4-1",
}
SECTION_IDS = ["summary", "changes", "configurations", "gate"]
HOSTILE = "<script>alert(1)</script>"
BREAKOUT = "</script><script>alert(2)</script>"
ONE_MEGABYTE = 1_000_000


def smoke() -> Results:
    """The frozen smoke results."""
    return Results.load(FIXTURES / "results" / "smoke.json")


def statement(results: Results, name: str, config: str = OPTIMIZED) -> StatementRecord:
    """The statements entry `name` of configuration `config`."""
    run = results.run(config)
    assert run is not None
    return next(s for s in run.statements if s.label == name)


def scaled(results: Results, name: str, config: str = OPTIMIZED, **factors: float) -> Results:
    """A copy whose statement `name` of `config` has fields multiplied by `factors`."""

    def scale(data: dict[str, Any]) -> None:
        run = next(r for r in data["runs"] if r["label"] == config)
        entry = next(s for s in run["statements"] if s["label"] == name)
        for key, factor in factors.items():
            entry[key] = type(entry[key])(entry[key] * factor)

    return edited(results, scale)


def terminal_lines(comparison: Comparison) -> list[str]:
    """What `vmmonbench compare` prints, one line each."""
    console = Console(record=True, width=400, color_system=None, file=io.StringIO())
    print_comparison(comparison, console)
    return console.export_text().splitlines()


def statement_row(tree: Element, config: str, name: str) -> Element:
    """The row of statement `name` in configuration `config`'s statement table."""
    table = tree.by_id(f"statements-{SLUGS[config]}")
    return next(r for r in table.rows() if r.children[0].attrs["data-value"] == name)


@pytest.fixture(scope="module")
def regressed() -> Comparison:
    """4.1 makes twice the UpdateVmDynamic calls in three times the DB time."""
    base = smoke()
    new = scaled(base, "UpdateVmDynamic", calls=2, total_s=3)
    return compare(base, new, base_name="base/results.json", new_name="new/results.json")


@pytest.fixture(scope="module")
def regressed_tree(regressed: Comparison) -> Element:
    """The regressed comparison's page."""
    return parse(render_comparison(regressed))


@pytest.fixture(scope="module")
def gate() -> Comparison:
    """Two real runs of the deterministic gate workload: counts equal, times noisy."""
    return compare(
        Results.load(FIXTURES / "compare" / "gate-run1.json"),
        Results.load(FIXTURES / "compare" / "gate-run2.json"),
        base_name="gate-run1.json",
        new_name="gate-run2.json",
    )


# -- structure and header ---------------------------------------------------------------------


def test_sections_nav_and_one_block_per_configuration(regressed_tree: Element) -> None:
    tree = regressed_tree
    assert [e.attrs["id"] for e in tree.find_all("section")] == SECTION_IDS
    nav = [a.attrs["href"] for e in tree.find_all("nav") for a in e.find_all("a")]
    assert nav == [f"#{section}" for section in SECTION_IDS]
    ids = [e.attrs["id"] for e in tree.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids)), "duplicate ids"
    blocks = [e.attrs["id"] for e in tree.find_all("div") if "config-block" in e.classes()]
    assert blocks == [f"config-{slug}" for slug in SLUGS.values()]
    links = [a.attrs["href"] for a in tree.by_id("summary-table").find_all("a")]
    assert links == [f"#config-{slug}" for slug in SLUGS.values()]


def test_header_names_both_files_the_verdict_and_each_failure_like_the_terminal(
    regressed: Comparison, regressed_tree: Element
) -> None:
    tree = regressed_tree
    assert tree.by_id("files").text() == "baseline base/results.json → new new/results.json"
    verdict = tree.by_id("verdict")
    assert "status-failed" in verdict.classes()
    terminal = terminal_lines(regressed)
    assert verdict.text() == terminal[-1]
    assert verdict.text().startswith(f"regression: {len(regressed.failures)} of ")
    failures = [li.text() for li in tree.by_id("failures").find_all("li")]
    assert failures == [f"FAIL {check.explanation}" for check in regressed.failures]
    assert len(failures) == 1  # the default rules gate calls per statistics cycle
    assert all(line in terminal for line in failures)
    counts = tree.by_id("verdict-counts").text()
    for verdict_name, count in regressed.verdict_counts().items():
        assert f"{verdict_name.value} {fmt.count(count)}" in counts


def test_no_regression_passes_and_hides_every_unchanged_row() -> None:
    same = compare(smoke(), smoke())
    tree = parse(render_comparison(same))
    assert tree.by_id("verdict").text() == terminal_lines(same)[-1]
    assert tree.by_id("verdict").text().startswith("no regression: ")
    assert "status-complete" in tree.by_id("verdict").classes()
    assert not tree.find_all(id="failures")
    assert not tree.find_all(id="stale-hint")
    rows = [r for table in tree.by_id("configurations").find_all("table") for r in table.rows()]
    assert len(rows) == sum(1 for r in same.rows if r.statement is None) + len(
        {(r.configuration, r.statement) for r in same.rows if r.statement is not None}
    )
    assert all("quiet" in row.classes() for row in rows)
    notes = [e.text() for e in tree.find_all("p") if "quiet-note" in e.classes()]
    assert len(notes) == 2 * len(SLUGS)


def test_stale_hint_mismatches_and_notes_are_shown() -> None:
    base = smoke()

    def change(data: dict[str, Any]) -> None:
        run = next(r for r in data["runs"] if r["label"] == OPTIMIZED)
        run["label"] = "per-vm-lock+event-plus-stats+vm-numa-skip"  # paired, with a note
        next(s for s in run["statements"] if s["label"] == "UpdateVmDynamic")["calls"] = 3
        data["workload"]["vms"] += 1

    new = edited(base, change)
    rules = [parse_rule("statement[UpdateVmDynamic].calls:+0")]
    comparison = compare(base, new, rules, allow_mismatch=True)
    tree = parse(render_comparison(comparison))
    assert comparison.stale_hint is not None
    assert tree.by_id("stale-hint").text() == f"hint: {comparison.stale_hint}"
    mismatches = [li.text() for li in tree.by_id("mismatches").find_all("li")]
    assert mismatches == [f"mismatch allowed: {line}" for line in comparison.mismatches]
    assert mismatches[0].startswith("mismatch allowed: workload differs in vms")
    notes = [li.text() for li in tree.by_id("notes").find_all("li")]
    assert notes == [f"note: {line}" for line in comparison.notes]
    assert "compared per-vm-lock+event-plus-stats+4.1 (baseline)" in notes[0]
    assert "1 rule(s)" in tree.by_id("verdict").text()


# -- tables -----------------------------------------------------------------------------------


def test_a_statement_is_one_row_with_its_metrics_baseline_new_and_change(
    regressed: Comparison, regressed_tree: Element
) -> None:
    rows = {
        r.metric: r
        for r in regressed.rows
        if r.configuration == OPTIMIZED and r.statement == "UpdateVmDynamic"
    }
    row = statement_row(regressed_tree, OPTIMIZED, "UpdateVmDynamic")
    cells = row.children
    texts = cell_texts(row)
    calls = rows["calls_per_stats_cycle"]
    assert calls.baseline is not None
    assert calls.new is not None
    shown = (fmt.count(calls.baseline), fmt.count(calls.new))
    assert texts[2].startswith(f"{shown[0]} → {shown[1]}")
    assert cells[2].find_all("span")[0].text() == "+100%"
    assert "v-regressed" in cells[2].classes()
    assert float(cells[2].attrs["data-value"]) == pytest.approx(calls.new - calls.baseline)
    total = rows["total_s"]
    assert total.verdict is Verdict.NOT_SIGNIFICANT  # statement times have no raw samples
    assert texts[4].endswith("+200%")
    assert "v-not-significant" in cells[4].classes()
    assert texts[6] == "regressed FAIL"
    assert row.classes() == {"failed"}
    assert "FAIL " + calls.failures[0] in texts[7]
    assert "total_s: +200% but no raw samples to test significance" in texts[7]
    sql = cells[1].find_all("details")[0]
    assert "open" not in sql.attrs
    assert sql.find_all("pre")[0].text() == " ".join(str(rows["calls"].sql).split())


def test_failed_rows_come_first_and_unchanged_rows_wait_behind_the_toggle(
    regressed: Comparison, regressed_tree: Element
) -> None:
    block = regressed_tree.by_id(f"config-{SLUGS[OPTIMIZED]}")
    statements = regressed_tree.by_id(f"statements-{SLUGS[OPTIMIZED]}").rows()
    metrics = regressed_tree.by_id(f"metrics-{SLUGS[OPTIMIZED]}").rows()
    loud = [r for r in statements if "quiet" not in r.classes()]
    assert [r.children[0].attrs["data-value"] for r in loud] == ["UpdateVmDynamic"]
    assert all("quiet" in r.classes() for r in metrics)  # the summary did not move
    button = next(b for b in block.find_all("button") if "toggle-quiet" in b.classes())
    assert button.attrs["data-scope"] == f"config-{SLUGS[OPTIMIZED]}"
    hidden = len(statements) - 1 + len(metrics)
    assert button.text() == f"Show every row ({hidden} hidden)"
    expected = [r.metric for r in regressed.ordered_rows() if r.configuration == OPTIMIZED]
    shown = [r.children[0].attrs["data-value"] for r in metrics]
    assert shown == [m for m in expected if m in shown]
    summary = {
        r.children[0].attrs["data-value"]: cell_texts(r)
        for r in regressed_tree.by_id("summary-table").rows()
    }
    assert summary[OPTIMIZED][1] == "1"
    assert summary[LEGACY][1] == "0"


def test_metric_rows_of_real_gate_runs(gate: Comparison) -> None:
    html = render_comparison(gate)
    tree = parse(html)
    for pair in gate.configurations:
        rows = [r for r in gate.rows if r.configuration == pair.label and r.statement is None]
        table = tree.by_id(f"metrics-{SLUGS[pair.label]}")
        shown = {r.children[0].attrs["data-value"]: r for r in table.rows()}
        assert sorted(shown) == sorted(r.metric for r in rows)
        for row in rows:
            cells = shown[row.metric].children
            assert cells[4].find_all("span")[0].text() == row.verdict.value
            assert ("quiet" in shown[row.metric].classes()) == (row.verdict is Verdict.UNCHANGED)
            if row.change_ratio is not None and math.isfinite(row.change_ratio):
                assert float(cells[3].attrs["data-value"]) == pytest.approx(row.change_ratio)
        statements = tree.by_id(f"statements-{SLUGS[pair.label]}").rows()
        names = {r.statement for r in gate.rows if r.configuration == pair.label and r.statement}
        assert len(statements) == len(names)
    gate_rows = tree.by_id("checks").rows()
    assert len(gate_rows) == len(gate.checks)
    assert tree.by_id("stale-hint").text().startswith("hint: the new results beat the baseline")
    assert len(html.encode("utf-8")) < ONE_MEGABYTE


def test_gate_checks_list_failures_first_and_open_on_a_regression(
    regressed: Comparison, regressed_tree: Element
) -> None:
    details = regressed_tree.by_id("checks-details")
    assert "open" in details.attrs
    rows = [cell_texts(r) for r in regressed_tree.by_id("checks").rows()]
    assert len(rows) == len(regressed.checks)
    assert rows[0][0] == "FAIL"
    assert {r[0] for r in rows[1:]} == {"pass"}
    assert rows[0][4] == regressed.failures[0].explanation
    rules = regressed_tree.by_id("gate").find_all("p")[0].text()
    assert all(rule.text in rules for rule in regressed.rules)


def test_a_configuration_on_one_side_only_says_so() -> None:
    base = smoke()
    new = replace(base, runs=tuple(run for run in base.runs if run.label != OPTIMIZED))
    tree = parse(render_comparison(compare(base, new)))
    assert "Only in the baseline" in tree.by_id(f"config-{SLUGS[OPTIMIZED]}-only").text()
    assert not tree.find_all(id=f"metrics-{SLUGS[OPTIMIZED]}")
    summary = tree.by_id("summary-table").text()
    assert f"{OPTIMIZED} (only in the baseline)" in summary
    assert not tree.find_all(id=f"changes-{SLUGS[OPTIMIZED]}")


# -- charts -----------------------------------------------------------------------------------


def bars(figure: Element) -> list[tuple[str, float, float]]:
    """Each paired bar group: label, baseline width, new width."""
    found = []
    for group in figure.find_all("g"):
        rects = group.find_all("rect")
        if len(rects) == 2:
            widths = [float(r.attrs["width"]) for r in rects]
            found.append((group.find_all("text")[0].text(), widths[0], widths[1]))
    return found


def test_statement_charts_pair_baseline_and_new_on_one_scale() -> None:
    base = smoke()
    new = scaled(base, "UpdateVmDynamic", total_s=3)
    new = scaled(new, "UpdateVmStatistics", LEGACY, total_s=2)
    tree = parse(render_comparison(compare(base, new)))
    optimized = bars(tree.by_id(f"changes-{SLUGS[OPTIMIZED]}"))
    legacy = bars(tree.by_id(f"changes-{SLUGS[LEGACY]}"))
    assert [b[0] for b in optimized] == ["UpdateVmDynamic"]
    assert [b[0] for b in legacy] == ["UpdateVmStatistics"]
    assert optimized[0][2] / optimized[0][1] == pytest.approx(3, rel=0.01)
    assert legacy[0][2] / legacy[0][1] == pytest.approx(2, rel=0.01)
    per_second = {
        label: width / statement(base, label, config).total_s
        for (label, width, _), config in ((optimized[0], OPTIMIZED), (legacy[0], LEGACY))
    }
    assert max(per_second.values()) / min(per_second.values()) == pytest.approx(1, rel=0.01)
    still = tree.by_id(f"changes-{SLUGS['host-lock+polling-only+3.6']}").text()
    assert "no statement's DB self time changed" in still


def test_headline_charts_show_every_configuration_coloured_by_verdict(gate: Comparison) -> None:
    tree = parse(render_comparison(gate))
    figure = tree.by_id("headline-db-time-per-stats-cycle-s")
    assert [b[0] for b in bars(figure)] == [pair.label for pair in gate.configurations]
    tones = {
        "regressed": "t-regressed",
        "improved": "t-improved",
        "not significant": "t-neutral",
        "unchanged": "t-neutral",
    }
    groups = [g for g in figure.find_all("g") if len(g.find_all("rect")) == 2]
    rows = [r for r in gate.rows if r.metric == "db_time_per_stats_cycle_s"]
    assert [g.classes() for g in groups] == [{tones[r.verdict.value]} for r in rows]


# -- escaping, self-containedness, writing ----------------------------------------------------


def hostile_comparison() -> Comparison:
    """Labels, statement names, SQL and file names that try to inject markup."""
    sides = []
    for calls in (1, 2):

        def inject(data: dict[str, Any], calls: int = calls) -> None:
            run = next(r for r in data["runs"] if r["label"] == OPTIMIZED)
            run["label"] = f"per-vm-lock+event-plus-stats+{HOSTILE}"
            entry = next(s for s in run["statements"] if s["label"] == "UpdateVmDynamic")
            entry["label"] = HOSTILE
            entry["sql"] = f"UPDATE vm_dynamic SET x = '{BREAKOUT}' WHERE a < 1 && b > 2"
            entry["calls"] *= calls
            entry["total_s"] *= calls

        sides.append(edited(smoke(), inject))
    base, new = sides
    return compare(base, new, base_name=f"{HOSTILE}.json", new_name=f'"><img onerror=x>{BREAKOUT}')


def test_hostile_labels_sql_and_file_names_render_as_text() -> None:
    html = render_comparison(hostile_comparison())
    assert "<script>alert" not in html.lower()
    assert "<img" not in html.lower()
    assert html.count("<script") == 1  # the page's own script
    tree = parse(html)
    assert HOSTILE in tree.by_id("files").text()
    assert BREAKOUT in tree.by_id("files").text()
    assert any(HOSTILE in li.text() for li in tree.by_id("failures").find_all("li"))
    slug = "per-vm-lock-event-plus-stats-script-alert-1-script"
    rows = tree.by_id(f"statements-{slug}").rows()
    row = next(r for r in rows if r.children[0].attrs["data-value"] == HOSTILE)
    assert row.children[0].text() == HOSTILE
    assert BREAKOUT in row.children[1].text()
    chart = tree.by_id(f"changes-{slug}")
    assert HOSTILE in [t.text() for t in chart.find_all("text")]


def test_pages_are_self_contained(regressed: Comparison, gate: Comparison) -> None:
    for comparison in (regressed, gate, hostile_comparison()):
        html = render_comparison(comparison)
        assert_self_contained(html)
        assert re.search(r"<script[^>]*\bsrc", html) is None


def test_write_comparison_report_replaces_the_file_atomically(
    regressed: Comparison, tmp_path: Path
) -> None:
    path = tmp_path / "out" / "compare.html"
    path.parent.mkdir()
    path.write_text("old")
    write_comparison_report(regressed, path)
    assert path.read_text("utf-8") == render_comparison(regressed)
    assert [p.name for p in path.parent.iterdir()] == ["compare.html"]
