"""The write-floor section: each configuration's write self time beside a raw executemany floor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from vmmonbench import units as fmt
from vmmonbench.render import svg
from vmmonbench.render.report.view import Config
from vmmonbench.result_records import FLOOR_TABLES
from vmmonbench.results import Results


@dataclass(frozen=True, slots=True)
class FloorTable:
    """One table's floor beside the configuration's own writes to it, per statistics cycle."""

    table: str
    rows: int
    floor_s: float
    write_s: float | None


@dataclass(frozen=True, slots=True)
class Floor:
    """One configuration's write self time per statistics cycle next to the raw floor."""

    config: Config
    measured: bool
    write_s: float
    floor_s: float
    tables: list[FloorTable]
    other_write_s: float
    chart: Markup | None

    @property
    def ratio(self) -> float | None:
        """How many times the floor the configuration's writes took."""
        return self.write_s / self.floor_s if self.floor_s > 0 else None


def floor(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Each configuration's write self time per statistics cycle beside its floor, one scale."""
    scale = max(
        [c.run.floor.write_s_per_stats_cycle or 0.0 for c in configs]
        + [c.run.floor.floor_s for c in configs],
        default=0.0,
    )
    return {"floors": [_floor_of(config, scale) for config in configs]}


def _floor_of(config: Config, scale: float) -> Floor:
    floor = config.run.floor
    if floor.write_s_per_stats_cycle is None:
        return Floor(config, False, 0.0, 0.0, [], 0.0, None)
    cycles = config.stats_cycles
    by_table: dict[str, float] = {}
    for statement in config.run.statements:
        mapped = FLOOR_TABLES.get(statement.label)
        if mapped is not None and cycles:
            by_table[mapped[0]] = by_table.get(mapped[0], 0.0) + statement.total_s / cycles
    tables = [
        FloorTable(name, entry.rows, entry.floor_s, by_table.get(name))
        for name, entry in floor.tables.items()
    ]
    tables += [
        FloorTable(name, 0, 0.0, s) for name, s in by_table.items() if name not in floor.tables
    ]
    write_s, floor_s = floor.write_s_per_stats_cycle, floor.floor_s
    chart = svg.horizontal_bars(
        [
            svg.Bar(
                "statement writes, self time per statistics cycle",
                write_s,
                fmt.seconds(write_s),
                config.tone,
            ),
            svg.Bar("raw executemany floor (same rows)", floor_s, fmt.seconds(floor_s), "floor"),
        ],
        title=f"Write self time per statistics cycle vs the floor: {config.run.label}",
        scale_max=scale,
        width=480,
    )
    return Floor(
        config=config,
        measured=True,
        write_s=write_s,
        floor_s=floor_s,
        tables=tables,
        other_write_s=max(write_s - sum(by_table.values()), 0.0),
        chart=chart,
    )
