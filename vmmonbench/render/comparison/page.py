"""The comparison page: the gate verdict on top, charts of what moved, per-configuration tables."""

from __future__ import annotations

from pathlib import Path

from vmmonbench import __version__
from vmmonbench.compare import Comparison, Verdict
from vmmonbench.outputs import write_file
from vmmonbench.render.comparison.charts import headline_charts, statement_charts
from vmmonbench.render.comparison.tables import STATEMENT_COLUMNS, configuration_views
from vmmonbench.render.shell import Block, render_page


def render_comparison(comparison: Comparison) -> str:
    """The comparison as one self-contained HTML page (no external resources)."""
    views = configuration_views(comparison)
    rules = comparison.rules_text
    failed = len(comparison.failures)
    verdict = (
        ("regression", f"{failed} of {len(comparison.checks)} checks failed ({rules})")
        if comparison.regressed
        else ("no regression", f"{len(comparison.checks)} checks passed ({rules})")
    )
    blocks = [
        Block("summary", "Summary", "comparison/summary.html.j2", {"views": views}),
        Block(
            "changes",
            "Biggest changes",
            "comparison/changes.html.j2",
            {"headline": headline_charts(comparison), "statements": statement_charts(views)},
        ),
        Block(
            "configurations",
            "Configurations",
            "comparison/configurations.html.j2",
            {"views": views, "columns": STATEMENT_COLUMNS},
        ),
        Block("gate", "Gate checks", "comparison/gate.html.j2", {}),
    ]
    return render_page(
        "comparison.html.j2",
        kind="comparison",
        version=__version__,
        comparison=comparison,
        verdict=verdict,
        verdicts=list(Verdict),
        counts=comparison.verdict_counts(),
        blocks=blocks,
    )


def write_comparison_report(comparison: Comparison, path: Path) -> None:
    """Render the comparison page and write it to `path`, the user's choice (OutputError)."""
    write_file(path, render_comparison(comparison).encode("utf-8"))
