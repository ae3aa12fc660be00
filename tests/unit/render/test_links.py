"""Links from a page to files beside its results: relative, percent-encoded, never outside."""

from __future__ import annotations

from pathlib import Path

import pytest

from vmmonbench.render.html import render_report, write_report
from vmmonbench.render.links import file_href, folder_href
from vmmonbench.results import Results

from .htmltree import parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "results"
LEGACY = "per-vm-lock+event-plus-stats+3.6"


@pytest.fixture(scope="module")
def profiled() -> Results:
    """The 3.6 and 4.1 designs, both with CPU profile files."""
    return Results.load(FIXTURES / "profiled.json")


def profile_hrefs(html: str) -> list[str]:
    """The links of the CPU profile section."""
    return [a.attrs["href"] for a in parse(html).by_id("cpu-profile").find_all("a")]


def test_folder_href_walks_from_the_page_to_the_assets(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "run 1"
    assert folder_href(None, tmp_path) == ""
    assert folder_href(run, run) == ""
    assert folder_href(run, tmp_path) == "runs/run%201/"
    assert folder_href(run, tmp_path / "pages") == "../runs/run%201/"
    assert folder_href(tmp_path, run) == "../../"
    assert folder_href(tmp_path / "a#b?c", tmp_path) == "a%23b%3Fc/"


def test_folder_href_defaults_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert folder_href(Path("results")) == "results/"
    assert folder_href(tmp_path / "results", Path("pages")) == "../results/"


def test_file_href_encodes_and_refuses_paths_leaving_the_folder() -> None:
    assert file_href("", "cpu-a b.svg") == "cpu-a%20b.svg"
    assert file_href("../x/", "h1-n50/report.html") == "../x/h1-n50/report.html"
    assert file_href("", "javascript:alert(1)") == "javascript%3Aalert%281%29"
    for bad in ("", "/etc/passwd", "../up.json", "a/../b", "a//b", "a\\b", ".", "a/./b"):
        assert file_href("", bad) is None, bad


def test_report_links_profiles_from_another_folder(profiled: Results, tmp_path: Path) -> None:
    results_dir = tmp_path / "results"
    path = tmp_path / "elsewhere" / "report.html"
    path.parent.mkdir()
    write_report(profiled, path, assets_dir=results_dir)
    html = path.read_text("utf-8")
    run = profiled.run(LEGACY)
    assert run is not None
    hrefs = profile_hrefs(html)
    assert len(hrefs) == 4
    assert hrefs[0] == f"../results/{run.cpu_profile.flamegraph}"
    assert all(h.startswith("../results/") for h in hrefs)
    assert "the results folder (../results/ from this report's folder)" in " ".join(
        parse(html).by_id("cpu-profile").text().split()
    )
    assert html == render_report(profiled, assets_dir=results_dir, report_dir=path.parent)


def test_report_beside_its_results_keeps_plain_names(profiled: Results, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_report(profiled, path, assets_dir=tmp_path)
    assert path.read_text("utf-8") == render_report(profiled)
    assert all("/" not in href for href in profile_hrefs(render_report(profiled)))


def test_scaling_placeholder_says_how_to_make_a_sweep(profiled: Results) -> None:
    text = parse(render_report(profiled)).by_id("scaling-how").text()
    assert "not recorded in this run" in text
    assert "vmmonbench sweep WORKLOAD --vms 500,1000,2000" in text
    assert "sweep.html" in text
