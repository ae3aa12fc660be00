"""Every figure of a configuration, defined once: name, unit, direction, derivation, format.

compare and its gate, the terminal summary, the report and the within-run speedup check all
read figures from here. A figure with raw per-cycle samples is derived from the stored cycles
(the same functions computed the summary when the run was measured), so the value, the samples
a significance test sees and what every output shows cannot disagree. Adding a figure is one
`Figure` entry (plus its derivation below, when it needs a new one); where it is shown is the
entry's `shown`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from vmmonbench import units
from vmmonbench.monitor.samples import CycleKind
from vmmonbench.result_records import CycleRecord, StatementRecord
from vmmonbench.results import RunResult
from vmmonbench.units import Unit

# Statement labels of the monitoring DAO calls: drawn red in hot-spot charts, as in the study.
MONITORING_STATEMENT_PREFIXES: Final = (
    "Get",
    "Update",
    "Insert",
    "Delete",
    "Remove",
    "Set",
    "select 1",
)


class Better(StrEnum):
    """Which direction of change is an improvement."""

    LOWER = "lower"
    HIGHER = "higher"


class View(StrEnum):
    """Where a figure is shown besides compare (which compares every figure)."""

    TERMINAL = "terminal"  # the summary table after a run
    MATRIX = "matrix"  # the report's configuration matrix
    HEADLINE = "headline"  # "from the 3.6 design to the 4.1 design" lines


Value = Callable[[RunResult], float | None]
Samples = Callable[[RunResult], list[float]]


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure of one configuration: what it is, how it is derived, shown and written."""

    name: str  # as in results.json's summary and in gate rules
    title: str  # short heading for tables
    description: str
    unit: Unit
    value: Value
    samples: Samples | None = None  # raw per-cycle samples behind it, for significance
    better: Better = Better.LOWER
    shown: frozenset[View] = frozenset()

    @property
    def exact(self) -> bool:
        """Counts: any change is real. Measured values need the threshold and the test."""
        return self.unit is Unit.COUNT

    def text(self, value: float | None) -> str:
        """A value of this figure as every output writes it."""
        return units.text(self.unit, value)

    def of(self, run: RunResult) -> str:
        """This figure of `run`, written."""
        return self.text(self.value(run))


# -- derivations from the raw cycles (the only definitions) -------------------------------------


def completed(cycles: Iterable[CycleRecord], kind: CycleKind | None = None) -> list[CycleRecord]:
    """The cycles of `kind` (every kind when None) that were neither skipped nor failed."""
    return [c for c in cycles if c.completed and (kind is None or c.kind is kind)]


def mean(values: Sequence[float]) -> float:
    """The mean; 0.0 for no values (a run without cycles did no work)."""
    return sum(values) / len(values) if values else 0.0


def stats_periods(cycles: Iterable[CycleRecord]) -> list[float]:
    """Gaps between consecutive statistics-cycle starts of each host.

    Every attempted cycle counts, skipped and failed ones too: with the fixed delay each
    attempt schedules the next one, so a failed cycle still took its turn.
    """
    starts: dict[int, list[float]] = {}
    for cycle in cycles:
        if cycle.kind is CycleKind.STATS:
            starts.setdefault(cycle.host, []).append(cycle.start_s)
    return [b - a for host in starts.values() for a, b in itertools.pairwise(sorted(host))]


def effective_stats_period(cycles: Iterable[CycleRecord]) -> float | None:
    """Mean time between a host's statistics-cycle starts (processing + delay); None below 2."""
    gaps = stats_periods(cycles)
    return mean(gaps) if gaps else None


def stats_cycle_means(cycles: Sequence[CycleRecord]) -> tuple[float, float, float, float]:
    """Per completed statistics cycle: mean duration, DB time, statements and rows written."""
    stats = completed(cycles, CycleKind.STATS)
    return (
        mean([c.duration_s for c in stats]),
        mean([c.db_time_s for c in stats]),
        mean([float(c.statements) for c in stats]),
        mean([float(c.rows_written) for c in stats]),
    )


def analysis_s(cycle: CycleRecord) -> float | None:
    """A cycle's time outside DB self time and host calls: the monitoring core's own analysis.

    As the study splits an engine's cycle (analysis and processing beside persisting, the VDSM
    call apart); None where the cycle's host calls were not timed (older results).
    """
    if cycle.rpc_s is None:
        return None
    return cycle.duration_s - cycle.db_time_s - cycle.rpc_s


def monitoring_db_time(cycles: Iterable[CycleRecord]) -> float:
    """DB self time spent by monitoring work: every cycle and event, whatever its outcome.

    Measured by activity (the profiler's tally inside each cycle), not guessed from labels:
    a command's or the settling cycle's statements are not monitoring's.
    """
    return sum(c.db_time_s for c in cycles)


def is_monitoring_statement(label: str) -> bool:
    """Whether a statement label names a monitoring DAO call (the hot-spot charts' red)."""
    return label.startswith(MONITORING_STATEMENT_PREFIXES) and label != "UpdateVmStatic"


def _per_cycle(key: str, kind: CycleKind | None = None) -> Samples:
    def samples(run: RunResult) -> list[float]:
        return [float(getattr(c, key)) for c in completed(run.cycles, kind)]

    return samples


def _stats_mean(key: str) -> Value:
    sample = _per_cycle(key, CycleKind.STATS)

    def value(run: RunResult) -> float | None:
        return mean(sample(run))

    return value


def _known(values: Sequence[float | None]) -> list[float]:
    # a field older files lack (None) gives no samples at all, never a partial mean
    return [float(v) for v in values if v is not None] if None not in values else []


def _known_per_cycle(key: str, kind: CycleKind) -> Samples:
    return lambda run: _known([getattr(c, key) for c in completed(run.cycles, kind)])


def _mean_of_known(samples: Samples) -> Value:
    def value(run: RunResult) -> float | None:
        found = samples(run)
        return mean(found) if found else None

    return value


def _analysis_samples(run: RunResult) -> list[float]:
    return _known([analysis_s(c) for c in completed(run.cycles, CycleKind.STATS)])


def _stats_cycles(run: RunResult) -> float:
    return float(len(completed(run.cycles, CycleKind.STATS)))


def _cycles_of(kind: CycleKind) -> Value:
    return lambda run: float(len(completed(run.cycles, kind)))


def _summary(name: str) -> Value:
    def value(run: RunResult) -> float | None:
        raw = getattr(run.summary, name)
        return None if raw is None else float(raw)

    return value


def _per_stats_cycle(name: str) -> Value:
    def value(run: RunResult) -> float | None:
        cycles = _stats_cycles(run)
        return float(getattr(run.summary, name)) / cycles if cycles else None

    return value


def _command_wait_p99(run: RunResult) -> float | None:
    return run.commands.wait_p99_s if run.commands.count else None


def _command_waits(run: RunResult) -> list[float]:
    return list(run.commands.waits_s)


def _consistency(name: str) -> Value:
    def value(run: RunResult) -> float | None:
        found = getattr(run.consistency, name) if run.consistency.checked else None
        return None if found is None else float(found)

    return value


def _period_samples(run: RunResult) -> list[float]:
    return stats_periods(run.cycles)


def _period(run: RunResult) -> float | None:
    return effective_stats_period(run.cycles)


def _monitoring_db_times(run: RunResult) -> list[float]:
    return [cycle.db_time_s for cycle in run.cycles]


def _monitoring_db_time(run: RunResult) -> float | None:
    return monitoring_db_time(run.cycles)


def _utilization(run: RunResult) -> float | None:
    return run.summary.utilization


def statements_work(run: RunResult) -> int | None:
    """Shared blocks the server accessed for the run's statements; None where none was counted.

    The statements the client labelled, so the server's own bookkeeping (BEGIN, connection
    set-up, vmmonbench's snapshots) is left out.
    """
    blocks = [s.blocks for s in run.statements if s.blocks is not None]
    return sum(blocks) if blocks else None


def _work_per_stats_cycle(run: RunResult) -> float | None:
    blocks, cycles = statements_work(run), _stats_cycles(run)
    return None if blocks is None or not cycles else blocks / cycles


_S, _BYTES, _FRACTION = Unit.SECONDS, Unit.BYTES, Unit.FRACTION
_TMH = frozenset({View.TERMINAL, View.MATRIX, View.HEADLINE})
_TM = frozenset({View.TERMINAL, View.MATRIX})
_T, _M = frozenset({View.TERMINAL}), frozenset({View.MATRIX})
_COUNT, _BLOCKS = Unit.COUNT, Unit.BLOCKS

FIGURES: Final[tuple[Figure, ...]] = (
    Figure(
        "stats_cycles",
        "statistics cycles",
        "statistics cycles completed (all hosts); the fixed delay fits fewer of slow ones",
        _COUNT,
        _stats_cycles,
        better=Better.HIGHER,
        shown=_TM,
    ),
    Figure(
        "effective_stats_period_s",
        "effective stats period",
        "mean time between a host's statistics cycle starts (15 s delay + processing)",
        _S,
        _period,
        _period_samples,
        shown=_TMH,
    ),
    Figure(
        "db_time_per_stats_cycle_s",
        "DB time / stats cycle",
        "mean DB self time of one statistics cycle",
        _S,
        _stats_mean("db_time_s"),
        _per_cycle("db_time_s", CycleKind.STATS),
        shown=_TMH,
    ),
    Figure(
        "statements_per_stats_cycle",
        "statements / stats cycle",
        "mean statements executed by one statistics cycle",
        _COUNT,
        _stats_mean("statements"),
        shown=_TMH,
    ),
    Figure(
        "stats_cycle_s",
        "stats cycle duration",
        "mean processing time of one statistics cycle (DB time, host calls and analysis)",
        _S,
        _stats_mean("duration_s"),
        _per_cycle("duration_s", CycleKind.STATS),
        shown=_M,
    ),
    Figure(
        "rpc_per_stats_cycle_s",
        "host calls / stats cycle",
        "mean time one statistics cycle waited on its host calls (the host's poll, the "
        "transfer, the reply's decode)",
        _S,
        _mean_of_known(_known_per_cycle("rpc_s", CycleKind.STATS)),
        _known_per_cycle("rpc_s", CycleKind.STATS),
        shown=_TM,
    ),
    Figure(
        "analysis_per_stats_cycle_s",
        "analysis / stats cycle",
        "mean time of one statistics cycle outside DB self time and host calls: the monitoring "
        "core's analysis (the study's 'analysis and processing')",
        _S,
        _mean_of_known(_analysis_samples),
        _analysis_samples,
        shown=_TM,
    ),
    Figure(
        "rows_written_per_stats_cycle",
        "rows written / stats cycle",
        "mean rows written by one statistics cycle",
        _COUNT,
        _stats_mean("rows_written"),
        shown=_T,
    ),
    Figure(
        "work_per_stats_cycle",
        "DB work / stats cycle",
        "shared blocks the server accessed (hit + read) per statistics cycle (PostgreSQL)",
        _BLOCKS,
        _work_per_stats_cycle,
        shown=_TM,
    ),
    Figure(
        "statements", "statements", "statements executed, whole run", _COUNT, _summary("statements")
    ),
    Figure(
        "db_time_s",
        "DB time",
        "DB self time of every statement, whole run (commands included)",
        _S,
        _summary("db_time_s"),
        _per_cycle("db_time_s"),
    ),
    Figure(
        "monitoring_db_time_s",
        "monitoring DB time",
        "DB self time of monitoring work (cycles and events, not commands), whole run",
        _S,
        _monitoring_db_time,
        _monitoring_db_times,
        shown=_TM,
    ),
    Figure(
        "rows_written", "rows written", "rows written, whole run", _COUNT, _summary("rows_written")
    ),
    Figure(
        "rpc_calls", "RPC calls", "RPC calls to the hosts, whole run", _COUNT, _summary("rpc_calls")
    ),
    Figure(
        "rpc_calls_per_stats_cycle",
        "RPC calls / stats cycle",
        "RPC calls to the hosts per statistics cycle run",
        _COUNT,
        _per_stats_cycle("rpc_calls"),
    ),
    # measured, not counted: reports carry the fake host's clock, so sizes wobble by a few bytes
    Figure(
        "rpc_bytes",
        "RPC bytes",
        "bytes received from the hosts, whole run",
        _BYTES,
        _summary("rpc_bytes"),
        _per_cycle("rpc_bytes"),
        shown=_T,
    ),
    Figure(
        "busy_s",
        "busy time",
        "monitoring busy time (every cycle and event)",
        _S,
        _summary("busy_s"),
        _per_cycle("duration_s"),
    ),
    Figure(
        "utilization",
        "utilization",
        "monitoring busy time / (simulated time x hosts)",
        _FRACTION,
        _utilization,
        _per_cycle("duration_s"),
        shown=_TM,
    ),
    Figure(
        "list_cycles",
        "list cycles",
        "list (polling) cycles completed",
        _COUNT,
        _cycles_of(CycleKind.LIST),
    ),
    Figure(
        "event_cycles",
        "events processed",
        "status events processed",
        _COUNT,
        _cycles_of(CycleKind.EVENT),
    ),
    Figure(
        "events_received",
        "events received",
        "status events received",
        _COUNT,
        _summary("events_received"),
    ),
    Figure(
        "vms_skipped",
        "VMs skipped",
        "VMs a cycle skipped because a command held their lock",
        _COUNT,
        _summary("vms_skipped"),
        shown=_TM,
    ),
    Figure(
        "cycles_skipped",
        "cycles skipped",
        "host cycles skipped because a command held the host lock",
        _COUNT,
        _summary("cycles_skipped"),
        shown=_TM,
    ),
    Figure(
        "failed_cycles",
        "failed cycles",
        "cycles that ended with an error",
        _COUNT,
        _summary("failed_cycles"),
        shown=_M,
    ),
    Figure("vms_lost", "VMs lost", "VMs the hosts stopped reporting", _COUNT, _summary("vms_lost")),
    Figure(
        "command_wait_p99_s",
        "command wait p99",
        "99th percentile of the time commands waited for their lock",
        _S,
        _command_wait_p99,
        _command_waits,
        shown=_TMH,
    ),
    Figure(
        "divergent_vms",
        "divergent VMs",
        "VMs whose DB state differs from the host's truth at the end (0 when healthy)",
        _COUNT,
        _consistency("divergent_vms"),
        shown=_TM,
    ),
    Figure(
        "divergent_before_settle",
        "divergent before settle",
        "divergent VMs right after the inputs stopped, before the settling cycle",
        _COUNT,
        _consistency("divergent_before_settle"),
        shown=_M,
    ),
)
BY_NAME: Final = {figure.name: figure for figure in FIGURES}


def shown_in(view: View) -> tuple[Figure, ...]:
    """The figures a view shows, in the registry's order."""
    return tuple(figure for figure in FIGURES if view in figure.shown)


# -- statements ---------------------------------------------------------------------------------

StatementValue = Callable[[StatementRecord, int], float | None]


@dataclass(frozen=True, slots=True)
class StatementFigure:
    """A figure of one statement of a configuration (the profiler keeps no raw samples)."""

    name: str  # as in gate rules: statement[LABEL].NAME
    title: str
    unit: Unit
    value: StatementValue  # from the statement and the configuration's statistics cycles

    def text(self, value: float | None) -> str:
        """A value of this figure as every output writes it."""
        return units.text(self.unit, value)


def _total(name: str) -> StatementValue:
    # a field older files lack (None) has no value: never zero, never an improvement
    def value(statement: StatementRecord, _stats_cycles: int) -> float | None:
        raw = getattr(statement, name)
        return None if raw is None else float(raw)

    return value


def _per_stats_cycle_of(name: str) -> StatementValue:
    # all of a statement's calls, whichever activity made them, over the statistics cycles run
    def value(statement: StatementRecord, stats_cycles: int) -> float | None:
        raw = getattr(statement, name)
        return None if raw is None or not stats_cycles else float(raw) / stats_cycles

    return value


def _blocks(statement: StatementRecord, _stats_cycles: int) -> float | None:
    return None if statement.blocks is None else float(statement.blocks)


def _blocks_per_stats_cycle(statement: StatementRecord, stats_cycles: int) -> float | None:
    blocks = statement.blocks
    return None if blocks is None or not stats_cycles else blocks / stats_cycles


STATEMENT_FIGURES: Final[tuple[StatementFigure, ...]] = (
    StatementFigure("calls", "calls", _COUNT, _total("calls")),
    StatementFigure(
        "calls_per_stats_cycle", "calls / stats cycle", _COUNT, _per_stats_cycle_of("calls")
    ),
    StatementFigure("rows", "rows", _COUNT, _total("rows")),
    StatementFigure(
        "rows_per_stats_cycle", "rows / stats cycle", _COUNT, _per_stats_cycle_of("rows")
    ),
    StatementFigure("work", "DB work", _BLOCKS, _blocks),
    StatementFigure(
        "work_per_stats_cycle", "DB work / stats cycle", _BLOCKS, _blocks_per_stats_cycle
    ),
    StatementFigure("vm_steps", "VM steps", _COUNT, _total("vm_steps")),
    StatementFigure(
        "vm_steps_per_stats_cycle",
        "VM steps / stats cycle",
        _COUNT,
        _per_stats_cycle_of("vm_steps"),
    ),
    StatementFigure("total_s", "DB self time", _S, _total("total_s")),
    StatementFigure("mean_s", "mean", _S, _total("mean_s")),
)
STATEMENT_BY_NAME: Final = {figure.name: figure for figure in STATEMENT_FIGURES}


def stats_cycles(run: RunResult) -> int:
    """Statistics cycles completed: what per-cycle statement figures divide by."""
    return len(completed(run.cycles, CycleKind.STATS))
