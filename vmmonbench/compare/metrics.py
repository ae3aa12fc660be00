"""What compare measures: verdicts, units, and the metrics of a configuration with their samples."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from vmmonbench.results import RunResult


class Verdict(StrEnum):
    """What happened to one row between the baseline and the new results."""

    REGRESSED = "regressed"
    IMPROVED = "improved"
    NEW = "new"
    GONE = "gone"
    NOT_SIGNIFICANT = "not significant"
    UNCHANGED = "unchanged"


class Unit(StrEnum):
    """What a metric counts; counts are exact, everything else is measured (noisy)."""

    COUNT = "count"
    SECONDS = "seconds"
    BYTES = "bytes"
    FRACTION = "fraction"


class Better(StrEnum):
    """Which direction of change is an improvement."""

    LOWER = "lower"
    HIGHER = "higher"


SampleSource = Callable[[RunResult], list[float]]
ValueSource = Callable[[RunResult], float | None]


@dataclass(frozen=True, slots=True)
class Metric:
    """A figure of a configuration: where its value and its raw per-cycle samples come from."""

    name: str
    description: str
    unit: Unit
    value: ValueSource
    samples: SampleSource | None = None
    better: Better = Better.LOWER

    @property
    def exact(self) -> bool:
        """Counts: any change is real. Measured values need the threshold and the test."""
        return self.unit is Unit.COUNT


def _from_summary(name: str) -> ValueSource:
    def value(run: RunResult) -> float | None:
        raw = getattr(run.summary, name)
        return None if raw is None else float(raw)

    return value


def _cycles_of(kind: str) -> ValueSource:
    return lambda run: float(run.summary.cycles.get(kind, 0))


def _per_stats_cycle(name: str) -> ValueSource:
    def value(run: RunResult) -> float | None:
        cycles = run.summary.cycles.get("stats", 0)
        return float(getattr(run.summary, name)) / cycles if cycles else None

    return value


def _divergent(run: RunResult) -> float | None:
    value = run.consistency.get("divergent_vms")
    if value is None or run.consistency.get("checked") is False:
        return None
    return float(value)


def _per_cycle(key: str, kind: str | None = None) -> SampleSource:
    """`key` of every completed cycle of `kind` (every kind when None)."""

    def samples(run: RunResult) -> list[float]:
        return [
            float(cycle[key])
            for cycle in run.cycles
            if (kind is None or cycle.get("kind") == kind)
            and not cycle.get("skipped")
            and not cycle.get("failed")
            and cycle.get(key) is not None
        ]

    return samples


def _stats_periods(run: RunResult) -> list[float]:
    """Gaps between consecutive statistics-cycle starts of each host."""
    starts: dict[Any, list[float]] = {}
    for cycle in run.cycles:
        if cycle.get("kind") == "stats" and not cycle.get("skipped") and not cycle.get("failed"):
            starts.setdefault(cycle.get("host"), []).append(float(cycle["start_s"]))
    return [b - a for host in starts.values() for a, b in itertools.pairwise(sorted(host))]


def _command_waits(run: RunResult) -> list[float]:
    return [float(wait) for wait in run.commands.get("waits_s") or []]


def _metric(
    name: str,
    description: str,
    unit: Unit = Unit.COUNT,
    samples: SampleSource | None = None,
    *,
    value: ValueSource | None = None,
    better: Better = Better.LOWER,
) -> Metric:
    return Metric(name, description, unit, value or _from_summary(name), samples, better)


_S, _BYTES, _FRACTION = Unit.SECONDS, Unit.BYTES, Unit.FRACTION
SUMMARY_METRICS: Final = (
    _metric("statements_per_stats_cycle", "statements per statistics cycle"),
    _metric(
        "db_time_per_stats_cycle_s",
        "DB self time per statistics cycle",
        _S,
        _per_cycle("db_time_s", "stats"),
    ),
    _metric("stats_cycle_s", "statistics cycle duration", _S, _per_cycle("duration_s", "stats")),
    _metric(
        "stats_cycles", "statistics cycles run", value=_cycles_of("stats"), better=Better.HIGHER
    ),
    _metric("effective_stats_period_s", "delay + processing per stats cycle", _S, _stats_periods),
    _metric("statements", "statements executed"),
    _metric("db_time_s", "DB self time, whole run", _S, _per_cycle("db_time_s")),
    _metric("rows_written", "rows written"),
    _metric("rows_written_per_stats_cycle", "rows written per statistics cycle"),
    _metric("rpc_calls", "RPC calls to the hosts"),
    _metric(
        "rpc_calls_per_stats_cycle",
        "RPC calls per statistics cycle run",
        value=_per_stats_cycle("rpc_calls"),
    ),
    # measured, not counted: reports carry the fake host's clock, so sizes wobble by a few bytes
    _metric("rpc_bytes", "RPC bytes received", _BYTES, _per_cycle("rpc_bytes")),
    _metric("busy_s", "monitoring busy time", _S, _per_cycle("duration_s")),
    _metric("utilization", "monitoring utilization", _FRACTION, _per_cycle("duration_s")),
    _metric("list_cycles", "list (polling) cycles run", value=_cycles_of("list")),
    _metric("event_cycles", "status events processed", value=_cycles_of("event")),
    _metric("events_received", "status events received"),
    _metric("vms_skipped", "VMs skipped (locked by a command)"),
    _metric("cycles_skipped", "cycles skipped (host locked)"),
    _metric("failed_cycles", "cycles failed"),
    _metric("vms_lost", "VMs lost"),
    _metric("command_wait_p99_s", "command lock wait, p99", _S, _command_waits),
    _metric("divergent_vms", "VMs diverging from the host's truth", value=_divergent),
)
# Keys of a `statements` entry (the profiler keeps summaries, no raw samples), and the counts
# divided by the statistics cycles run: all of a statement's calls, whichever activity made them.
STATEMENT_METRICS: Final = {
    "calls": Unit.COUNT,
    "calls_per_stats_cycle": Unit.COUNT,
    "rows": Unit.COUNT,
    "rows_per_stats_cycle": Unit.COUNT,
    "total_s": Unit.SECONDS,
    "mean_s": Unit.SECONDS,
}
PER_STATS_CYCLE_SUFFIX: Final = "_per_stats_cycle"
SUMMARY_BY_NAME: Final = {metric.name: metric for metric in SUMMARY_METRICS}
