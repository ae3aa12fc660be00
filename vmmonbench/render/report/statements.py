"""The DB statement sections: self-time hot-spot charts and the full per-configuration tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from vmmonbench import figures
from vmmonbench import units as fmt
from vmmonbench.figures import View, is_monitoring_statement, shown_in
from vmmonbench.render import svg
from vmmonbench.render.report.view import Config, paired, plural
from vmmonbench.result_records import StatementRecord
from vmmonbench.results import Results, RunResult

TOP_STATEMENTS = 12
# a table row per statement up to this many per configuration: a run with a million
# statements still renders in bounded memory, and the rest stay in results.json
MAX_STATEMENT_ROWS = 500


@dataclass(frozen=True, slots=True)
class HotSpots:
    """One configuration's hot-spot chart and how much of its DB time is monitoring work's."""

    config: Config
    chart: Markup
    shown: int
    statements: int
    total_s: float
    monitoring_s: float  # by activity: every cycle's and event's own DB time


def hot_spots(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Each configuration's top statements by self time, all charts on one scale."""
    tops = [(config, _by_time(config.run)[:TOP_STATEMENTS]) for config in configs]
    scale = max((s.total_s for _, top in tops for s in top), default=0.0)
    charts = [_hot_spot_chart(config, top, scale) for config, top in tops]
    pair = paired(configs)
    headline = [
        (figure.title, figure.of(configs[0].run), figure.of(configs[1].run))
        for figure in shown_in(View.HEADLINE)
        if pair
    ]
    return {
        "pair": charts[:2] if pair else [],
        "others": charts[2:] if pair else charts,
        "top": TOP_STATEMENTS,
        "headline": headline,
    }


def _by_time(run: RunResult) -> list[StatementRecord]:
    return sorted(run.statements, key=lambda s: s.total_s, reverse=True)


def _hot_spot_chart(config: Config, top: list[StatementRecord], scale: float) -> HotSpots:
    bars = [
        svg.Bar(
            label=s.label,
            value=s.total_s,
            text=f"{fmt.seconds(s.total_s)} · {plural(s.calls, 'call')}",
            tone="monitoring" if is_monitoring_statement(s.label) else "other",
            tooltip=(
                f"{s.label}: {fmt.seconds(s.total_s)} self time, "
                f"{fmt.count(s.calls)} calls, mean {fmt.seconds(s.mean_s)}"
            ),
        )
        for s in top
    ]
    run = config.run
    return HotSpots(
        config=config,
        chart=svg.horizontal_bars(
            bars, title=f"DB self time hot spots: {run.label}", scale_max=scale
        ),
        shown=len(top),
        statements=len(run.statements),
        total_s=sum(s.total_s for s in run.statements),
        monitoring_s=figures.monitoring_db_time(run.cycles),
    )


# -- statement tables -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One normalized statement of one configuration."""

    label: str
    sql: str
    kind: str
    monitoring: bool
    calls: int
    calls_per_cycle: float | None
    rows: int
    total_s: float
    mean_s: float
    p95_s: float
    p99_s: float
    share: float


def statements(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Every normalized statement of each configuration, slowest first (at most a few hundred
    rows per configuration; the table says how many more results.json holds)."""
    tables = []
    for config in configs:
        cycles = config.stats_cycles
        ordered = _by_time(config.run)
        rows = [
            StatementRow(
                label=s.label,
                sql=s.sql,
                kind=s.kind,
                monitoring=is_monitoring_statement(s.label),
                calls=s.calls,
                calls_per_cycle=s.calls / cycles if cycles else None,
                rows=s.rows,
                total_s=s.total_s,
                mean_s=s.mean_s,
                p95_s=s.p95_s,
                p99_s=s.p99_s,
                share=min(max(s.share, 0.0), 1.0),
            )
            for s in ordered[:MAX_STATEMENT_ROWS]
        ]
        tables.append((config, rows, len(ordered) - len(rows)))
    return {"tables": tables, "limit": MAX_STATEMENT_ROWS}
