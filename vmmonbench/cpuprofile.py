"""CPU profiles with py-spy: sample this process while a configuration runs, write the files."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from vmmonbench.hotspots import MONITORING_CODE, DbTime, code_vs_db, hot_spots, sample_count
from vmmonbench.outputs import write_in_folder
from vmmonbench.result_records import CpuProfile, ProfilingStatus

DEFAULT_RATE_HZ = 50
SCRATCH_PREFIX = ".cpu-profile-"
ATTACH_GRACE_S = 1.5
HOW_TO_ENABLE = (
    "run as root, or grant CAP_SYS_PTRACE (e.g. docker run --cap-add SYS_PTRACE), "
    "or allow tracing with sysctl kernel.yama.ptrace_scope=0"
)


@dataclass(frozen=True, slots=True)
class ProfileFiles:
    """What one profiled configuration left on disk."""

    speedscope: Path
    flamegraph: Path


def pyspy_executable() -> str | None:
    """py-spy from this environment's scripts folder, else from PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.is_file():
        return str(beside)
    return shutil.which("py-spy")


def safe_name(label: str) -> str:
    """A file-name-safe form of a configuration label."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label)


class CpuProfiler:
    """Records one configuration at a time with two py-spy samplers (speedscope + flame graph).

    py-spy writes one format per recording, so two recorders run side by side, each at half
    the rate; they read this process's memory without pausing it (`--nonblocking`).
    """

    def __init__(
        self,
        out_dir: Path,
        *,
        rate_hz: int = DEFAULT_RATE_HZ,
        executable: str | None = None,
        command_prefix: Sequence[str] = (),
    ) -> None:
        self.out_dir = out_dir
        self.rate_hz = rate_hz
        self.executable = executable or pyspy_executable()
        self.command_prefix = list(command_prefix)
        self._recorders: list[subprocess.Popen[bytes]] = []
        self._files: ProfileFiles | None = None
        self._errors: list[Path] = []
        # py-spy writes into a private folder of ours; the files then enter out_dir the way
        # every output does (never through a symlink planted there)
        self._scratch: Path | None = None

    def start(self, label: str, pid: int | None = None) -> str | None:
        """Begin recording `pid` (default: this process); None when attached, else why not."""
        if self.executable is None:
            return f"py-spy is not installed; {HOW_TO_ENABLE}"
        target = os.getpid() if pid is None else pid
        base = self.out_dir / f"cpu-{safe_name(label)}"
        files = ProfileFiles(Path(f"{base}.speedscope.json"), Path(f"{base}.flamegraph.svg"))
        self._scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=self.out_dir))
        per_recorder = max(1, self.rate_hz // 2)
        for fmt, final in (("speedscope", files.speedscope), ("flamegraph", files.flamegraph)):
            path = self._scratch / final.name
            errors = Path(f"{path}.log")
            self._errors.append(errors)
            with errors.open("wb") as log:
                self._recorders.append(
                    subprocess.Popen(
                        [
                            *self.command_prefix,
                            self.executable,
                            "record",
                            "--pid",
                            str(target),
                            "--rate",
                            str(per_recorder),
                            "--nonblocking",
                            "--function",
                            "--format",
                            fmt,
                            "--output",
                            str(path),
                        ],
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=log,
                        start_new_session=True,  # Ctrl-C on the run must not kill the samplers
                    )
                )
        reason = self._wait_attached()
        if reason is not None:
            self.stop()
            return f"py-spy cannot attach to pid {target}: {reason}; {HOW_TO_ENABLE}"
        self._files = files
        return None

    def _wait_attached(self) -> str | None:
        deadline = time.monotonic() + ATTACH_GRACE_S
        while time.monotonic() < deadline:
            for recorder, log in zip(self._recorders, self._errors, strict=True):
                if recorder.poll() is not None:
                    return _first_line(log) or f"py-spy exited with code {recorder.returncode}"
            time.sleep(0.05)  # polling a child's start-up; nothing to block on instead
        return None

    def stop(self) -> ProfileFiles | None:
        """Stop recording; py-spy writes its files on SIGINT. Returns them if both exist."""
        for recorder in self._recorders:
            if recorder.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    recorder.send_signal(signal.SIGINT)
        for recorder in self._recorders:
            try:
                recorder.wait(timeout=60)
            except subprocess.TimeoutExpired:
                recorder.kill()
                recorder.wait()
        files, self._files = self._files, None
        scratch, self._scratch = self._scratch, None
        self._recorders.clear()
        self._errors.clear()
        if scratch is None:
            return None
        try:
            if files is None:
                return None
            recorded = [scratch / final.name for final in (files.speedscope, files.flamegraph)]
            if not all(path.is_file() for path in recorded):
                return None
            write_in_folder(files.speedscope, recorded[0].read_bytes())
            write_in_folder(files.flamegraph, recorded[1].read_bytes())
            return files
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _first_line(path: Path) -> str:
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            text = line.strip()
            if text and not text.startswith("py-spy>"):
                return text
    return ""


class ProfilingSession:
    """CPU profiling over a whole run: one recording per configuration, or one reason why not.

    The first failure to attach disables profiling for the rest of the run, with one message.
    """

    def __init__(self, profiler: CpuProfiler, notify: Callable[[str], None]) -> None:
        self.profiler = profiler
        self.notify = notify
        self.unavailable: str | None = None
        self._recording = False

    @property
    def status(self) -> ProfilingStatus:
        """The run-level record for results.json."""
        if self.unavailable is None:
            return ProfilingStatus(requested=True, available=True)
        return ProfilingStatus(requested=True, available=False, reason=self.unavailable)

    def start(self, label: str) -> None:
        """Start recording a configuration (does nothing once profiling is unavailable)."""
        if self.unavailable is not None:
            return
        reason = self.profiler.start(label)
        if reason is not None:
            self.unavailable = reason
            self.notify(f"CPU profiles disabled: {reason}")
        self._recording = reason is None

    def stop(self, statements: Sequence[DbTime]) -> CpuProfile:
        """Stop recording; the configuration's CPU profile section for results.json."""
        files = self.profiler.stop() if self._recording else None
        self._recording = False
        if files is None:
            return CpuProfile(available=False, reason=self.unavailable or "no profile was written")
        profile = orjson.loads(files.speedscope.read_bytes())
        rate = self.profiler.rate_hz / 2  # two recorders, half the rate each
        monitoring = hot_spots(profile, rate_hz=rate, attribute_to=MONITORING_CODE)
        return CpuProfile(
            available=True,
            rate_hz=rate,
            samples=sample_count(profile),
            speedscope=files.speedscope.name,
            flamegraph=files.flamegraph.name,
            hot_spots=tuple(hot_spots(profile, rate_hz=rate)),
            monitoring_hot_spots=tuple(monitoring),
            code_vs_db=tuple(code_vs_db(monitoring, statements)),
        )
