"""Which runs a report puts side by side: the legacy design and the 4.1 design."""

from __future__ import annotations

from vmmonbench.results import Results, RunResult
from vmmonbench.study import the_two_designs


def legacy_and_optimized(results: Results) -> tuple[RunResult | None, RunResult | None]:
    """The 3.6 run on the 4.1 axes (per-vm-lock + events) if present, and the all-4.1 run."""
    return the_two_designs(results)
