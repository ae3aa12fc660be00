"""The scaling section: a placeholder until sweeps are drawn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vmmonbench.render.report.view import NOT_RECORDED, Config
from vmmonbench.results import Results


def scaling(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Whether the results hold a scaling sweep (not drawn yet)."""
    return {"recorded": bool(results.extra.get("scaling")), "note": NOT_RECORDED}
