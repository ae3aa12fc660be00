"""The command lock-wait section: a CDF of the waits and their percentiles per configuration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vmmonbench import units as fmt
from vmmonbench.render import svg
from vmmonbench.render.report.view import Config
from vmmonbench.results import Results

WAIT_FLOOR_S = 1e-6  # waits are stored rounded to the microsecond


def command_waits(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """The distribution of command lock waits and their percentiles per configuration."""
    distributions = [
        svg.Distribution(
            config.run.label,
            list(config.run.commands.waits_s),
            config.tone,
        )
        for config in configs
    ]
    chart = None
    if any(d.values for d in distributions):
        chart = svg.cdf_chart(
            [d for d in distributions if d.values],
            title="Command lock-wait distribution (CDF)",
            value_label="lock wait (log scale)",
            floor=WAIT_FLOOR_S,
            value_format=fmt.seconds,
        )
    rows = [(config, config.run.commands) for config in configs if config.run.commands.count]
    return {"chart": chart, "rows": rows, "floor_s": WAIT_FLOOR_S}
