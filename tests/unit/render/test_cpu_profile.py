"""The report's CPU profile section: hot spots, code vs DB bars, files, reasons, escaping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.results_data import as_data, edited
from vmmonbench import units as fmt
from vmmonbench.configuration import ALL_OPTIMIZATIONS
from vmmonbench.figures import is_monitoring_statement
from vmmonbench.render.report import render_report, write_report
from vmmonbench.render.report.cpu_profile import breakable, profile_file, short_location
from vmmonbench.results import Results

from .htmltree import Element, parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "results"
LEGACY = "per-vm-lock-event-plus-stats-3-6"
OPTIMIZED = "per-vm-lock-event-plus-stats-4-1"
HOSTILE = "<script>alert(1)</script>"
BREAKOUT = "</script><script>alert(2)</script>"
NO_PTRACE = (
    "py-spy cannot attach to pid 4242: Operation not permitted (os error 1); run as root, "
    "or grant CAP_SYS_PTRACE (e.g. docker run --cap-add SYS_PTRACE), "
    "or allow tracing with sysctl kernel.yama.ptrace_scope=0"
)


@pytest.fixture(scope="module")
def profiled() -> Results:
    """The legacy 3.6 and the 4.1 design, both run with --profile."""
    return Results.load(FIXTURES / "profiled.json")


@pytest.fixture(scope="module")
def tree(profiled: Results) -> Element:
    """The profiled fixture's report."""
    return parse(render_report(profiled))


def cpu(results: Results, label: str) -> dict[str, Any]:
    """The stored CPU profile of one run, as results.json holds it."""
    found = next((run for run in as_data(results)["runs"] if run["label"] == label), None)
    assert found is not None
    profile: dict[str, Any] = found["cpu_profile"]
    return profile


def cells(row: Element) -> list[str]:
    """The text of each cell of a table row."""
    return [cell.text() for cell in row.children if cell.tag in {"td", "th"}]


def bars(element: Element) -> list[Element]:
    """The bar groups of the horizontal bar charts below `element`."""
    return [g for g in element.find_all("g") if g.find_all("rect")]


def without_profiles(results: Results, **cpu_profile: Any) -> Results:
    """A copy whose runs carry `cpu_profile` instead of their profiles."""

    def replace_profiles(data: dict[str, Any]) -> None:
        for result in data["runs"]:
            result["cpu_profile"] = dict(cpu_profile)

    return edited(results, replace_profiles)


# -- with profiles ----------------------------------------------------------------------------


def test_legacy_and_optimized_profiles_are_side_by_side(tree: Element) -> None:
    section = tree.by_id("cpu-profile")
    pair = section.by_id("cpu-profile-pair")
    assert [e.attrs["id"] for e in pair.children] == [
        f"cpu-profile-{LEGACY}",
        f"cpu-profile-{OPTIMIZED}",
    ]
    assert "3.6 design" in pair.children[0].find_all("h3")[0].text()
    assert "4.1 design" in pair.children[1].find_all("h3")[0].text()
    for slug in (LEGACY, OPTIMIZED):
        block = section.by_id(f"cpu-profile-{slug}")
        assert block.by_id(f"cpu-code-vs-db-{slug}").find_all("svg")
        assert block.by_id(f"cpu-hot-spots-{slug}").tag == "table"
    ids = [e.attrs["id"] for e in tree.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids)), "duplicate ids"


def test_sample_count_rate_and_totals(profiled: Results, tree: Element) -> None:
    legacy = cpu(profiled, "per-vm-lock+event-plus-stats+3.6")
    text = tree.by_id(f"cpu-profile-{LEGACY}-samples").text()
    assert text.startswith(f"{legacy['samples']} samples at 25 Hz (2.28 s sampled)")
    code_s = sum(s["self_s"] for s in legacy["monitoring_hot_spots"])
    assert f"monitoring code {fmt.seconds(code_s)} self time in 16 functions" in text
    statements = profiled.runs[0].statements
    assert f"DB self time {fmt.seconds(sum(s.total_s for s in statements))}" in text
    headline = tree.by_id("cpu-headline").text()
    assert "sampled time in monitoring code 1.68 s → 880 ms" in headline


def test_monitoring_hot_spot_table_numbers(profiled: Results, tree: Element) -> None:
    for label, slug in (
        ("per-vm-lock+event-plus-stats+3.6", LEGACY),
        ("per-vm-lock+event-plus-stats+4.1", OPTIMIZED),
    ):
        spots = cpu(profiled, label)["monitoring_hot_spots"]
        table = tree.by_id(f"cpu-hot-spots-{slug}")
        rows = [cells(row) for row in table.rows()]
        assert len(rows) == len(spots)
        for row, spot in zip(rows, spots, strict=True):
            assert row == [
                spot["function"],
                short_location(spot["location"]),
                fmt.count(spot["self_samples"]),
                fmt.percent(spot["self_percent"] / 100),
                fmt.percent(spot["total_percent"] / 100),
                fmt.seconds(spot["self_s"]),
            ]
    first = tree.by_id(f"cpu-hot-spots-{LEGACY}").rows()[0]
    assert cells(first)[:2] == ["save", "monitor/persistence.py:10"]
    where = first.find_all("code")[1]
    assert where.attrs["title"] == "/work/main/vmmonbench/monitor/persistence.py:10"
    legacy_rows = tree.by_id(f"cpu-hot-spots-{LEGACY}").rows()
    samples = [float(row.children[2].attrs["data-value"]) for row in legacy_rows]
    assert samples == sorted(samples, reverse=True), "initially by self samples"


def test_all_sampled_functions_stay_collapsed(profiled: Results, tree: Element) -> None:
    block = tree.by_id(f"cpu-profile-{LEGACY}")
    details = block.find_all("details")[0]
    assert "open" not in details.attrs
    rows = details.find_all("table")[0].rows()
    assert len(rows) == len(cpu(profiled, "per-vm-lock+event-plus-stats+3.6")["hot_spots"])
    assert cells(rows[0])[1] == "sqlalchemy/sql/compiler.py:1967"


def test_code_vs_db_bars_tell_cpu_from_db(profiled: Results, tree: Element) -> None:
    for label, slug in (
        ("per-vm-lock+event-plus-stats+3.6", LEGACY),
        ("per-vm-lock+event-plus-stats+4.1", OPTIMIZED),
    ):
        rows = cpu(profiled, label)["code_vs_db"]
        drawn = bars(tree.by_id(f"cpu-code-vs-db-{slug}"))
        assert len(drawn) == len(rows)
        for bar, row in zip(drawn, rows, strict=True):
            label_text, value_text = (t.text() for t in bar.find_all("text"))
            assert label_text == row["name"]
            if row["kind"] == "cpu":
                assert bar.classes() == {"t-cpu"}
                assert value_text == f"{fmt.seconds(row['seconds'])} CPU"
            else:
                red = is_monitoring_statement(row["name"])
                assert bar.classes() == {"t-monitoring" if red else "t-other"}
                calls = fmt.count(row["calls"])
                assert value_text.startswith(f"{fmt.seconds(row['seconds'])} DB · {calls} call")
    optimized = bars(tree.by_id(f"cpu-code-vs-db-{OPTIMIZED}"))
    static = next(g for g in optimized if g.find_all("text")[0].text() == "UpdateVmStatic")
    assert static.classes() == {"t-other"}  # not a monitoring statement: grey, as in hot spots


def test_code_vs_db_charts_share_one_scale(profiled: Results, tree: Element) -> None:
    ratios = set()
    for label, slug in (
        ("per-vm-lock+event-plus-stats+3.6", LEGACY),
        ("per-vm-lock+event-plus-stats+4.1", OPTIMIZED),
    ):
        rows = cpu(profiled, label)["code_vs_db"]
        for bar, row in zip(bars(tree.by_id(f"cpu-code-vs-db-{slug}")), rows, strict=True):
            width = float(bar.find_all("rect")[0].attrs["width"])
            if width > 2:
                ratios.add(round(width / row["seconds"], 1))
    assert max(ratios) / min(ratios) == pytest.approx(1.0, abs=0.01)


def test_profile_files_are_linked_beside_the_report(profiled: Results, tree: Element) -> None:
    legacy = cpu(profiled, "per-vm-lock+event-plus-stats+3.6")
    block = tree.by_id(f"cpu-profile-{LEGACY}")
    links = {a.text(): a.attrs["href"] for a in block.find_all("a")}
    assert links == {
        legacy["flamegraph"]: legacy["flamegraph"],
        legacy["speedscope"]: legacy["speedscope"],
    }
    files = block.find_all("ul")[0].text()
    assert "flame graph: cpu-per-vm-lock_event-plus-stats_3.6.flamegraph.svg" in files
    assert "(open in https://www.speedscope.app" in files  # as text: nothing loads it


def test_report_with_profiles_stays_self_contained(profiled: Results) -> None:
    html = render_report(profiled)
    for external in ("src=", "@import", "url(", "http://"):
        assert external not in html
    tree = parse(html)
    files = {
        cpu(profiled, r.label)[key] for r in profiled.runs for key in ("flamegraph", "speedscope")
    }
    for element in tree.iter():
        for name, value in element.attrs.items():
            assert "https://" not in value, (element.tag, name)
        href = element.attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "data:")) or href in files, href
    assert html.count("https://") == len(profiled.runs)  # the speedscope hint, as plain text
    policy = tree.find_all("meta", **{"http-equiv": "Content-Security-Policy"})[0]
    assert policy.attrs["content"].startswith("default-src 'none'")


def test_absent_profile_files_do_not_matter(profiled: Results, tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "report.html"
    path.parent.mkdir()
    write_report(profiled, path)
    assert not list(tmp_path.rglob("*.svg"))
    tree = parse(path.read_text("utf-8"))
    hrefs = [a.attrs["href"] for a in tree.by_id("cpu-profile").find_all("a")]
    assert len(hrefs) == 4
    assert all("/" not in href for href in hrefs)  # relative to the report's own folder


# -- without profiles -------------------------------------------------------------------------


def test_not_requested_says_not_recorded(profiled: Results) -> None:
    plain = edited(without_profiles(profiled), lambda data: data["extra"].pop("cpu_profile"))
    section = parse(render_report(plain)).by_id("cpu-profile")
    assert "CPU profile: not recorded in this run" in section.text()
    assert "vmmonbench run --profile" in section.text()
    assert not section.find_all("table")


def test_py_spy_unavailable_shows_the_reason_once(profiled: Results) -> None:
    denied = edited(
        without_profiles(profiled, available=False, reason=NO_PTRACE),
        lambda data: data["extra"].update(
            cpu_profile={"requested": True, "available": False, "reason": NO_PTRACE}
        ),
    )
    section = parse(render_report(denied)).by_id("cpu-profile")
    reason = section.by_id("cpu-profile-reason").text()
    assert reason == f"No CPU profile for any configuration: {NO_PTRACE}."
    assert "CAP_SYS_PTRACE" in reason
    assert not section.find_all("table")
    assert section.text().count("py-spy cannot attach") == 1


def test_a_configuration_without_a_profile_gives_its_own_reason(profiled: Results) -> None:

    def mix(data: dict[str, Any]) -> None:
        data["runs"][0]["cpu_profile"] = {"available": False, "reason": "no profile written"}
        data["runs"][1]["cpu_profile"] = {}  # requested, but this run stored none

    mixed = edited(profiled, mix)
    tree = parse(render_report(mixed))
    assert (
        tree.by_id(f"cpu-profile-{LEGACY}").text().endswith("No CPU profile: no profile written.")
    )
    optimized = tree.by_id(f"cpu-profile-{OPTIMIZED}").text()
    assert optimized.endswith("No CPU profile: not recorded for this configuration.")
    assert not tree.find_all(id="cpu-headline")


def test_other_configurations_follow_the_pair(profiled: Results) -> None:
    extra_run = {
        "label": "host-lock+polling-only+3.6",
        "lock": "host-lock",
        "fetch": "polling-only",
        "optimizations": [],
        "summary": {},
        "statements": [],
        "cycles": [],
    }
    mixed = edited(profiled, lambda data: data["runs"].append(extra_run))
    tree = parse(render_report(mixed))
    assert tree.by_id("cpu-headline")
    other = tree.by_id("cpu-profile-host-lock-polling-only-3-6")
    assert other not in tree.by_id("cpu-profile-pair").iter()
    assert other.text().endswith("No CPU profile: not recorded for this configuration.")


def test_without_a_legacy_and_optimized_pair_profiles_go_in_a_grid(profiled: Results) -> None:
    def keep_one(data: dict[str, Any]) -> None:
        data["runs"] = data["runs"][1:2]
        data["runs"][0]["optimizations"] = sorted(o.value for o in ALL_OPTIMIZATIONS)[:3]

    alone = edited(profiled, keep_one)
    section = parse(render_report(alone)).by_id("cpu-profile")
    assert not section.find_all(id="cpu-profile-pair")
    assert section.by_id(f"cpu-hot-spots-{OPTIMIZED}").rows()


# -- escaping ---------------------------------------------------------------------------------


def hostile_profile(results: Results) -> Results:
    """A profile whose functions, paths, statements, file names and reason try to inject."""
    spot = {
        "function": HOSTILE,
        "location": f"/srv/vmmonbench/monitor/{BREAKOUT}.py:7",
        "self_samples": 3,
        "total_samples": 4,
        "self_percent": 30.0,
        "total_percent": 40.0,
        "self_s": 0.12,
    }
    legacy_profile = {
        "available": True,
        "rate_hz": 25.0,
        "samples": 10,
        "speedscope": "javascript:alert(3)",
        "flamegraph": f'"><img src=x onerror=alert(4)>{HOSTILE}.svg',
        "hot_spots": [spot],
        "monitoring_hot_spots": [spot],
        "code_vs_db": [
            {"kind": "cpu", "name": HOSTILE, "where": spot["location"], "seconds": 0.12},
            {"kind": "db", "name": HOSTILE, "where": BREAKOUT, "seconds": 0.1, "calls": 2},
        ],
    }
    optimized_profile = {
        "available": False,
        "reason": f"{HOSTILE}; see ../{BREAKOUT}",
    }

    def inject(data: dict[str, Any]) -> None:
        data["runs"][0]["cpu_profile"] = legacy_profile
        data["runs"][1]["cpu_profile"] = optimized_profile

    return edited(results, inject)


def test_hostile_function_names_paths_and_files_render_as_text(profiled: Results) -> None:
    html = render_report(hostile_profile(profiled))
    assert "<script>alert" not in html.lower()
    assert "<img" not in html.lower()
    assert html.count("<script") == 2  # the JSON data and the report's own script
    tree = parse(html)
    legacy = tree.by_id(f"cpu-profile-{LEGACY}")
    row = cells(tree.by_id(f"cpu-hot-spots-{LEGACY}").rows()[0])
    assert row[:2] == [HOSTILE, f"monitor/{BREAKOUT}.py:7"]
    chart = [t.text() for t in legacy.find_all("text")]
    assert chart.count(HOSTILE) == 2
    assert any(BREAKOUT in t.text() for t in legacy.find_all("title"))
    # the flame graph's name holds a slash (from </script>): shown, not linked
    assert [a.attrs["href"] for a in legacy.find_all("a")] == ["javascript%3Aalert%283%29"]
    files = legacy.find_all("ul")[0].text()
    assert f'flame graph: "><img src=x onerror=alert(4)>{HOSTILE}.svg' in files
    assert f"{HOSTILE}; see ../{BREAKOUT}" in tree.by_id(f"cpu-profile-{OPTIMIZED}").text()


def test_file_names_with_folders_are_not_linked() -> None:
    spaced = profile_file("flame graph", "cpu-a b.svg")
    assert spaced is not None
    assert spaced.href == "cpu-a%20b.svg"
    for name in ("../cpu.svg", "/etc/passwd", "a\\b.svg", "..", "."):
        found = profile_file("speedscope profile", name)
        assert found is not None
        assert found.href is None, name
    assert profile_file("flame graph", "") is None
    assert profile_file("flame graph", None) is None


# -- helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "short"),
    [
        ("/work/main/vmmonbench/monitor/persistence.py:10", "monitor/persistence.py:10"),
        (
            "/work/main/.venv/lib/python3.11/site-packages/sqlalchemy/engine/base.py:1813",
            "sqlalchemy/engine/base.py:1813",
        ),
        (
            "/home/u/vmmonbench/.venv/lib/python3.11/site-packages/vmmonbench/monitor/core.py:5",
            "monitor/core.py:5",
        ),
        ("/root/.pyenv/versions/3.11.7/lib/python3.11/threading.py:295", "threading.py:295"),
        ("/usr/lib/python3/dist-packages/yaml/reader.py:3", "yaml/reader.py:3"),
        ("<frozen _collections_abc>:771", "<frozen _collections_abc>:771"),
        ("C:\\src\\vmmonbench\\monitor\\analysis.py:85", "monitor/analysis.py:85"),
        ("vmmonbench/vdsm.py:146", "vdsm.py:146"),
        ("somewhere.py", "somewhere.py"),
        ("", ""),
    ],
)
def test_locations_are_cut_to_the_path_inside_the_package(location: str, short: str) -> None:
    assert short_location(location) == short


def test_breakable_names_are_escaped_with_break_opportunities() -> None:
    assert breakable("VmAnalyzer.analyze.<locals>", ".") == (
        "VmAnalyzer.<wbr>analyze.<wbr>&lt;locals&gt;"
    )
    assert breakable("plain", ".") == "plain"
