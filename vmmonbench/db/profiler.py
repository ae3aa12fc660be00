"""Per-statement database self time, recorded from SQLAlchemy events on one engine."""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext

from vmmonbench.db.sqlnorm import StatementKind, StatementShape, shape_of
from vmmonbench.sample_stats import summarize

Clock = Callable[[], float]
HookStyle = Literal["dialect", "cursor"]
_Merged = tuple[str, str, StatementKind, int, int | None, "array[float]"]

# Raw statement texts remembered per label before the lookup table is emptied: SQLAlchemy
# renders a new text per IN-list length, and those must not pile up for ever.
_MAX_TEXTS_PER_LABEL = 4096


@dataclass(frozen=True, slots=True)
class StatementStats:
    """One normalized statement under one label: its calls, rows and self-time distribution."""

    label: str
    sql: str
    kind: StatementKind
    calls: int
    rows: int
    total_s: float
    mean_s: float
    p50_s: float
    p95_s: float
    p99_s: float
    max_s: float
    share: float
    vm_steps: int | None = None  # SQLite's VM steps of every call, where counted (`vmsteps`)


@dataclass(slots=True)
class ActivityTally:
    """What one thread's statements cost inside an `activity()` block (e.g. one cycle)."""

    statements: int = 0
    db_time_s: float = 0.0
    rows_read: int = 0
    rows_written: int = 0
    calls: dict[str, int] = field(default_factory=dict)


class _Entry:
    """One thread's aggregate of one (label, normalized SQL); only that thread writes it."""

    __slots__ = ("durations", "label", "rows", "shape", "vm_steps", "write")

    def __init__(self, label: str, shape: StatementShape, *, write: bool | None = None) -> None:
        self.label = label
        self.shape = shape
        # a stored-procedure call reads like a SELECT: the caller may say it writes
        self.write = shape.kind == "write" if write is None else write
        self.durations = array("d")  # one self time per call: exact percentiles, 8 bytes/call
        self.rows = 0
        self.vm_steps: int | None = None  # stays None unless the caller counts them


class FetchTally:
    """The `fetching()` block: times the fetch and carries the row count the caller sets.

    One instance per thread is reused (fetching is on the hot path); read `rows` inside the
    block only.
    """

    __slots__ = ("_active", "_profiler", "_started", "_state", "rows")

    def __init__(self, profiler: StatementProfiler, state: _ThreadState) -> None:
        self.rows = 0
        self._profiler = profiler
        self._state = state
        self._started = 0.0
        self._active = False

    def __enter__(self) -> FetchTally:
        self._active = True
        self._started = self._profiler._clock()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        profiler = self._profiler
        elapsed = profiler._clock() - self._started
        self._active = False
        state = self._state
        entry = state.last
        if entry is None or profiler._engine is None:
            return
        # A write's fetched rows are its RETURNING rows, already counted by rowcount, except
        # where the driver reported none before the fetch (sqlite3 UPDATE/DELETE .. RETURNING).
        # An insertmanyvalues INSERT's rows are fetched after its last batch: not counted again.
        if entry.write:
            added = self.rows if state.last_rows == 0 and entry.shape.returning else 0
        else:
            added = self.rows
        entry.durations[state.last_index] += elapsed
        entry.rows += added
        state.last_rows += added
        activity = state.activity
        if activity is not None:
            activity.db_time_s += elapsed
            if entry.write:
                activity.rows_written += added
            else:
                activity.rows_read += added


class _ThreadState:
    """One thread's recordings (its shard) and context: label, activity, last statement.

    Only the owning thread writes a shard, so recording takes no lock. Readers copy a shard
    under the profiler's lock with single C-level operations (`list(dict.values())`, array
    slices), which CPython's GIL makes atomic with respect to the owner's appends.
    """

    __slots__ = (
        "activity",
        "bucket",
        "buckets",
        "entries",
        "fetch",
        "label",
        "labels",
        "last",
        "last_index",
        "last_rows",
        "outer",
    )

    def __init__(self, profiler: StatementProfiler) -> None:
        self.entries: dict[tuple[str, str], _Entry] = {}
        # label (None: unlabelled) -> raw statement text -> entry; `bucket` is the current one.
        self.buckets: dict[str | None, dict[str, _Entry]] = {None: {}}
        self.bucket = self.buckets[None]
        self.label: str | None = None
        self.labels: dict[str, _Labelled] = {}
        self.outer: list[tuple[str | None, dict[str, _Entry]]] = []
        self.activity: ActivityTally | None = None
        self.last: _Entry | None = None
        self.last_index = 0
        self.last_rows = 0
        self.fetch = FetchTally(profiler, self)


class _Labelled:
    """One thread's `labelled(label)` block, made once and reused: DAOs enter one per call."""

    __slots__ = ("_bucket", "_label", "_state")

    def __init__(self, state: _ThreadState, label: str) -> None:
        self._state = state
        self._label = label
        self._bucket = state.buckets.setdefault(label, {})

    def __enter__(self) -> None:
        state = self._state
        state.outer.append((state.label, state.bucket))  # a stack: the same label may nest
        state.label, state.bucket = self._label, self._bucket

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        state = self._state
        state.label, state.bucket = state.outer.pop()


class _PerThread(threading.local):
    # threading.local runs __init__ with this argument again in every thread that looks.
    def __init__(self, profiler: StatementProfiler) -> None:
        self.state = _ThreadState(profiler)
        self.started = 0.0  # before_cursor_execute -> after_cursor_execute (cursor hooks)
        with profiler._lock:
            profiler._shards.append(self.state)


class StatementProfiler:
    """Times every statement executed on one engine, aggregated per label and normalized SQL.

    Self time is execute plus the time the caller spends inside `fetching()` right after the
    statement. Calls count DBAPI executions: an executemany is one call, an "insertmanyvalues"
    INSERT is one call per batch SQLAlchemy sends. Rows are the rows fetched for a read (what
    the caller puts in `FetchTally.rows`; 0 without a `fetching()` block) and
    `cursor.rowcount` for a write (the parameter-set count when the driver reports -1).

    `hooks` picks the SQLAlchemy events that time the execute; both give the same counts:
    - "dialect" (default): `do_execute` / `do_executemany` / `do_execute_no_params` wrap the
      DBAPI call itself, through the dialect's own method, so only the dialect's event
      dispatch is added to each statement.
    - "cursor": `before_cursor_execute` / `after_cursor_execute`, the SQLAlchemy FAQ's query
      profiling recipe. Any Connection-event listener moves the engine to SQLAlchemy's event
      path for good (parameter distilling, before/after_execute dispatch): about 3 us more per
      statement, ~15 % on the bench's statistics cycle of 20 us SQLite primary-key reads,
      where the dialect hooks cost ~4 %.
    Statements run at connection set-up (dialect initialisation, pool pre-ping) are recorded
    by neither, except that the dialect hooks also see a first connect made after `attach`.
    """

    def __init__(self, clock: Clock = time.perf_counter, *, hooks: HookStyle = "dialect") -> None:
        self._clock = clock
        self._hooks = hooks
        self._lock = threading.Lock()  # guards the shard list and readers' copies
        self._shards: list[_ThreadState] = []
        self._local = _PerThread(self)
        self._engine: Engine | None = None
        self._listeners: list[tuple[str, Callable[..., Any]]] = []
        self._lazy_returning_rowcount = False

    # -- attaching -------------------------------------------------------------------------

    @property
    def engine(self) -> Engine | None:
        """The engine the profiler listens to, or None when detached."""
        return self._engine

    def attach(self, engine: Engine) -> None:
        """Start recording statements executed on `engine`; RuntimeError if already attached."""
        if self._engine is not None:
            raise RuntimeError(f"profiler is already attached to {self._engine!r}; detach first")
        # sqlite3 counts RETURNING rows only as they are fetched, which is after our hook.
        self._lazy_returning_rowcount = engine.dialect.name == "sqlite"
        if self._hooks == "dialect":
            self._listeners = [
                ("do_execute", self._do_execute),
                ("do_executemany", self._do_executemany),
                ("do_execute_no_params", self._do_execute_no_params),
            ]
            for name, listener in self._listeners:
                event.listen(engine, name, listener)
        else:
            self._listeners = [
                ("before_cursor_execute", self._before_cursor_execute),
                ("after_cursor_execute", self._after_cursor_execute),
            ]
            # retval=True spares the wrapper SQLAlchemy would add to return our arguments.
            event.listen(engine, "before_cursor_execute", self._before_cursor_execute, retval=True)
            event.listen(engine, "after_cursor_execute", self._after_cursor_execute)
        self._engine = engine

    def detach(self) -> None:
        """Stop recording; what was recorded stays. Does nothing when not attached."""
        engine, self._engine = self._engine, None
        if engine is None:
            return
        for name, listener in self._listeners:
            event.remove(engine, name, listener)
        self._listeners = []

    # -- per-thread context ----------------------------------------------------------------

    def labelled(self, label: str) -> AbstractContextManager[None]:
        """Context manager: statements this thread executes inside are recorded under `label`."""
        state = self._local.state
        labelled = state.labels.get(label)
        if labelled is None:
            labelled = state.labels[label] = _Labelled(state, label)
        return labelled

    def fetching(self) -> FetchTally:
        """Context manager: time inside is fetch time of this thread's last statement.

        Set `tally.rows` to the number of rows fetched:
        `with profiler.fetching() as tally: tally.rows = len(result.all())`.
        """
        state = self._local.state
        tally = state.fetch
        if tally._active:  # a nested block gets its own tally rather than clobbering the outer
            tally = FetchTally(self, state)
        tally.rows = 0
        return tally

    @contextmanager
    def activity(self) -> Iterator[ActivityTally]:
        """Accumulate this thread's statements, DB time and rows inside the block."""
        state = self._local.state
        tally = ActivityTally()
        outer, state.activity = state.activity, tally
        try:
            yield tally
        finally:
            state.activity = outer

    # -- results ---------------------------------------------------------------------------

    @property
    def total_time_s(self) -> float:
        """Self time of every recorded call (execute + fetch), in seconds."""
        return sum(sum(durations) for *_, durations in self._merged().values())

    @property
    def total_calls(self) -> int:
        """Number of recorded DBAPI executions."""
        return sum(len(durations) for *_, durations in self._merged().values())

    def statements(self) -> list[StatementStats]:
        """One entry per (label, normalized SQL), sorted by total self time, largest first."""
        merged = self._merged().values()
        summaries = [
            (label, sql, kind, rows, steps, summarize(d))
            for label, sql, kind, rows, steps, d in merged
        ]
        grand_total = sum(summary.total for *_, summary in summaries)
        stats = [
            StatementStats(
                label=label,
                sql=sql,
                kind=kind,
                calls=summary.count,
                rows=rows,
                total_s=summary.total,
                mean_s=summary.mean,
                p50_s=summary.p50,
                p95_s=summary.p95,
                p99_s=summary.p99,
                max_s=summary.max,
                share=summary.total / grand_total if grand_total > 0 else 0.0,
                vm_steps=steps,
            )
            for label, sql, kind, rows, steps, summary in summaries
        ]
        stats.sort(key=lambda s: (-s.total_s, s.label, s.sql))
        return stats

    def reset(self) -> None:
        """Forget everything recorded so far; listeners stay attached."""
        with self._lock:
            for shard in self._shards:
                # Emptied in place: the owning thread holds these very dicts.
                shard.entries.clear()
                for bucket in list(shard.buckets.values()):
                    bucket.clear()

    def _merged(self) -> dict[tuple[str, str], _Merged]:
        merged: dict[tuple[str, str], _Merged] = {}
        with self._lock:
            for shard in self._shards:
                for entry in list(shard.entries.values()):
                    # Slicing copies with one memcpy, atomic with the owner's appends.
                    durations, rows, steps = entry.durations[:], entry.rows, entry.vm_steps
                    key = (entry.label, entry.shape.sql)
                    if key in merged:
                        *_, merged_rows, merged_steps, merged_durations = merged[key]
                        merged_durations.extend(durations)
                        rows += merged_rows
                        if merged_steps is not None:
                            steps = merged_steps + (steps or 0)
                        durations = merged_durations
                    kind: StatementKind = "write" if entry.write else "read"
                    merged[key] = (entry.label, entry.shape.sql, kind, rows, steps, durations)
        return merged

    # -- recording from the driver path (the DAO's prepared statements) ---------------------

    @property
    def clock(self) -> Clock:
        """The clock statements are timed with (injected in tests)."""
        return self._clock

    def record(
        self,
        label: str,
        sql: str,
        elapsed: float,
        rows: int,
        *,
        write: bool,
        vm_steps: int | None = None,
    ) -> None:
        """Record one statement the caller timed itself (execute + fetch) under `label`.

        `rows` are the rows fetched for a read, the rows affected for a write; `vm_steps` the
        SQLite VM steps of the same span, where counted. Nothing is recorded while the
        profiler is detached.
        """
        if self._engine is None:
            return
        state = self._local.state
        bucket = state.buckets.get(label)
        entry = None if bucket is None else bucket.get(sql)
        if entry is None:
            entry = self._resolve_labelled(state, label, sql, write)
        entry.durations.append(elapsed)
        entry.rows += rows
        if vm_steps is not None:
            entry.vm_steps = (entry.vm_steps or 0) + vm_steps
        state.last = None  # a later fetching() block belongs to no statement of ours
        activity = state.activity
        if activity is not None:
            activity.statements += 1
            activity.db_time_s += elapsed
            if write:
                activity.rows_written += rows
            else:
                activity.rows_read += rows
            calls = activity.calls
            calls[label] = calls.get(label, 0) + 1

    def _resolve_labelled(self, state: _ThreadState, label: str, sql: str, write: bool) -> _Entry:
        shape = shape_of(sql)
        key = (label, shape.sql)
        entry = state.entries.get(key)
        if entry is None:
            entry = state.entries[key] = _Entry(label, shape, write=write)
        bucket = state.buckets.setdefault(label, {})
        if len(bucket) >= _MAX_TEXTS_PER_LABEL:
            bucket.clear()
        bucket[sql] = entry
        return entry

    # -- recording (the hot path) ----------------------------------------------------------

    def _record(
        self, elapsed: float, cursor: DBAPICursor, statement: str, parameters: Any, many: bool
    ) -> None:
        state = self._local.state
        entry = state.bucket.get(statement)
        if entry is None:
            entry = self._resolve(state, statement)
        rows = self._rows_written(cursor, entry, statement, parameters, many) if entry.write else 0
        durations = entry.durations
        state.last_index = len(durations)
        durations.append(elapsed)
        entry.rows += rows
        state.last = entry
        state.last_rows = rows
        activity = state.activity
        if activity is not None:
            activity.statements += 1
            activity.db_time_s += elapsed
            activity.rows_written += rows
            calls = activity.calls
            calls[entry.label] = calls.get(entry.label, 0) + 1

    def _resolve(self, state: _ThreadState, statement: str) -> _Entry:
        shape = shape_of(statement)
        label = state.label or shape.label
        key = (label, shape.sql)
        entry = state.entries.get(key)
        if entry is None:
            entry = state.entries[key] = _Entry(label, shape)
        bucket = state.bucket
        if len(bucket) >= _MAX_TEXTS_PER_LABEL:
            bucket.clear()
        bucket[statement] = entry
        return entry

    def _rows_written(
        self, cursor: DBAPICursor, entry: _Entry, statement: str, parameters: Any, many: bool
    ) -> int:
        rowcount: int = cursor.rowcount
        if rowcount > 0:
            return rowcount
        if rowcount == 0:
            # sqlite3 reports 0 for INSERT .. RETURNING (and for each insertmanyvalues batch)
            # until the rows are fetched: count the rows of this very text's VALUES list
            # (batches of different sizes share one entry, so not the entry's shape).
            if self._lazy_returning_rowcount and entry.shape.returning:
                return shape_of(statement).values_rows
            return 0
        # Unknown (-1): take an executemany as one row per parameter set.
        return len(parameters) if many else 0

    def _failed(self) -> None:
        # A failed statement records nothing, and a fetch after it must not land on the one
        # before it.
        self._local.state.last = None

    # -- dialect hooks: wrap the DBAPI call --------------------------------------------------

    def _do_execute(
        self, cursor: DBAPICursor, statement: str, parameters: Any, context: ExecutionContext
    ) -> Literal[True]:
        clock = self._clock
        started = clock()
        try:
            context.dialect.do_execute(cursor, statement, parameters, context)
        except BaseException:
            self._failed()
            raise
        self._record(clock() - started, cursor, statement, parameters, False)
        return True  # tells SQLAlchemy the execute has been done

    def _do_executemany(
        self, cursor: DBAPICursor, statement: str, parameters: Any, context: ExecutionContext
    ) -> Literal[True]:
        clock = self._clock
        started = clock()
        try:
            context.dialect.do_executemany(cursor, statement, parameters, context)
        except BaseException:
            self._failed()
            raise
        self._record(clock() - started, cursor, statement, parameters, True)
        return True

    def _do_execute_no_params(
        self, cursor: DBAPICursor, statement: str, context: ExecutionContext
    ) -> Literal[True]:
        clock = self._clock
        started = clock()
        try:
            context.dialect.do_execute_no_params(cursor, statement, context)
        except BaseException:
            self._failed()
            raise
        self._record(clock() - started, cursor, statement, (), False)
        return True

    # -- cursor hooks: the SQLAlchemy FAQ recipe ---------------------------------------------

    def _before_cursor_execute(
        self,
        conn: Connection,
        cursor: DBAPICursor,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None,
        executemany: bool,
    ) -> tuple[str, Any]:
        local = self._local
        local.started = self._clock()
        local.state.last = None  # stays None if the statement fails
        return statement, parameters

    def _after_cursor_execute(
        self,
        conn: Connection,
        cursor: DBAPICursor,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None,
        executemany: bool,
    ) -> None:
        ended = self._clock()
        # An insertmanyvalues batch is flagged executemany but carries one flat parameter set.
        many = executemany and isinstance(parameters, list)
        self._record(ended - self._local.started, cursor, statement, parameters, many)
