"""The DB statement sections: hot-spot charts by self time and by DB work, and the full tables."""

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
    blocks: int | None = None  # the DB work chart's: blocks of every statement with work
    monitoring_blocks: int | None = None  # of the monitoring statements among them


def hot_spots(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Each configuration's top statements by self time, all charts on one scale; the same by
    DB work (blocks the server accessed) where the database counted it."""
    tops = [(config, _by_time(config.run)[:TOP_STATEMENTS]) for config in configs]
    scale = max((s.total_s for _, top in tops for s in top), default=0.0)
    charts = [_hot_spot_chart(config, top, scale) for config, top in tops]
    worked = [(config, _by_work(config.run)[:TOP_STATEMENTS]) for config in configs]
    work_scale = max((float(s.blocks or 0) for _, top in worked for s in top), default=0.0)
    work_charts = [_work_chart(config, top, work_scale) for config, top in worked if top]
    pair = paired(configs)
    work_pair = pair and len(work_charts) == len(charts)
    headline = [
        (figure.title, figure.of(configs[0].run), figure.of(configs[1].run))
        for figure in shown_in(View.HEADLINE)
        if pair
    ]
    return {
        "pair": charts[:2] if pair else [],
        "others": charts[2:] if pair else charts,
        "work_pair": work_charts[:2] if work_pair else [],
        "work_others": work_charts[2:] if work_pair else work_charts,
        "has_work": bool(work_charts),
        "top": TOP_STATEMENTS,
        "headline": headline,
    }


def _by_time(run: RunResult) -> list[StatementRecord]:
    return sorted(run.statements, key=lambda s: s.total_s, reverse=True)


def _by_work(run: RunResult) -> list[StatementRecord]:
    counted = [s for s in run.statements if s.blocks is not None]
    return sorted(counted, key=lambda s: (-(s.blocks or 0), s.label))


def _work_chart(config: Config, top: list[StatementRecord], scale: float) -> HotSpots:
    cycles = config.stats_cycles
    bars = [
        svg.Bar(
            label=s.label,
            value=float(s.blocks or 0),
            text=f"{fmt.count(s.blocks)} blocks"
            + (f" · {fmt.count(round((s.blocks or 0) / cycles, 1))} / cycle" if cycles else ""),
            tone="monitoring" if is_monitoring_statement(s.label) else "other",
            tooltip=_work_tooltip(s),
        )
        for s in top
    ]
    run = config.run
    counted = [s for s in run.statements if s.blocks is not None]
    return HotSpots(
        config=config,
        chart=svg.horizontal_bars(bars, title=f"DB work hot spots: {run.label}", scale_max=scale),
        shown=len(top),
        statements=len(run.statements),
        total_s=sum(s.total_s for s in run.statements),
        monitoring_s=figures.monitoring_db_time(run.cycles),
        blocks=sum(s.blocks or 0 for s in counted),
        monitoring_blocks=sum(s.blocks or 0 for s in counted if is_monitoring_statement(s.label)),
    )


def _work_tooltip(statement: StatementRecord) -> str:
    work = statement.work
    assert work is not None
    return (
        f"{statement.label}: {fmt.count(work.blocks)} shared blocks accessed "
        f"({fmt.count(work.shared_blks_hit)} hit, {fmt.count(work.shared_blks_read)} read), "
        f"{fmt.count(work.shared_blks_dirtied)} dirtied, {fmt.count(work.wal_records)} WAL "
        f"records ({fmt.size(work.wal_bytes)}), {fmt.count(statement.calls)} calls"
    )


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
    work: int | None = None  # shared blocks the server accessed (None: not counted)
    work_per_cycle: float | None = None
    wal_bytes: int | None = None
    vm_steps: int | None = None  # SQLite's, where the run counted them


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
                work=s.blocks,
                work_per_cycle=s.blocks / cycles if s.blocks is not None and cycles else None,
                wal_bytes=s.work.wal_bytes if s.work is not None else None,
                vm_steps=s.vm_steps,
            )
            for s in ordered[:MAX_STATEMENT_ROWS]
        ]
        tables.append((config, rows, len(ordered) - len(rows)))
    has_work = any(row.work is not None for _, rows, _ in tables for row in rows)
    has_steps = any(row.vm_steps is not None for _, rows, _ in tables for row in rows)
    return {
        "tables": tables,
        "limit": MAX_STATEMENT_ROWS,
        "has_work": has_work,
        "has_steps": has_steps,
    }
