"""The sweep page: capacity table, projection plots, relative links, escaping, CSP."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from vmmonbench import units as fmt
from vmmonbench.render.html import render_sweep, write_sweep_report
from vmmonbench.sweep_results import SweepResult

from .htmltree import Element, parse
from .pages import assert_self_contained, cell_texts

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "results" / "sweep.json"
SECTION_IDS = ["capacity", "plots", "sizes"]
PLOTS = ["plot-db-time", "plot-processing", "plot-statements", "plot-utilization"]
REPORTS = ["h1-n50/report.html", "h1-n100/report.html", "h1-n200/report.html"]
HOSTILE = "<script>alert(1)</script>"
BREAKOUT = "</script><script>alert(2)</script>"


@pytest.fixture
def sweep() -> dict[str, Any]:
    """tests/fixtures/results/sweep.json: smoke at 50, 100 and 200 VMs, five configurations."""
    data: dict[str, Any] = json.loads(FIXTURE.read_text("utf-8"))
    return data


@pytest.fixture
def tree(sweep: dict[str, Any]) -> Element:
    """The fixture's page."""
    return parse(render_sweep(typed(sweep)))


def typed(data: dict[str, Any]) -> SweepResult:
    """sweep.json's data read as the sweep page gets it."""
    return msgspec.convert(data, SweepResult)


def capacity(tree: Element) -> dict[str, list[str]]:
    """The capacity table's cells by configuration label."""
    return {
        row.children[0].attrs["data-value"]: cell_texts(row)
        for row in tree.by_id("capacity-table").rows()
    }


def test_sections_plots_and_header(sweep: dict[str, Any], tree: Element) -> None:
    assert [e.attrs["id"] for e in tree.find_all("section")] == SECTION_IDS
    nav = [a.attrs["href"] for e in tree.find_all("nav") for a in e.find_all("a")]
    assert nav == [f"#{section}" for section in SECTION_IDS]
    ids = [e.attrs["id"] for e in tree.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert [f.attrs["id"] for f in tree.by_id("plots").find_all("figure")] == PLOTS
    assert tree.by_id("status").text().startswith("complete")
    assert tree.by_id("sweep-sizes").text() == (
        "VMs per host: 50, 100, 200 · hosts: 1 · 30 s simulated per size"
    )
    assert tree.find_all("title")[0].text() == "vmmonbench sweep: smoke (complete)"


def test_capacity_table_numbers(sweep: dict[str, Any], tree: Element) -> None:
    rows = capacity(tree)
    assert list(rows) == [model["label"] for model in sweep["models"]]
    for model in sweep["models"]:
        processing = model["processing"]
        assert rows[model["label"]][1:] == [
            "1",
            "50, 100, 200",
            fmt.seconds(processing["per_vm"]),
            fmt.seconds(processing["fixed"]),
            f"{processing['r2']:.3f}",
            fmt.seconds(model["db_time"]["per_vm"]),
            f"{model['statements']['per_vm']:,.2f}",
            f"{model['saturation_vms']:,.0f} VMs",
            f"{model['half_utilization_vms']:,.0f} VMs",
        ]
    optimized = rows["per-vm-lock+event-plus-stats+4.1"]
    assert optimized[8] == "41,130 VMs"  # the 4.1 design saturates last
    legacy = rows["per-vm-lock+event-plus-stats+3.6"]
    assert legacy[4] == "-2.91 ms"  # a fit can have a negative intercept: shown as it is


def test_not_reached_and_no_fit(sweep: dict[str, Any]) -> None:
    flat, single = sweep["models"][0], sweep["models"][1]
    flat["processing"]["per_vm"] = -0.001
    flat["saturation_vms"] = None
    flat["half_utilization_vms"] = None
    single["points"] = single["points"][:1]
    for key in ("processing", "db_time", "statements", "load"):
        single[key] = None
    single["saturation_vms"] = single["half_utilization_vms"] = None
    tree = parse(render_sweep(typed(sweep)))
    rows = capacity(tree)
    assert rows[flat["label"]][-2:] == ["not reached", "not reached"]
    assert rows[single["label"]][2:] == ["50", "-", "-", "-", "-", "-", "-", "-"]
    cells = {
        r.children[0].attrs["data-value"]: r.children[-2]
        for r in tree.by_id("capacity-table").rows()
    }
    assert cells[flat["label"]].attrs["data-value"] == "Infinity"  # sorts as the most capacity
    assert cells[single["label"]].attrs["data-value"] == ""


def series(figure: Element) -> dict[str, Element]:
    """A plot's drawn series (not its legend entries) by name."""
    return {
        g.find_all("title")[0].text(): g
        for g in figure.find_all("g")
        if "series" in g.classes() and "legend" not in g.classes()
    }


def test_processing_plot_extends_each_fit_to_its_saturation(
    sweep: dict[str, Any], tree: Element
) -> None:
    figure = tree.by_id("plot-processing")
    drawn = series(figure)
    assert "15 s statistics interval" in drawn
    assert "dashed" in drawn["15 s statistics interval"].classes()
    legend = [g.text() for g in figure.find_all("g") if "legend" in g.classes()]
    assert legend == ["15 s statistics interval"] + [m["label"] for m in sweep["models"]]
    for model in sweep["models"]:
        label = model["label"]
        assert "dashed" in drawn[f"{label}: fitted"].classes()
        cross = drawn[f"{label}: projected {model['saturation_vms']:,.0f} VMs"]
        assert "cross" in cross.find_all("path")[0].classes()
        markers = drawn[label].find_all("path")[0].attrs["d"]
        assert markers.count("a3 3 0 1 0 6 0") == len(model["points"])  # measured: 3 sizes
    text = " ".join(t.text() for t in figure.find_all("text"))
    assert "100,000" in text  # the log VM axis reaches past the farthest projection


def test_fitted_line_ends_at_the_interval(sweep: dict[str, Any], tree: Element) -> None:
    figure = tree.by_id("plot-processing")
    drawn = series(figure)
    limit = drawn["15 s statistics interval"].find_all("path")[0].attrs["d"]
    level = float(re.match(r"M[\d.]+ ([\d.]+)", limit).group(1))  # type: ignore[union-attr]
    for model in sweep["models"]:
        line = drawn[f"{model['label']}: fitted"].find_all("path")[0].attrs["d"]
        last_y = float(line.rsplit(" ", 1)[1])
        assert last_y == pytest.approx(level, abs=0.6), model["label"]


def test_utilization_plot_has_the_half_line(sweep: dict[str, Any], tree: Element) -> None:
    drawn = series(tree.by_id("plot-utilization"))
    assert "50 % utilization" in drawn
    for model in sweep["models"]:
        assert f"{model['label']}: projected {model['half_utilization_vms']:,.0f} VMs" in drawn


def test_measured_values_table(sweep: dict[str, Any], tree: Element) -> None:
    rows = [cell_texts(r) for r in tree.by_id("measured-table").rows()]
    expected = [
        [
            model["label"],
            "1",
            fmt.count(point["vms"]),
            fmt.seconds(point["stats_cycle_s"]),
            fmt.seconds(point["db_time_per_stats_cycle_s"]),
            fmt.count(round(point["statements_per_stats_cycle"], 1)),
            fmt.percent(point["utilization"]),
            fmt.seconds(point["effective_stats_period_s"]),
        ]
        for model in sweep["models"]
        for point in model["points"]
    ]
    assert rows == expected
    assert "open" not in tree.by_id("measured-details").attrs


def test_sizes_link_to_each_report_relative_to_the_sweep_folder(tree: Element) -> None:
    table = tree.by_id("sizes-table")
    hrefs = [a.attrs["href"] for a in table.find_all("a")]
    assert hrefs == [
        h for report in REPORTS for h in (report, report.replace("report.html", "results.json"))
    ]
    assert [cell_texts(r)[:3] for r in table.rows()] == [
        ["50", "1", "complete"],
        ["100", "1", "complete"],
        ["200", "1", "complete"],
    ]


def test_links_lead_to_the_sweep_folder_from_elsewhere(
    sweep: dict[str, Any], tmp_path: Path
) -> None:
    sweep_dir = tmp_path / "sweep out"
    sweep_dir.mkdir()
    path = tmp_path / "pages" / "sweep.html"
    path.parent.mkdir()
    write_sweep_report(typed(sweep), path, assets_dir=sweep_dir)
    tree = parse(path.read_text("utf-8"))
    hrefs = [a.attrs["href"] for a in tree.by_id("sizes-table").find_all("a")]
    assert hrefs[0] == "../sweep%20out/h1-n50/report.html"
    assert all(h.startswith("../sweep%20out/") for h in hrefs)
    assert "../sweep%20out/" in tree.by_id("sizes").find_all("p")[0].text()
    beside = tmp_path / "beside.html"
    write_sweep_report(typed(sweep), beside, assets_dir=tmp_path)
    assert [a.attrs["href"] for a in parse(beside.read_text("utf-8")).find_all("a")][-1] == (
        "h1-n200/results.json"
    )


def test_odd_results_paths_are_shown_not_followed(sweep: dict[str, Any]) -> None:
    paths = ["../../etc/passwd", "/etc/passwd", "javascript:alert(1)/results.json", "a b/r.json"]
    sweep["runs"] = [
        {"vms": 10 * i, "hosts": 1, "results": p, "status": "complete"}
        for i, p in enumerate(paths, 1)
    ]
    tree = parse(render_sweep(typed(sweep)))
    rows = tree.by_id("sizes-table").rows()
    links = [[a.attrs["href"] for a in row.find_all("a")] for row in rows]
    assert links[:2] == [[], []]
    assert links[2] == [
        "javascript%3Aalert%281%29/report.html",
        "javascript%3Aalert%281%29/results.json",
    ]
    assert links[3] == ["a%20b/report.html", "a%20b/r.json"]
    assert cell_texts(rows[1])[4] == "/etc/passwd"


def hostile_sweep(sweep: dict[str, Any]) -> dict[str, Any]:
    """A sweep whose every free-text field tries to inject markup or end a script."""
    hostile = copy.deepcopy(sweep)
    hostile["workload"]["name"] = HOSTILE
    hostile["workload"]["description"] = BREAKOUT
    hostile["status"] = "failed"
    hostile["failure"] = f'"><img onerror=alert(3)>{BREAKOUT}'
    hostile["models"][0]["label"] = HOSTILE
    hostile["runs"][0]["results"] = f"{BREAKOUT}.json"
    return hostile


def test_hostile_strings_render_as_text(sweep: dict[str, Any]) -> None:
    html = render_sweep(typed(hostile_sweep(sweep)))
    assert "<script>alert" not in html.lower()
    assert "<img" not in html.lower()
    assert html.count("<script") == 2  # the embedded sweep.json and the page's own script
    tree = parse(html)
    assert tree.find_all("h1")[0].text() == f"vmmonbench sweep: {HOSTILE}"
    assert BREAKOUT in tree.by_id("status").text()
    assert HOSTILE in capacity(tree)
    assert HOSTILE in tree.by_id("plot-processing").text()
    sizes = tree.by_id("sizes-table")
    assert f"{BREAKOUT}.json" in sizes.text()
    hrefs = [a.attrs["href"] for a in sizes.rows()[0].find_all("a")]
    assert hrefs[1] == "%3C/script%3E%3Cscript%3Ealert%282%29%3C/script%3E.json"  # encoded


def test_embedded_sweep_json_is_safe_and_round_trips(sweep: dict[str, Any]) -> None:
    hostile = hostile_sweep(sweep)
    html = render_sweep(typed(hostile))
    block = html.split('id="sweep-data">', 1)[1].split("</script>", 1)[0]
    for character in "<>&":
        assert character not in block
    assert json.loads(block) == hostile


def test_page_is_self_contained(sweep: dict[str, Any]) -> None:
    html = render_sweep(typed(sweep))
    hrefs = {h for r in REPORTS for h in (r, r.replace("report.html", "results.json"))}
    assert_self_contained(html, allowed_hrefs=hrefs)


def test_an_empty_sweep_still_renders() -> None:
    tree = parse(render_sweep(typed({"workload": {}, "sizes": [], "hosts": []})))
    assert [e.attrs["id"] for e in tree.find_all("section")] == SECTION_IDS
    assert "nothing to fit" in tree.by_id("capacity").text()
    assert "No size ran" in tree.by_id("sizes").text()
    assert len(tree.by_id("plots").find_all("figure")) == 4


def test_write_sweep_report_replaces_the_file_atomically(
    sweep: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "sweep.html"
    path.write_text("old")
    write_sweep_report(typed(sweep), path)
    assert path.read_text("utf-8") == render_sweep(typed(sweep))
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.html"]
