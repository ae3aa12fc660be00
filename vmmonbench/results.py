"""Results of a run: plain dataclasses, versioned JSON, atomic save, strict load.

Format history (bump FORMAT_VERSION and add a line when a loader could misread old files):
  1: first format (2026-11): runs with summary, statements, raw cycles, commands, consistency.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from vmmonbench import __version__
from vmmonbench.errors import ResultsFormatError
from vmmonbench.outputs import write_in_folder

FORMAT_VERSION = 1
FORMAT_HISTORY = "1: first format (2026-11): runs with summary, statements, raw cycles, commands"


class RunStatus:
    """Values of `status` at the top level and per run."""

    COMPLETE = "complete"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    UNFINISHED = "unfinished"  # top level only: saved while the run goes on (or if it was killed)


@dataclass(slots=True)
class RunSummary:
    """Headline figures of one configuration (times in seconds)."""

    simulated_s: float = 0.0
    hosts: int = 1
    cycles: dict[str, int] = field(default_factory=dict)
    effective_stats_period_s: float | None = None
    stats_cycle_s: float = 0.0
    busy_s: float = 0.0
    utilization: float = 0.0
    db_time_s: float = 0.0
    monitoring_db_time_s: float = 0.0
    db_time_per_stats_cycle_s: float = 0.0
    statements: int = 0
    statements_per_stats_cycle: float = 0.0
    rows_written: int = 0
    rows_written_per_stats_cycle: float = 0.0
    rpc_calls: int = 0
    rpc_bytes: int = 0
    vms_skipped: int = 0
    cycles_skipped: int = 0
    failed_cycles: int = 0
    events_received: int = 0
    events_ignored: int = 0
    vms_lost: int = 0
    reconnects: int = 0
    command_wait_p99_s: float = 0.0


@dataclass(slots=True)
class RunResult:
    """Everything measured for one configuration."""

    label: str
    lock: str
    fetch: str
    optimizations: list[str]
    status: str = RunStatus.COMPLETE
    summary: RunSummary = field(default_factory=RunSummary)
    statements: list[dict[str, Any]] = field(default_factory=list)
    cycles: list[dict[str, Any]] = field(default_factory=list)
    commands: dict[str, Any] = field(default_factory=dict)
    consistency: dict[str, Any] = field(default_factory=dict)
    floor: dict[str, Any] = field(default_factory=dict)
    server_statements: dict[str, Any] = field(default_factory=dict)
    cpu_profile: dict[str, Any] = field(default_factory=dict)
    world: dict[str, Any] = field(default_factory=dict)
    faults: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0
    error: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """Rebuild from `asdict` output (unknown keys kept out, missing ones defaulted)."""
        known = {f for f in cls.__dataclass_fields__ if f != "summary"}
        summary_fields = RunSummary.__dataclass_fields__
        summary = RunSummary(
            **{k: v for k, v in (data.get("summary") or {}).items() if k in summary_fields}
        )
        return cls(summary=summary, **{k: v for k, v in data.items() if k in known})


@dataclass(slots=True)
class Results:
    """One results.json: environment, workload, and a RunResult per configuration."""

    workload: dict[str, Any]
    environment: dict[str, Any] = field(default_factory=dict)
    database: dict[str, Any] = field(default_factory=dict)
    runs: list[RunResult] = field(default_factory=list)
    status: str = RunStatus.COMPLETE
    failure: str | None = None
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    vmmonbench_version: str = __version__
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Plain data, format version and history first."""
        data = asdict(self)
        ordered = {
            "format_version": self.format_version,
            "format_history": FORMAT_HISTORY,
            "vmmonbench_version": self.vmmonbench_version,
            "created": self.created,
            "status": self.status,
        }
        ordered.update({k: v for k, v in data.items() if k not in ordered})
        return ordered

    def to_json(self) -> bytes:
        """Indented JSON bytes."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)

    def save(self, path: Path) -> None:
        """Write atomically into its folder, never through a symlink (OutputError otherwise)."""
        write_in_folder(path, self.to_json())

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "results") -> Results:
        """Validate and rebuild; raises ResultsFormatError with what to do."""
        if not isinstance(data, dict):
            raise ResultsFormatError(f"{source}: not a vmmonbench results object")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ResultsFormatError(
                f"{source}: results format_version {version!r} is not supported by vmmonbench "
                f"{__version__} (which reads version {FORMAT_VERSION}); re-run the workload "
                "or use the vmmonbench version that wrote it"
            )
        if not isinstance(data.get("workload"), dict) or not isinstance(data.get("runs"), list):
            raise ResultsFormatError(f"{source}: missing 'workload' or 'runs'")
        try:
            runs = [RunResult.from_dict(run) for run in data["runs"]]
        except (TypeError, AttributeError) as exc:
            raise ResultsFormatError(f"{source}: malformed run entry ({exc})") from None
        fields = cls.__dataclass_fields__
        values = {k: v for k, v in data.items() if k in fields and k != "runs"}
        return cls(runs=runs, **values)

    @classmethod
    def load(cls, path: Path) -> Results:
        """Read a results file; truncated, non-JSON or foreign files are a ResultsFormatError."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ResultsFormatError(f"results file {path} does not exist") from None
        except OSError as exc:
            raise ResultsFormatError(f"cannot read results file {path}: {exc.strerror}") from None
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ResultsFormatError(
                f"{path} is not valid JSON (truncated or not a results file): {exc}"
            ) from None
        return cls.from_dict(data, source=str(path))

    def run(self, label: str) -> RunResult | None:
        """The run with this label, if any."""
        return next((run for run in self.runs if run.label == label), None)
