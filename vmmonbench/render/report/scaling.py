"""The scaling section: how to produce a scaling report (a sweep holds several sizes, a run one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vmmonbench.render.report.view import NOT_RECORDED, Config
from vmmonbench.results import Results

SWEEP_COMMAND = "vmmonbench sweep WORKLOAD --vms 500,1000,2000"


def scaling(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Whether the results hold scaling data (not drawn here), and the command making a sweep."""
    return {
        "recorded": bool(results.extra.get("scaling")),
        "note": NOT_RECORDED,
        "command": SWEEP_COMMAND,
    }
