"""The HTML report: sections, tables, charts, best cells, escaping, self-containedness, size."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.results_data import as_data, edited, from_data, minimal
from vmmonbench import units as fmt
from vmmonbench.configuration import ALL_OPTIMIZATIONS
from vmmonbench.figures import Better, is_monitoring_statement
from vmmonbench.render.html import TIMELINE_POINTS, best_flags, render_report, write_report
from vmmonbench.results import Results

from .htmltree import Element, parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "results"
SECTION_IDS = [
    "overview",
    "hot-spots",
    "study",
    "matrix",
    "statements",
    "timeline",
    "command-waits",
    "floor",
    "server-statements",
    "cpu-profile",
    "scaling",
]
# the stable ids a configuration's label turns into
SLUGS = {
    "host-lock+polling-only+3.6": "host-lock-polling-only-3-6",
    "host-lock+event-plus-stats+3.6": "host-lock-event-plus-stats-3-6",
    "per-vm-lock+polling-only+3.6": "per-vm-lock-polling-only-3-6",
    "per-vm-lock+event-plus-stats+3.6": "per-vm-lock-event-plus-stats-3-6",
    "per-vm-lock+event-plus-stats+4.1": "per-vm-lock-event-plus-stats-4-1",
}
HOSTILE = "<script>alert(1)</script>"
HOSTILE_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
BREAKOUT = "</script><script>alert(2)</script>"
ONE_MEGABYTE = 1_000_000
FOUR_ONE = sorted(o.value for o in ALL_OPTIMIZATIONS)


@pytest.fixture(scope="module", params=["smoke", "stable-6000"])
def fixture_results(request: pytest.FixtureRequest) -> Results:
    """Each frozen results file."""
    return Results.load(FIXTURES / f"{request.param}.json")


@pytest.fixture(scope="module")
def stable() -> Results:
    """The study's workload: 1 host, 6000 VMs, five configurations."""
    return Results.load(FIXTURES / "stable-6000.json")


@pytest.fixture(scope="module")
def stable_html(stable: Results) -> str:
    """The report of the study's workload."""
    return render_report(stable)


def run(
    label: str,
    *,
    optimizations: list[str] | None = None,
    db_times: list[float] = (),  # type: ignore[assignment]
    period_s: float = 15.0,
    **fields: Any,
) -> dict[str, Any]:
    """A run's data: statistics cycles of the given DB times `period_s` apart, a label-derived
    lock and fetch mode, and any other field of a run."""
    lock, fetch, _ = label.split("+")
    cycles = [
        {"kind": "stats", "host": 0, "start_s": i * period_s, "db_time_s": t, "duration_s": t}
        for i, t in enumerate(db_times)
    ]
    return {
        "label": label,
        "lock": lock,
        "fetch": fetch,
        "optimizations": optimizations or [],
        "summary": {},
        "statements": [],
        "cycles": cycles,
        "consistency": {"checked": True, "divergent_vms": 0, "divergent_before_settle": 0},
        **fields,
    }


def data_block(html: str) -> Any:
    """The embedded results JSON."""
    match = re.search(
        r'<script type="application/json" id="results-data">(.*?)</script>', html, re.S
    )
    assert match is not None
    return json.loads(match.group(1))


def cell_texts(row: Element) -> list[str]:
    """The text of each cell of a table row."""
    return [cell.text() for cell in row.children if cell.tag in {"td", "th"}]


# -- structure --------------------------------------------------------------------------------


def test_every_section_is_present_once_by_id(fixture_results: Results) -> None:
    tree = parse(render_report(fixture_results))
    sections = [e.attrs["id"] for e in tree.find_all("section")]
    assert sections == SECTION_IDS
    ids = [e.attrs["id"] for e in tree.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert tree.by_id("results-data").tag == "script"
    links = [a.attrs["href"] for a in tree.by_id("overview").find_all("a")]
    nav = [a.attrs["href"] for e in tree.find_all("nav") for a in e.find_all("a")]
    assert nav == [f"#{section}" for section in SECTION_IDS]
    assert links == []


def test_one_row_per_statement_per_configuration(fixture_results: Results) -> None:
    tree = parse(render_report(fixture_results))
    for result in fixture_results.runs:
        table = tree.by_id(f"statements-{SLUGS[result.label]}")
        labels = [row.children[0].attrs["data-value"] for row in table.rows()]
        assert sorted(labels) == sorted(s.label for s in result.statements)
        totals = [float(row.children[5].attrs["data-value"]) for row in table.rows()]
        assert totals == sorted(totals, reverse=True), "initially ordered by total self time"


def test_statement_numbers_are_formatted_like_the_terminal(
    stable: Results, stable_html: str
) -> None:
    optimized = stable.run("per-vm-lock+event-plus-stats+4.1")
    assert optimized is not None
    table = parse(stable_html).by_id("statements-per-vm-lock-event-plus-stats-4-1")
    rows = {row.children[0].attrs["data-value"]: row for row in table.rows()}
    stats_cycles = optimized.summary.cycles.stats
    for statement in optimized.statements:
        cells = cell_texts(rows[statement.label])
        assert cells[2] == fmt.count(statement.calls)
        assert cells[3] == fmt.count(round(statement.calls / stats_cycles, 1))
        assert cells[4] == fmt.count(statement.rows)
        assert cells[5:9] == [
            fmt.seconds(getattr(statement, key)) for key in ("total_s", "mean_s", "p95_s", "p99_s")
        ]
        assert cells[9] == fmt.percent(statement.share)


def test_sql_is_collapsed_but_complete(stable: Results, stable_html: str) -> None:
    tree = parse(stable_html)
    legacy = stable.runs[0]
    table = tree.by_id(f"statements-{SLUGS[legacy.label]}")
    sql = {row.children[0].attrs["data-value"]: row.children[1] for row in table.rows()}
    for statement in legacy.statements:
        details = sql[statement.label].find_all("details")[0]
        assert "open" not in details.attrs
        assert details.find_all("pre")[0].text() == " ".join(statement.sql.split())


def test_legacy_and_optimized_hot_spots_come_first_side_by_side(stable_html: str) -> None:
    section = parse(stable_html).by_id("hot-spots")
    figures = [e.attrs["id"] for e in section.find_all("figure")]
    pair = [e.attrs["id"] for e in section.by_id("hot-spots-pair").find_all("figure")]
    assert pair == [
        "hot-spots-per-vm-lock-event-plus-stats-3-6",
        "hot-spots-per-vm-lock-event-plus-stats-4-1",
    ]
    assert figures[:2] == pair
    assert figures[2:] == [  # the others in the results' order
        "hot-spots-host-lock-polling-only-3-6",
        "hot-spots-host-lock-event-plus-stats-3-6",
        "hot-spots-per-vm-lock-polling-only-3-6",
    ]


def test_hot_spot_bars_are_red_for_monitoring_statements(stable: Results, stable_html: str) -> None:
    tree = parse(stable_html)
    for result in stable.runs:
        figure = tree.by_id(f"hot-spots-{SLUGS[result.label]}")
        bars = [g for g in figure.find_all("g") if g.find_all("rect")]
        top = sorted(result.statements, key=lambda s: s.total_s, reverse=True)[: len(bars)]
        assert len(bars) == min(12, len(result.statements))
        for bar, statement in zip(bars, top, strict=True):
            assert bar.find_all("text")[0].text() == statement.label
            tone = "t-monitoring" if is_monitoring_statement(statement.label) else "t-other"
            assert bar.classes() == {tone}
    polling = tree.by_id("hot-spots-per-vm-lock-polling-only-3-6")
    assert "t-other" in {c for g in polling.find_all("g") for c in g.classes()}  # UpdateVmStatic


def test_hot_spot_charts_share_one_scale(stable: Results, stable_html: str) -> None:
    tree = parse(stable_html)
    widths = {
        (result.label, s.label): float(rect.attrs["width"])
        for result in stable.runs
        for g, s in zip(
            [
                g
                for g in tree.by_id(f"hot-spots-{SLUGS[result.label]}").find_all("g")
                if g.find_all("rect")
            ],
            sorted(result.statements, key=lambda s: s.total_s, reverse=True),
            strict=False,
        )
        for rect in g.find_all("rect")
    }
    totals = {
        (result.label, s.label): s.total_s for result in stable.runs for s in result.statements
    }
    ratios = {round(width / totals[key], 3) for key, width in widths.items() if width > 2}
    assert max(ratios) / min(ratios) == pytest.approx(1.0, abs=0.01)


def test_overview_names_workload_environment_database_and_status(stable_html: str) -> None:
    tree = parse(stable_html)
    overview = tree.by_id("overview").text()
    for text in (
        "stable",
        "1 host, 6000 stable VMs",
        "6,000 VMs × 1 host",
        "60 s",
        "20161",
        "sqlite:////tmp/r6/vmmonbench.db",
        "3.40.1",
        "3.11.7",
    ):
        assert text in overview, text
    assert tree.by_id("status").text().startswith("complete")
    assert "2026-11-24T00:12:55+00:00" in tree.by_id("status").text()
    configurations = tree.by_id("overview").find_all("table")[0]
    assert len(configurations.rows()) == 5


def test_failed_results_show_the_reason_and_placeholders() -> None:
    broken = run(
        "per-vm-lock+event-plus-stats+3.6",
        summary={"simulated_s": 12.0},
        status="failed",
        error="fake host 0 died",
        consistency={"checked": False, "reason": "run stopped before the end"},
    )
    results = from_data(
        minimal(
            workload={"name": "stable"},
            runs=[broken],
            status="failed",
            failure="fake host 0 died (exit code -9)",
        )
    )
    tree = parse(render_report(results))
    assert tree.by_id("status").text().startswith("failed: fake host 0 died (exit code -9)")
    assert "run failed: fake host 0 died" in tree.by_id("matrix").text()
    assert "not measured" in tree.by_id("floor").text()
    assert "No command lock waits" in tree.by_id("command-waits").text()
    for placeholder in ("cpu-profile", "scaling"):
        assert "not recorded in this run" in tree.by_id(placeholder).text()


def test_results_without_runs_still_render() -> None:
    tree = parse(render_report(from_data(minimal(status="interrupted"))))
    assert [e.attrs["id"] for e in tree.find_all("section")] == SECTION_IDS
    assert "No configuration ran" in tree.by_id("hot-spots").text()


# -- configuration matrix ---------------------------------------------------------------------


def test_best_flags_mark_every_tied_best_and_nothing_when_all_equal() -> None:
    assert best_flags([3.0, 1.0, 2.0, 1.0], Better.LOWER) == [False, True, False, True]
    assert best_flags([3.0, None, 5.0], Better.HIGHER) == [False, False, True]
    assert best_flags([0.0, 0.0, None], Better.LOWER) == [False, False, False]
    assert best_flags([1.0, 2.0], None) == [False, False]


def test_matrix_marks_the_best_cell_of_each_column() -> None:
    runs = [
        run(
            "host-lock+polling-only+3.6",
            db_times=[2.0] * 3,
            period_s=40.0,
            summary={"utilization": 0.25},
        ),
        run(
            "per-vm-lock+event-plus-stats+4.1",
            optimizations=FOUR_ONE,
            db_times=[0.5] * 9,
            period_s=45.0,
            summary={"utilization": 0.25},
            consistency={"checked": True, "divergent_vms": 3, "divergent_before_settle": 7},
        ),
        run(
            "per-vm-lock+event-plus-stats+3.6",
            db_times=[1.0] * 5,
            period_s=31.0,
            summary={"utilization": 0.25},
            consistency={"checked": False, "reason": "interrupted"},
        ),
    ]
    tree = parse(render_report(from_data(minimal(workload={"name": "case"}, runs=runs))))
    table = tree.by_id("matrix-table")
    headers = [th.text() for th in table.find_all("thead")[0].find_all("th")][1:]
    best = {
        row.children[0].text(): {
            headers[i]
            for i, cell in enumerate(c for c in row.children if c.tag == "td")
            if cell.attrs.get("data-best") == "true"
        }
        for row in table.rows()
    }
    # rows: 3.6 on the 4.1 axes first, then 4.1, then the rest (hot-spot order)
    assert list(best) == [
        "per-vm-lock+event-plus-stats+3.6",
        "per-vm-lock+event-plus-stats+4.1",
        "host-lock+polling-only+3.6",
    ]
    # more statistics cycles in the same time is better (the fixed delay fits fewer slow ones)
    assert best["per-vm-lock+event-plus-stats+4.1"] == {
        "DB time / stats cycle",
        "statistics cycles",
        "stats cycle duration",
        "monitoring DB time",
    }
    assert best["per-vm-lock+event-plus-stats+3.6"] == {"effective stats period"}
    assert best["host-lock+polling-only+3.6"] == {"divergent VMs", "divergent before settle"}
    cells = {row.children[0].text(): cell_texts(row)[1:] for row in table.rows()}
    divergent = headers.index("divergent VMs")
    assert cells["per-vm-lock+event-plus-stats+3.6"][divergent] == "-"
    assert cells["per-vm-lock+event-plus-stats+4.1"][divergent] == "3"
    assert (
        cells["per-vm-lock+event-plus-stats+4.1"][headers.index("statistics cycles")] == "★best: 9"
    )
    cycles = headers.index("statistics cycles")
    assert [row[cycles] for row in cells.values()] == ["5", "★best: 9", "3"]


def test_matrix_of_the_study_marks_the_4_1_design(stable_html: str) -> None:
    table = parse(stable_html).by_id("matrix-table")
    row = next(r for r in table.rows() if r.children[0].text().endswith("+4.1"))
    marked = [c for c in row.children if c.attrs.get("data-best") == "true"]
    assert len(marked) >= 4  # DB time, statements, utilization, period, command wait p99
    assert all(c.text().startswith("★best: ") for c in marked)  # star hidden from readers


# -- other sections ---------------------------------------------------------------------------


def test_timeline_draws_each_configuration_and_thins_long_runs(stable: Results) -> None:
    long = hour_long(stable)
    html = render_report(long)
    tree = parse(html)
    for result in long.runs:
        figure = tree.by_id(f"timeline-{SLUGS[result.label]}")
        paths = [p for p in figure.find_all("path") if "marker" in p.classes()]
        circles = paths[0].attrs["d"].count("a3 3 0 1 0 6 0")
        assert 0 < circles <= TIMELINE_POINTS * 2  # two arcs per circle
        if result.fetch == "polling-only":
            assert "thinned" in figure.text()
    assert len(html) < ONE_MEGABYTE


def test_command_waits_chart_and_percentiles(stable: Results, stable_html: str) -> None:
    section = parse(stable_html).by_id("command-waits")
    chart = section.by_id("command-waits-chart")
    assert len([g for g in chart.find_all("g") if "series" in g.classes()]) == 2 * len(stable.runs)
    table = section.by_id("command-waits-table")
    rows = {row.children[0].text(): cell_texts(row) for row in table.rows()}
    for result in stable.runs:
        commands = result.commands
        assert rows[result.label][1:7] == [
            fmt.count(commands.count),
            fmt.count(commands.failed),
            *(fmt.seconds(v) for v in (commands.wait_p50_s, commands.wait_p95_s)),
            fmt.seconds(commands.wait_p99_s),
            fmt.seconds(commands.wait_max_s),
        ]


def test_floor_sets_each_configuration_beside_its_floor(stable: Results, stable_html: str) -> None:
    tree = parse(stable_html)
    for result in stable.runs:
        figure = tree.by_id(f"floor-{SLUGS[result.label]}")
        values = [t.text() for t in figure.find_all("text") if "value" in t.classes()]
        assert values == [
            fmt.seconds(result.floor.write_s_per_stats_cycle),
            fmt.seconds(result.floor.floor_s),
        ]
        tables = [row.children[0].text() for row in figure.find_all("table")[0].rows()]
        assert tables[: len(result.floor.tables)] == list(result.floor.tables)


def test_server_cross_check_reason_when_unavailable(stable_html: str) -> None:
    reason = parse(stable_html).by_id("server-statements-reason").text()
    assert "pg_stat_statements needs PostgreSQL; this database is sqlite" in reason


def test_server_cross_check_table_when_available() -> None:
    result = run("per-vm-lock+event-plus-stats+4.1", optimizations=FOUR_ONE)
    result["server_statements"] = {
        "available": True,
        "reason": None,
        "statements": [
            {
                "sql": "UPDATE vm_statistics SET cpu_user=$1 WHERE vm_guid=$2",
                "labels": ["UpdateVmStatistics"],
                "match": "both",
                "client_calls": 4,
                "server_calls": 24000,
                "client_rows": 24000,
                "server_rows": 24000,
                "client_total_s": 0.092,
                "server_exec_s": 0.061,
            },
            {
                "sql": "BEGIN",
                "labels": [],
                "match": "server-only",
                "client_calls": 0,
                "server_calls": 9,
                "client_rows": 0,
                "server_rows": 0,
                "client_total_s": 0.0,
                "server_exec_s": 0.001,
            },
        ],
    }
    other = run("per-vm-lock+event-plus-stats+3.6")
    other["server_statements"] = {"available": False, "reason": "interrupted before the snapshot"}
    results = from_data(minimal(workload={"name": "pg"}, runs=[result, other]))
    tree = parse(render_report(results))
    block = tree.by_id("server-statements-per-vm-lock-event-plus-stats-4-1")
    rows = [cell_texts(row) for row in block.find_all("table")[0].rows()]
    assert rows[0][0].startswith("UpdateVmStatistics")
    assert rows[0][1:] == ["both", "4", "24,000", "24,000", "24,000", "92 ms", "61 ms"]
    assert rows[1][1] == "server-only"
    assert (
        "interrupted before the snapshot"
        in tree.by_id("server-statements-per-vm-lock-event-plus-stats-3-6").text()
    )


# -- escaping, embedding, self-containedness, size --------------------------------------------


def hostile_results() -> Results:
    """Results whose every free-text field tries to inject markup or end a script."""
    result = run(f"per-vm-lock+event-plus-stats+{HOSTILE}", db_times=[0.5, 0.5])
    result["statements"] = [
        {
            "label": HOSTILE,
            "sql": f"SELECT '{BREAKOUT}' FROM vm_dynamic WHERE x < 1 && y > 2",
            "calls": 2,
            "rows": 1,
            "total_s": 0.5,
            "mean_s": 0.25,
            "p50_s": 0.2,
            "p95_s": 0.3,
            "p99_s": 0.3,
            "max_s": 0.3,
            "share": 1.0,
            "kind": HOSTILE,
        }
    ]
    result["consistency"] = {
        "checked": True,
        "divergent_vms": 1,
        "divergent_before_settle": 1,
        "examples": [f"vm-{HOSTILE}: status differs"],
    }
    result["commands"] = {
        "count": 1,
        "waits_s": [0.1],
        "errors": [HOSTILE],
        "by_kind": {HOSTILE: 1},
    }
    result["error"] = HOSTILE
    result["floor"] = {
        "tables": {HOSTILE: {"rows": 1, "floor_s": 0.1}},
        "floor_s": 0.1,
        "write_s_per_stats_cycle": 0.2,
    }
    result["server_statements"] = {"available": False, "reason": HOSTILE}
    return from_data(
        minimal(
            workload={"name": HOSTILE, "description": BREAKOUT, "vms": 1, "faults": [HOSTILE]},
            environment={"hostname": HOSTILE, "python": "3.11"},
            database={"url": f"sqlite:///{HOSTILE}", "dialect": "sqlite"},
            runs=[result],
            status="failed",
            failure=HOSTILE,
            notes=[HOSTILE],
        )
    )


def test_hostile_strings_render_as_text() -> None:
    html = render_report(hostile_results())
    assert "<script>alert" not in html.lower()
    assert html.count("<script") == 2  # the JSON data and the report's own script
    assert HOSTILE_ESCAPED in html
    tree = parse(html)
    texts = tree.text()
    assert HOSTILE in texts  # what the reader sees is the original text
    assert BREAKOUT.replace("</script>", "</script>") in " ".join(
        e.text() for e in tree.find_all("code")
    )
    chart = tree.find_all("figure")[0]
    assert HOSTILE in chart.text()


def test_embedded_json_is_safe_and_round_trips() -> None:
    hostile = hostile_results()
    html = render_report(hostile)
    block = html.split('id="results-data">', 1)[1].split("</script>", 1)[0]
    for character in "<>&":
        assert character not in block
    data = json.loads(block)
    assert data["workload"]["name"] == HOSTILE
    assert data["runs"][0]["statements"][0]["sql"].startswith(f"SELECT '{BREAKOUT}'")


def test_embedded_json_leaves_out_raw_samples(stable: Results, stable_html: str) -> None:
    data = data_block(stable_html)
    assert data["format_version"] == 1
    assert "embedded" in data
    for embedded, result in zip(data["runs"], stable.runs, strict=True):
        assert "cycles" not in embedded
        assert embedded["cycles_count"] == len(result.cycles)
        assert "waits_s" not in embedded["commands"]
        assert embedded["statements"] == sorted(
            as_data(stable)["runs"][stable.runs.index(result)]["statements"],
            key=lambda s: s["total_s"],
            reverse=True,
        )
        assert embedded["statements_count"] == len(result.statements)
    assert stable.runs[0].commands.waits_s, "rendering must not modify the results"


def test_report_is_self_contained(fixture_results: Results) -> None:
    html = render_report(fixture_results)
    for external in ("http://", "https://", "src=", "@import", "url("):
        assert external not in html
    tree = parse(html)
    for element in tree.iter():
        href = element.attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "data:")), href
    assert [e.attrs.get("rel") for e in tree.find_all("link")] == ["icon"]
    policy = tree.find_all("meta", **{"http-equiv": "Content-Security-Policy"})[0]
    assert policy.attrs["content"].startswith("default-src 'none'")


def test_study_report_stays_small(stable_html: str) -> None:
    assert len(stable_html.encode("utf-8")) < ONE_MEGABYTE / 2


def test_write_report_replaces_the_file_atomically(stable: Results, tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.html"
    path.parent.mkdir()
    path.write_text("old")
    write_report(stable, path)
    assert path.read_text("utf-8") == render_report(stable)
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def hour_long(base: Results) -> Results:
    """The study's five configurations stretched to one simulated hour of raw samples."""

    def stretch(data: dict[str, Any]) -> None:
        for result in data["runs"]:
            polling = result["fetch"] == "polling-only"
            cycles: list[dict[str, Any]] = []
            start, stats_s = 0.0, result["summary"]["stats_cycle_s"]
            while start < 3600:
                cycles.append({"kind": "stats", "host": 0, "start_s": start, "duration_s": stats_s})
                if polling:
                    cycles += [
                        {"kind": "list", "host": 0, "start_s": start + stats_s + 3 * i}
                        | {"duration_s": 0.2}
                        for i in range(1, 5)
                    ]
                start += stats_s + 15
            cycles += [
                {"kind": "event", "host": 0, "start_s": i * 0.5, "duration_s": 0.01}
                for i in range(2000)
            ]
            result["cycles"] = cycles
            result["commands"]["waits_s"] = [i * 1e-3 for i in range(1800)]
            result["summary"]["simulated_s"] = 3600.0

    return edited(base, stretch)


def test_db_work_has_its_own_hot_spots_and_columns_where_it_was_counted(
    stable_html: str,
) -> None:
    results = Results.load(FIXTURES.parent / "compare" / "gate-loaded-run1.json")
    html = render_report(results)
    assert html.count('class="switch-view"') == 2
    assert 'id="hot-spots-work-pair"' in html
    run = results.run("per-vm-lock+event-plus-stats+4.1")
    assert run is not None
    light = next(s for s in run.statements if s.label == "GetVmNetworkInterfaceToMonitorByVmId")
    assert light.blocks is not None
    assert f"{fmt.count(light.blocks)} blocks" in html
    assert f'data-value="{light.blocks}"' in html  # its statement-table cell, sortable
    # results without the server's counts (older files, SQLite) show neither
    assert 'class="switch-view"' not in stable_html
    assert ">DB work<" not in stable_html


def test_sqlite_vm_steps_get_a_column_where_they_were_counted(stable_html: str) -> None:
    results = Results.load(FIXTURES / "smoke.json")
    run = results.runs[0]
    counted = replace(run, statements=tuple(replace(s, vm_steps=1234567) for s in run.statements))
    html = render_report(replace(results, runs=(counted, *results.runs[1:])))
    assert html.count(">VM steps<") == len(results.runs)  # one header per table
    assert ">1,234,567<" in html
    assert ">VM steps<" not in stable_html
