"""Results of a run: typed records, versioned JSON, atomic save, strict load.

Format history (bump FORMAT_VERSION and add a line when a loader could misread old files):
  1: first format (2026-11): runs with summary, statements, raw cycles, commands, consistency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from vmmonbench import __version__
from vmmonbench.errors import ResultsFormatError
from vmmonbench.inputs import MIB, read_bounded
from vmmonbench.outputs import write_in_folder
from vmmonbench.result_records import (
    CommandWaits,
    Consistency,
    CpuProfile,
    CycleRecord,
    DatabaseInfo,
    Environment,
    FaultsSeen,
    Floor,
    MemoryTrace,
    RunExtras,
    RunStatus,
    RunSummary,
    ServerCheck,
    StatementRecord,
    WorkloadInfo,
    WorldChanges,
)

FORMAT_VERSION = 1
FORMAT_HISTORY = "1: first format (2026-11): runs with summary, statements, raw cycles, commands"
# A run of hours over many hosts stays far below this (the study's run is 100 KB); anything
# larger is not ours, or hostile, and comparing it would take gigabytes.
MAX_RESULTS_BYTES = 64 * MIB

__all__ = ["FORMAT_VERSION", "Results", "RunResult", "RunStatus", "RunSummary"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """Everything measured for one configuration.

    The summary, statements and cycles are required in a file: the figures come from them,
    and a run that lost them must not read as one that measured zeros.
    """

    label: str
    lock: str
    fetch: str
    optimizations: tuple[str, ...]
    status: RunStatus = RunStatus.COMPLETE
    summary: RunSummary
    statements: tuple[StatementRecord, ...]
    cycles: tuple[CycleRecord, ...]
    commands: CommandWaits = field(default_factory=CommandWaits)
    consistency: Consistency = field(default_factory=Consistency)
    floor: Floor = field(default_factory=Floor)
    server_statements: ServerCheck = field(default_factory=ServerCheck)
    cpu_profile: CpuProfile = field(default_factory=CpuProfile)
    world: WorldChanges = field(default_factory=WorldChanges)
    faults: FaultsSeen = field(default_factory=FaultsSeen)
    memory: MemoryTrace = field(default_factory=MemoryTrace)
    wall_s: float = 0.0
    error: str | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True, kw_only=True)
class Results:
    """One results.json: environment, workload, and a RunResult per configuration.

    The fields are the file's keys in the file's order; `workload` keeps every parameter as
    the workload wrote it (compare checks them key by key).
    """

    format_version: int = FORMAT_VERSION
    format_history: str = FORMAT_HISTORY
    vmmonbench_version: str = __version__
    created: str = field(default_factory=_now)
    status: RunStatus = RunStatus.COMPLETE
    workload: Mapping[str, Any]
    environment: Environment = field(default_factory=Environment)
    database: DatabaseInfo = field(default_factory=DatabaseInfo)
    runs: tuple[RunResult, ...]
    failure: str | None = None
    notes: tuple[str, ...] = ()
    extra: RunExtras = field(default_factory=RunExtras)

    @property
    def parameters(self) -> WorkloadInfo:
        """The workload's parameters, typed (checked when the file was read)."""
        return msgspec.convert(self.workload, WorkloadInfo)

    @property
    def workload_name(self) -> str:
        """The workload's name ('?' when the file has none)."""
        return self.parameters.name or "?"

    def run(self, label: str) -> RunResult | None:
        """The run with this label, if any."""
        return next((run for run in self.runs if run.label == label), None)

    def to_json(self) -> bytes:
        """Indented JSON bytes, format version and history first."""
        return msgspec.json.format(_ENCODER.encode(_ordered(self)), indent=2)

    def save(self, path: Path) -> None:
        """Write atomically into its folder, never through a symlink (OutputError otherwise)."""
        write_in_folder(path, self.to_json())

    @classmethod
    def from_json(cls, raw: bytes, *, source: str = "results") -> Results:
        """Parse and check a results file's bytes; ResultsFormatError says what is wrong."""
        try:
            header = msgspec.json.decode(raw, type=_Header)
        except msgspec.ValidationError:  # valid JSON, but not an object
            raise ResultsFormatError(f"{source}: not a vmmonbench results object") from None
        except msgspec.DecodeError as exc:
            raise ResultsFormatError(
                f"{source} is not valid JSON (truncated or not a results file): {exc}"
            ) from None
        if header.format_version != FORMAT_VERSION or isinstance(header.format_version, bool):
            raise ResultsFormatError(
                f"{source}: results format_version {header.format_version!r} is not supported "
                f"by vmmonbench {__version__} (which reads version {FORMAT_VERSION}); re-run "
                "the workload or use the vmmonbench version that wrote it"
            )
        try:
            results = _DECODER.decode(raw)
        except msgspec.ValidationError as exc:
            raise ResultsFormatError(f"{source}: not a valid results file: {exc}") from None
        try:
            msgspec.convert(results.workload, WorkloadInfo)
        except msgspec.ValidationError as exc:
            where = str(exc).replace("at `$", "at `$.workload")
            raise ResultsFormatError(f"{source}: not a valid results file: {where}") from None
        return results

    @classmethod
    def load(cls, path: Path) -> Results:
        """Read a results file: a regular file of a sane size, valid JSON, every field typed."""
        raw = read_bounded(path, what="results file", limit_bytes=MAX_RESULTS_BYTES)
        return cls.from_json(raw, source=str(path))


@dataclass(frozen=True, slots=True)
class _Header:
    format_version: Any = None


def _ordered(results: Results) -> Results:
    # a file always says which format it is in, whoever built the record
    return replace(results, format_history=FORMAT_HISTORY)


def _python_number(value: Any) -> Any:
    # numpy scalars reach the records through statistics; JSON takes their Python value
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise NotImplementedError(f"cannot store {type(value).__name__} in results.json")


_ENCODER = msgspec.json.Encoder(enc_hook=_python_number)
_DECODER = msgspec.json.Decoder(Results)


def to_builtins(results: Results) -> dict[str, Any]:
    """The results as plain JSON-able data (what `to_json` writes)."""
    data: dict[str, Any] = msgspec.to_builtins(_ordered(results), enc_hook=_python_number)
    return data
