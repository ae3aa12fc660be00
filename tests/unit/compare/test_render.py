"""The terminal rendering of a comparison (rich, recorded console)."""

from __future__ import annotations

from rich.console import Console

from vmmonbench.compare import compare
from vmmonbench.render.compare_terminal import comparison_table, print_comparison
from vmmonbench.results import Results

from .conftest import OPTIMIZED, load_smoke, statement


def _text(comparison_args: tuple[Results, Results], *, show_all: bool = False) -> str:
    console = Console(record=True, width=240, color_system=None)
    print_comparison(compare(*comparison_args), console, show_all=show_all)
    return console.export_text()


def test_a_regression_is_listed_first_with_its_failure_line(smoke: Results) -> None:
    new = load_smoke()
    statement(new, "new", "UpdateVmDynamic")["calls"] = 58
    text = _text((smoke, new))
    lines = text.splitlines()
    first_row = next(line for line in lines if OPTIMIZED in line)
    assert "UpdateVmDynamic calls_per_stats_cycle" in first_row
    assert "regressed FAIL" in first_row
    assert "+100%" in first_row
    assert (
        f"FAIL {OPTIMIZED}: UpdateVmDynamic calls_per_stats_cycle 7.25 -> 14.5 (+100%) exceeds +0"
        in lines
    )
    assert lines[-1].startswith("regression: 1 of ")
    assert "(default rules)" in lines[-1]


def test_identical_results_hide_unchanged_rows_and_pass(smoke: Results) -> None:
    text = _text((smoke, smoke))
    assert "rows not shown" in text
    assert "UpdateVmDynamic" not in text
    assert text.splitlines()[-1].startswith("no regression: ")
    everything = _text((smoke, smoke), show_all=True)
    assert "UpdateVmDynamic calls" in everything
    assert "unchanged" in everything


def test_an_improvement_prints_the_stale_baseline_hint(smoke: Results) -> None:
    new = load_smoke()
    statement(new, "new", "UpdateVmDynamic")["calls"] = 3
    text = _text((smoke, new))
    assert "hint: the new results beat the baseline" in " ".join(text.split())
    assert "improved" in text


def test_the_table_has_the_comparison_columns(smoke: Results) -> None:
    table = comparison_table(compare(smoke, smoke, base_name="a.json", new_name="b.json"))
    headers = [str(column.header) for column in table.columns]
    assert headers == ["configuration", "metric", "baseline", "new", "change", "verdict", "why"]
    assert table.title == "vmmonbench compare: a.json -> b.json"
