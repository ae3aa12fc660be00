"""The comparison's charts: baseline bar above new bar, per configuration and per statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from vmmonbench import units
from vmmonbench.compare import Comparison, Row, Verdict
from vmmonbench.render import svg
from vmmonbench.render.comparison.tables import DESCRIPTIONS, ConfigurationView
from vmmonbench.render.comparison.values import change_text, delta

HEADLINE_METRICS = ("db_time_per_stats_cycle_s", "stats_cycle_s", "statements_per_stats_cycle")
TOP_STATEMENTS = 8
STATEMENT_METRIC = "total_s"  # DB self time over the run


@dataclass(frozen=True, slots=True)
class Chart:
    """One drawn chart and what its caption says."""

    id: str
    title: str
    note: str
    svg: Markup


def headline_charts(comparison: Comparison) -> list[Chart]:
    """Per headline metric, every configuration's baseline beside its new value."""
    charts = []
    for metric in HEADLINE_METRICS:
        rows = [r for r in comparison.rows if r.metric == metric and r.statement is None]
        if not rows:
            continue
        title = DESCRIPTIONS.get(metric, metric)
        charts.append(
            Chart(
                id=f"headline-{metric.replace('_', '-')}",
                title=title,
                note=metric,
                svg=svg.paired_bars(
                    [_pair(row.configuration, row) for row in rows],
                    title=f"{title}, baseline vs new",
                ),
            )
        )
    return charts


def statement_charts(views: Sequence[ConfigurationView]) -> list[tuple[ConfigurationView, Chart]]:
    """Per configuration, the statements whose DB self time moved most; one shared scale."""
    tops = []
    for view in views:
        if view.only:
            continue
        rows = [
            g.cells[STATEMENT_METRIC].row for g in view.statements if STATEMENT_METRIC in g.cells
        ]
        moved = sorted(
            (r for r in rows if delta(r) != 0), key=lambda r: abs(delta(r)), reverse=True
        )
        tops.append((view, moved[:TOP_STATEMENTS], len(moved)))
    scale = max(
        (max(r.baseline or 0.0, r.new or 0.0) for _, top, _ in tops for r in top), default=0.0
    )
    charts = []
    for view, top, changed in tops:
        label = view.pair.label
        note = (
            f"top {len(top)} of {changed} statements whose DB self time changed"
            if top
            else "no statement's DB self time changed"
        )
        chart = svg.paired_bars(
            [_pair(row.statement or "", row) for row in top],
            title=f"DB self time per statement, baseline vs new: {label}",
            scale_max=scale,
        )
        charts.append((view, Chart(f"changes-{view.slug}", label, note, chart)))
    return charts


def _pair(label: str, row: Row) -> svg.PairedBar:
    base, new = units.text(row.unit, row.baseline), units.text(row.unit, row.new)
    fail = "; FAIL: " + "; ".join(row.failures) if row.failures else ""
    return svg.PairedBar(
        label=label,
        baseline=row.baseline or 0.0,
        new=row.new or 0.0,
        baseline_text=f"baseline {base}",
        new_text=f"new {new} ({change_text(row)})",
        tone=_tone(row),
        tooltip=f"{label}: {base} -> {new}, {row.verdict}: {row.explanation}{fail}",
    )


def _tone(row: Row) -> str:
    if row.verdict in {Verdict.REGRESSED, Verdict.IMPROVED, Verdict.NEW, Verdict.GONE}:
        return row.verdict.value
    return "neutral"
