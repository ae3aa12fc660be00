"""The scaling section: how to produce a scaling report (a sweep holds several sizes, a run one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vmmonbench.render.report.view import NOT_RECORDED, Config
from vmmonbench.results import Results

SWEEP_COMMAND = "vmmonbench sweep WORKLOAD --vms 500,1000,2000"


def scaling(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """The command making a sweep: a run holds one size, scaling is the sweep page's."""
    return {
        "note": NOT_RECORDED,
        "command": SWEEP_COMMAND,
    }
