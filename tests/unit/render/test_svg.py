"""The inline SVG chart builders: scaling, ticks, CDF corners, escaping."""

from __future__ import annotations

import pytest

from vmmonbench.render import svg

from .htmltree import parse


def test_bars_share_the_given_scale_and_escape_text() -> None:
    chart = svg.horizontal_bars(
        [
            svg.Bar("<b>GetVmsRunningOnVds</b>", 2.0, "2 s", "monitoring"),
            svg.Bar("UpdateVmStatic", 0.5, "500 ms & more", "other"),
        ],
        title="hot <spots>",
        scale_max=4.0,
        width=570,
    )
    tree = parse(str(chart))
    widths = [float(rect.attrs["width"]) for rect in tree.find_all("rect")]
    assert widths == [200.0, 50.0]  # (570 - 170) px for 4 s
    assert "<b>" not in chart
    assert "&lt;b&gt;GetVmsRunningOnVds&lt;/b&gt;" in chart
    assert "500 ms &amp; more" in chart
    assert tree.find_all("svg")[0].attrs["aria-label"] == "hot <spots>"
    assert [g.attrs["class"] for g in tree.find_all("g")] == ["t-monitoring", "t-other"]


def test_long_labels_are_cut_but_kept_in_the_tooltip() -> None:
    label = "x" * 100
    tree = parse(str(svg.horizontal_bars([svg.Bar(label, 1.0, "1 s")], title="t")))
    assert tree.find_all("text")[0].text() == "x" * 63 + "…"
    assert label in tree.find_all("g")[0].find_all("title")[0].text()


def test_an_empty_bar_chart_says_so() -> None:
    assert "nothing to draw" in svg.horizontal_bars([], title="t")


def test_linear_ticks_use_round_steps() -> None:
    assert svg.ticks(svg.Axis("t", 0.0, 60.0)) == [0.0, 20.0, 40.0, 60.0]
    assert svg.ticks(svg.Axis("t", 0.0, 8.1)) == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert svg.ticks(svg.Axis("t", 0.0, 3600.0)) == pytest.approx([0.0, 1000.0, 2000.0, 3000.0])


def test_log_ticks_are_decades() -> None:
    assert svg.ticks(svg.Axis("t", 1e-6, 10.0, log=True)) == pytest.approx(
        [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
    )


def test_cdf_points_are_step_corners_thinned_to_the_limit() -> None:
    assert svg.cdf_points([3.0, 1.0, 2.0, 4.0], 10) == [
        (1.0, 0.0),
        (1.0, 0.25),
        (2.0, 0.5),
        (3.0, 0.75),
        (4.0, 1.0),
    ]
    thinned = svg.cdf_points([float(i) for i in range(10_000)], 100)
    assert len(thinned) == 101
    assert thinned[-1] == (9999.0, 1.0)
    assert [y for _, y in thinned] == sorted(y for _, y in thinned)
    assert svg.cdf_points([], 10) == []


def test_line_chart_draws_a_legend_entry_per_series() -> None:
    chart = svg.line_chart(
        [
            svg.Series("stats <cycle>", [(0.0, 1.0), (15.0, 2.0)], "s0"),
            svg.Series("list", [(3.0, 0.1)], "s0", line=False, marker="square", hollow=True),
            svg.Series("nothing", [], "s1"),
        ],
        title="durations",
        x=svg.Axis("simulated time", 0.0, 30.0),
        y=svg.Axis("duration", 0.0, 2.0),
    )
    tree = parse(str(chart))
    legend = [g.text() for g in tree.find_all("g") if "legend" in g.classes()]
    assert legend == ["stats <cycle>", "list", "nothing"]
    assert "&lt;cycle&gt;" in chart
    series = [
        g for g in tree.find_all("g") if g.classes() >= {"series"} and "legend" not in g.classes()
    ]
    assert "hollow" in series[1].classes()
    assert series[0].find_all("path")[0].attrs["d"].startswith("M64.0 ")


def test_cdf_chart_clamps_values_below_the_floor() -> None:
    chart = svg.cdf_chart(
        [svg.Distribution("a", [0.0, 1e-6, 2.0], "s0"), svg.Distribution("b", [], "s1")],
        title="waits",
        value_label="wait",
        floor=1e-6,
        value_format=lambda v: f"{v:g}",
    )
    tree = parse(str(chart))
    line = next(p for p in tree.find_all("path") if "line" in p.classes())
    assert line.attrs["d"].startswith("M64.0 ")  # the 0 s wait is drawn at the floor
    assert "a (3 samples)" in chart
    assert "b (0 samples)" in chart


def test_paired_bars_put_the_baseline_above_the_new_value_on_one_scale() -> None:
    chart = svg.paired_bars(
        [
            svg.PairedBar("<b>UpdateVmDynamic</b>", 1.0, 2.0, "1 s", "2 s & more", "regressed"),
            svg.PairedBar("GetVmsRunningOnVds", 0.5, 0.0, "500 ms", "gone", "gone"),
        ],
        title="changes <top>",
        scale_max=4.0,
        width=570,
    )
    tree = parse(str(chart))
    groups = tree.find_all("g")
    assert [g.attrs["class"] for g in groups] == ["t-regressed", "t-gone"]
    rects = [(r.attrs["class"], float(r.attrs["width"])) for r in tree.find_all("rect")]
    assert rects == [("bar base", 100.0), ("bar new", 200.0), ("bar base", 50.0), ("bar new", 0.0)]
    ys = [float(r.attrs["y"]) for r in groups[0].find_all("rect")]
    assert ys[0] < ys[1]  # baseline above
    assert "&lt;b&gt;UpdateVmDynamic&lt;/b&gt;" in chart
    assert "2 s &amp; more" in chart
    assert groups[0].find_all("title")[0].text() == "<b>UpdateVmDynamic</b>: 1 s -> 2 s & more"
    assert "nothing to draw" in svg.paired_bars([], title="t")


def test_dashed_series_and_series_left_out_of_the_legend() -> None:
    chart = svg.line_chart(
        [
            svg.Series("measured", [(1.0, 1.0), (2.0, 2.0)], "s0", line=False),
            svg.Series(
                "fitted", [(0.0, 0.5), (3.0, 3.5)], "s0", marker="none", dashed=True, legend=False
            ),
        ],
        title="t",
        x=svg.Axis("n", 1.0, 1000.0, log=True),
        y=svg.Axis("s", 0.0, 4.0),
    )
    tree = parse(str(chart))
    legend = [g.text() for g in tree.find_all("g") if "legend" in g.classes()]
    assert legend == ["measured"]
    drawn = [
        g for g in tree.find_all("g") if "series" in g.classes() and "legend" not in g.classes()
    ]
    assert drawn[1].classes() == {"series", "t-s0", "dashed"}
    ticks = [
        t.text() for g in tree.find_all("g") if "axes" in g.classes() for t in g.find_all("text")
    ]
    assert ticks[-4:] == ["1", "10", "100", "1000"]
