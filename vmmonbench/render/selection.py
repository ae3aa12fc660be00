"""Which runs a report puts side by side: the legacy design and the 4.1 design."""

from __future__ import annotations

from vmmonbench.configuration import ALL_OPTIMIZATIONS, FetchMode, LockMode
from vmmonbench.results import Results, RunResult


def legacy_and_optimized(results: Results) -> tuple[RunResult | None, RunResult | None]:
    """The 3.6 run on the 4.1 axes (per-vm-lock + events) if present, and the all-4.1 run."""
    legacy = [run for run in results.runs if not run.optimizations]
    optimized = [
        run
        for run in results.runs
        if set(run.optimizations) == {o.value for o in ALL_OPTIMIZATIONS}
    ]
    preferred = next(
        (
            run
            for run in legacy
            if run.lock == LockMode.PER_VM.value and run.fetch == FetchMode.EVENTS.value
        ),
        legacy[0] if legacy else None,
    )
    return preferred, optimized[0] if optimized else None
