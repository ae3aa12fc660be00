"""The DB statement sections: self-time hot-spot charts and the full per-configuration tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from vmmonbench.render import format as fmt
from vmmonbench.render import svg
from vmmonbench.render.report.matrix import METRICS
from vmmonbench.render.report.view import Config, num, paired, plural
from vmmonbench.render.selection import is_monitoring_statement
from vmmonbench.results import Results, RunResult

TOP_STATEMENTS = 12
HEADLINE_METRICS = (
    "DB time / stats cycle",
    "statements / stats cycle",
    "effective stats period",
    "command wait p99",
)


@dataclass(frozen=True, slots=True)
class HotSpots:
    """One configuration's hot-spot chart and how much of its DB time is monitoring's."""

    config: Config
    chart: Markup
    shown: int
    statements: int
    total_s: float
    monitoring_s: float


def hot_spots(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Each configuration's top statements by self time, all charts on one scale."""
    tops = [(config, _by_time(config.run)[:TOP_STATEMENTS]) for config in configs]
    scale = max((num(s, "total_s") for _, top in tops for s in top), default=0.0)
    charts = [_hot_spot_chart(config, top, scale) for config, top in tops]
    pair = paired(configs)
    headline = [
        (
            metric.name,
            metric.text(metric.value(configs[0].run)),
            metric.text(metric.value(configs[1].run)),
        )
        for metric in METRICS
        if pair and metric.name in HEADLINE_METRICS
    ]
    return {
        "pair": charts[:2] if pair else [],
        "others": charts[2:] if pair else charts,
        "top": TOP_STATEMENTS,
        "headline": headline,
    }


def _by_time(run: RunResult) -> list[dict[str, Any]]:
    return sorted(run.statements, key=lambda s: num(s, "total_s"), reverse=True)


def _hot_spot_chart(config: Config, top: list[dict[str, Any]], scale: float) -> HotSpots:
    bars = [
        svg.Bar(
            label=str(s.get("label", "")),
            value=num(s, "total_s"),
            text=f"{fmt.seconds(num(s, 'total_s'))} · {plural(num(s, 'calls'), 'call')}",
            tone="monitoring" if is_monitoring_statement(str(s.get("label", ""))) else "other",
            tooltip=(
                f"{s.get('label', '')}: {fmt.seconds(num(s, 'total_s'))} self time, "
                f"{fmt.count(num(s, 'calls'))} calls, mean {fmt.seconds(num(s, 'mean_s'))}"
            ),
        )
        for s in top
    ]
    statements = config.run.statements
    return HotSpots(
        config=config,
        chart=svg.horizontal_bars(
            bars, title=f"DB self time hot spots: {config.run.label}", scale_max=scale
        ),
        shown=len(top),
        statements=len(statements),
        total_s=sum(num(s, "total_s") for s in statements),
        monitoring_s=sum(
            num(s, "total_s")
            for s in statements
            if is_monitoring_statement(str(s.get("label", "")))
        ),
    )


# -- statement tables -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One normalized statement of one configuration."""

    label: str
    sql: str
    kind: str
    monitoring: bool
    calls: float
    calls_per_cycle: float | None
    rows: float
    total_s: float
    mean_s: float
    p95_s: float
    p99_s: float
    share: float


def statements(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Every normalized statement of each configuration, slowest first."""
    tables = []
    for config in configs:
        cycles = config.stats_cycles
        rows = [
            StatementRow(
                label=str(s.get("label", "")),
                sql=str(s.get("sql", "")),
                kind=str(s.get("kind", "")),
                monitoring=is_monitoring_statement(str(s.get("label", ""))),
                calls=num(s, "calls"),
                calls_per_cycle=num(s, "calls") / cycles if cycles else None,
                rows=num(s, "rows"),
                total_s=num(s, "total_s"),
                mean_s=num(s, "mean_s"),
                p95_s=num(s, "p95_s"),
                p99_s=num(s, "p99_s"),
                share=min(max(num(s, "share"), 0.0), 1.0),
            )
            for s in _by_time(config.run)
        ]
        tables.append((config, rows))
    return {"tables": tables}
