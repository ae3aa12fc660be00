"""Workload: the parameters of a run, loaded from TOML files and validated key by key."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from vmmonbench.errors import BadInputError, WorkloadError
from vmmonbench.faults import FaultSpec, parse_fault

MAX_VMS_PER_HOST = 50_000
MAX_HOSTS = 200
MAX_TOTAL_VMS = 250_000
MAX_DURATION_S = 24 * 3600.0
MAX_MIX_WEIGHT = 1e6  # relative weights: any larger range says nothing more
COMMAND_KINDS = ("update", "hotplug", "ticket")
BUILTIN_DIR_NAME = "workloads"


@dataclass(frozen=True, slots=True)
class StatsRanges:
    """Ranges the fake hosts draw statistics from on every poll (the study's fake VDSM values)."""

    cpu_percent: tuple[float, float] = (10.0, 20.0)
    mem_percent: tuple[float, float] = (5.0, 10.0)
    net_rate: tuple[float, float] = (10.0, 15.0)


@dataclass(frozen=True, slots=True)
class CommandTraffic:
    """User operations during a run: rate per simulated second (all VMs), host latency, mix."""

    rate_per_s: float = 0.5
    latency_ms: float = 20.0
    mix: tuple[tuple[str, float], ...] = (("update", 0.6), ("hotplug", 0.1), ("ticket", 0.3))


@dataclass(frozen=True, slots=True)
class Workload:
    """Every parameter of a run. `vms` counts VMs per host; the run monitors `vms * hosts` VMs."""

    name: str = "stable"
    description: str = "1 host, 6000 stable VMs: only statistics change (the study)"
    vms: int = 6000
    hosts: int = 1
    vnics: int = 1  # the study's VMs: one vNIC, so one guest-agent NIC
    disks: int = 1
    duration_s: float = 60.0
    seed: int = 20161
    churn_per_vm_hour: float = 0.0
    devices_change_per_vm_hour: float = 0.0
    guest_nic_reorder: bool = False
    stats: StatsRanges = field(default_factory=StatsRanges)
    commands: CommandTraffic = field(default_factory=CommandTraffic)
    faults: tuple[str, ...] = ()

    @property
    def total_vms(self) -> int:
        """VMs over all hosts."""
        return self.vms * self.hosts

    def fault_specs(self) -> list[FaultSpec]:
        """The parsed fault specifications."""
        return [parse_fault(f) for f in self.faults]

    def to_dict(self) -> dict[str, Any]:
        """Every parameter as plain JSON-able data (stored in results.json)."""
        data = asdict(self)
        data["stats"] = {k: list(v) for k, v in data["stats"].items()}
        data["commands"]["mix"] = dict(self.commands.mix)
        data["faults"] = list(self.faults)
        data["total_vms"] = self.total_vms
        return data

    def with_overrides(
        self,
        *,
        vms: int | None = None,
        hosts: int | None = None,
        duration_s: float | None = None,
        seed: int | None = None,
        faults: tuple[str, ...] | None = None,
    ) -> Workload:
        """A copy with command-line overrides applied and validated."""
        changes: dict[str, Any] = {}
        if vms is not None:
            changes["vms"] = vms
        if hosts is not None:
            changes["hosts"] = hosts
        if duration_s is not None:
            changes["duration_s"] = duration_s
        if seed is not None:
            changes["seed"] = seed
        if faults is not None:
            changes["faults"] = faults
        updated = replace(self, **changes)
        _validate(updated, "command line")
        return updated


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str | float | int) -> float:
    """Seconds from `90`, `90s`, `5m`, `1.5h` or `250ms`."""
    if isinstance(text, bool):
        raise WorkloadError(f"bad duration {text!r}: use e.g. 60s, 5m or 1h")
    if isinstance(text, int | float):
        return float(text)
    match = _DURATION.match(text)
    if not match:
        raise WorkloadError(f"bad duration {text!r}: use e.g. 60s, 5m or 1h")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def builtin_dirs() -> list[Path]:
    """Where built-in workload files live: the packaged copy, then the source checkout."""
    package_dir = Path(__file__).resolve().parent
    return [package_dir / "_workloads", package_dir.parent / BUILTIN_DIR_NAME]


def builtin_names() -> list[str]:
    """Names of the built-in workloads."""
    names: set[str] = set()
    for directory in builtin_dirs():
        if directory.is_dir():
            names.update(p.stem for p in directory.glob("*.toml"))
    return sorted(names)


def resolve_workload_path(name_or_path: str) -> Path:
    """A workload file path from a path, a `workloads/NAME.toml` in the cwd, or a built-in name."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or "/" in name_or_path:
        if not candidate.exists():
            raise WorkloadError(f"workload file {name_or_path} does not exist")
        return candidate
    local = Path.cwd() / BUILTIN_DIR_NAME / f"{name_or_path}.toml"
    if local.is_file():
        return local
    for directory in builtin_dirs():
        packaged = directory / f"{name_or_path}.toml"
        if packaged.is_file():
            return packaged
    known = ", ".join(builtin_names()) or "none found"
    raise WorkloadError(f"unknown workload {name_or_path!r}; built-in workloads: {known}")


def load_workload(name_or_path: str) -> Workload:
    """Load and validate a workload by built-in name or TOML path."""
    path = resolve_workload_path(name_or_path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WorkloadError(f"cannot read workload file {path}: {exc.strerror}") from None
    try:
        # a byte-order mark (some Windows editors write one) is not part of the TOML
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WorkloadError(
            f"{path}: not valid TOML: not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x})"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkloadError(f"{path}: not valid TOML: {exc}") from None
    data.setdefault("name", path.stem)
    return _build(data, str(path))


_TOP_KEYS = {
    "name": str,
    "description": str,
    "vms": int,
    "hosts": int,
    "vnics": int,
    "disks": int,
    "duration": "duration",
    "duration_s": "duration",
    "seed": int,
    "churn_per_vm_hour": float,
    "devices_change_per_vm_hour": float,
    "guest_nic_reorder": bool,
    "stats": dict,
    "commands": dict,
    "faults": list,
    "total_vms": int,
}
_STATS_KEYS = ("cpu_percent", "mem_percent", "net_rate")
_COMMAND_KEYS = ("rate_per_s", "latency_ms", "mix")


def _build(data: Mapping[str, Any], source: str) -> Workload:
    for key in data:
        if key not in _TOP_KEYS:
            raise WorkloadError(
                f"{source}: unknown key {key!r}; known keys: {', '.join(sorted(_TOP_KEYS))}"
            )
    values: dict[str, Any] = {}
    for key, kind in _TOP_KEYS.items():
        if key not in data or key in {"stats", "commands", "faults", "total_vms"}:
            continue
        value = data[key]
        if kind == "duration":
            try:
                values["duration_s"] = parse_duration(value)
            except WorkloadError as exc:
                raise WorkloadError(f"{source}: key {key!r}: {exc}") from None
            continue
        values[key] = _typed(source, key, value, kind)
    if "stats" in data:
        values["stats"] = _stats(source, _table(source, "stats", data["stats"]))
    if "commands" in data:
        values["commands"] = _commands(source, _table(source, "commands", data["commands"]))
    if "faults" in data:
        faults = data["faults"]
        if not isinstance(faults, list) or not all(isinstance(f, str) for f in faults):
            raise WorkloadError(f"{source}: key 'faults' must be a list of fault specs")
        try:
            values["faults"] = tuple(parse_fault(f).spec() for f in faults)
        except BadInputError as exc:
            raise WorkloadError(f"{source}: key 'faults': {exc.message}") from None
    workload = Workload(**values)
    _validate(workload, source)
    return workload


def _typed(source: str, key: str, value: Any, kind: Any) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is int and isinstance(value, bool):
        raise WorkloadError(f"{source}: key {key!r} must be an integer, got {value!r}")
    if not isinstance(value, kind):
        raise WorkloadError(f"{source}: key {key!r} must be {kind.__name__}, got {value!r}")
    if kind is float and not math.isfinite(value):
        raise WorkloadError(f"{source}: key {key!r} must be a finite number, got {value!r}")
    return value


def _table(source: str, key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise WorkloadError(f"{source}: [{key}] must be a table")
    return value


def _range(source: str, key: str, value: Any) -> tuple[float, float]:
    ok = (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )
    if not ok or not 0 <= value[0] <= value[1] <= 100:
        raise WorkloadError(
            f"{source}: key {key!r} must be [low, high] with 0 <= low <= high <= 100 (percent)"
        )
    return (float(value[0]), float(value[1]))


def _stats(source: str, table: Mapping[str, Any]) -> StatsRanges:
    for key in table:
        if key not in _STATS_KEYS:
            raise WorkloadError(f"{source}: unknown key {key!r} in [stats]")
    # all three are percentages (net_rate of the link speed, as the engine computes rx/tx rates)
    ranges = {key: _range(source, f"stats.{key}", table[key]) for key in table}
    return StatsRanges(**ranges)


def _commands(source: str, table: Mapping[str, Any]) -> CommandTraffic:
    for key in table:
        if key not in _COMMAND_KEYS:
            raise WorkloadError(f"{source}: unknown key {key!r} in [commands]")
    values: dict[str, Any] = {}
    for key in ("rate_per_s", "latency_ms"):
        if key in table:
            values[key] = _typed(source, f"commands.{key}", table[key], float)
    if "mix" in table:
        mix = _table(source, "commands.mix", table["mix"])
        pairs: list[tuple[str, float]] = []
        for kind, weight in mix.items():
            if kind not in COMMAND_KINDS:
                raise WorkloadError(
                    f"{source}: unknown command {kind!r} in [commands.mix]; "
                    f"choose from: {', '.join(COMMAND_KINDS)}"
                )
            pairs.append((kind, _typed(source, f"commands.mix.{kind}", weight, float)))
        values["mix"] = tuple(pairs)
    return CommandTraffic(**values)


def _validate(w: Workload, source: str) -> None:
    def bad(key: str, message: str) -> WorkloadError:
        return WorkloadError(f"{source}: {key} {message}")

    if not w.name or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", w.name):
        raise bad("name", "must be 1-64 letters, digits, '-', '_' or '.'")
    if not 1 <= w.vms <= MAX_VMS_PER_HOST:
        raise bad("vms", f"must be between 1 and {MAX_VMS_PER_HOST} (VMs per host), got {w.vms}")
    if not 1 <= w.hosts <= MAX_HOSTS:
        raise bad("hosts", f"must be between 1 and {MAX_HOSTS}, got {w.hosts}")
    if w.total_vms > MAX_TOTAL_VMS:
        raise bad("vms x hosts", f"must be at most {MAX_TOTAL_VMS}, got {w.total_vms}")
    if not 0 <= w.vnics <= 16:
        raise bad("vnics", f"must be between 0 and 16, got {w.vnics}")
    if not 0 <= w.disks <= 16:
        raise bad("disks", f"must be between 0 and 16, got {w.disks}")
    if not 0 < w.duration_s <= MAX_DURATION_S:
        raise bad("duration", f"must be more than 0 and at most 24h, got {w.duration_s:g}s")
    if not 0 <= w.seed < 2**63:
        raise bad("seed", f"must be a non-negative integer, got {w.seed}")
    if not 0 <= w.churn_per_vm_hour <= 3600:
        raise bad("churn_per_vm_hour", "must be between 0 and 3600")
    if not 0 <= w.devices_change_per_vm_hour <= 3600:
        raise bad("devices_change_per_vm_hour", "must be between 0 and 3600")
    if not 0 <= w.commands.rate_per_s <= 1000:
        raise bad("commands.rate_per_s", "must be between 0 and 1000")
    if not 0 <= w.commands.latency_ms <= 60_000:
        raise bad("commands.latency_ms", "must be between 0 and 60000")
    weights = [weight for _, weight in w.commands.mix]
    # written as "not inside the range" so that NaN, which compares false, is refused too
    if not all(0 <= weight <= MAX_MIX_WEIGHT for weight in weights) or (
        w.commands.rate_per_s > 0 and not sum(weights) > 0
    ):
        raise bad(
            "commands.mix", f"weights must be numbers from 0 to {MAX_MIX_WEIGHT:g}, not all 0"
        )
    for fault in w.faults:
        parse_fault(fault)


def to_toml(workload: Workload) -> str:
    """The workload as a TOML file that `load_workload` reads back to an equal Workload."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    lines = [
        f"name = {value(workload.name)}",
        f"description = {value(workload.description)}",
        f"vms = {workload.vms}",
        f"hosts = {workload.hosts}",
        f"vnics = {workload.vnics}",
        f"disks = {workload.disks}",
        f"duration_s = {workload.duration_s!r}",
        f"seed = {workload.seed}",
        f"churn_per_vm_hour = {workload.churn_per_vm_hour!r}",
        f"devices_change_per_vm_hour = {workload.devices_change_per_vm_hour!r}",
        f"guest_nic_reorder = {value(workload.guest_nic_reorder)}",
        f"faults = {value(list(workload.faults))}",
        "",
        "[stats]",
        f"cpu_percent = {value(list(workload.stats.cpu_percent))}",
        f"mem_percent = {value(list(workload.stats.mem_percent))}",
        f"net_rate = {value(list(workload.stats.net_rate))}",
        "",
        "[commands]",
        f"rate_per_s = {workload.commands.rate_per_s!r}",
        f"latency_ms = {workload.commands.latency_ms!r}",
        "",
        "[commands.mix]",
        *(f"{kind} = {weight!r}" for kind, weight in workload.commands.mix),
    ]
    return "\n".join(lines) + "\n"
