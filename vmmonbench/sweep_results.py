"""sweep.json: every size's run and the fitted capacity models, typed, versioned, strictly read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from vmmonbench import __version__
from vmmonbench.errors import ResultsFormatError
from vmmonbench.inputs import MIB, read_bounded
from vmmonbench.outputs import write_in_folder
from vmmonbench.result_records import RunStatus, WorkloadInfo
from vmmonbench.scaling import CapacityModel

SWEEP_FORMAT_VERSION = 1
MAX_SWEEP_BYTES = 64 * MIB


@dataclass(frozen=True, slots=True)
class SizeRun:
    """One size of the sweep: where its results.json is (relative), and how it ended."""

    vms: int
    hosts: int
    results: str
    status: RunStatus


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepResult:
    """Every size's run (a results.json each) and the fitted capacity models."""

    workload: Mapping[str, Any]
    sizes: tuple[int, ...]
    hosts: tuple[int, ...]
    runs: tuple[SizeRun, ...] = ()
    models: tuple[CapacityModel, ...] = ()
    status: RunStatus = RunStatus.COMPLETE
    failure: str | None = None
    created: str = field(default_factory=_now)
    vmmonbench_version: str = __version__
    format_version: int = SWEEP_FORMAT_VERSION

    @property
    def parameters(self) -> WorkloadInfo:
        """The base workload's parameters, typed (checked when the file was read)."""
        return msgspec.convert(self.workload, WorkloadInfo)

    def to_json(self) -> bytes:
        """Indented JSON bytes."""
        return msgspec.json.format(msgspec.json.encode(self), indent=2)

    def save(self, path: Path) -> None:
        """Write atomically into its folder, never through a symlink."""
        write_in_folder(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> SweepResult:
        """Read a sweep.json: a regular file of a sane size, every field typed."""
        raw = read_bounded(path, what="sweep file", limit_bytes=MAX_SWEEP_BYTES)
        try:
            found = msgspec.json.decode(raw, type=SweepResult)
            msgspec.convert(found.workload, WorkloadInfo)
        except msgspec.ValidationError as exc:
            raise ResultsFormatError(f"{path}: not a valid sweep file: {exc}") from None
        except msgspec.DecodeError as exc:
            raise ResultsFormatError(f"{path} is not valid JSON: {exc}") from None
        if found.format_version != SWEEP_FORMAT_VERSION:
            raise ResultsFormatError(
                f"{path}: sweep format_version {found.format_version} is not supported by "
                f"vmmonbench {__version__} (which reads version {SWEEP_FORMAT_VERSION})"
            )
        return found
