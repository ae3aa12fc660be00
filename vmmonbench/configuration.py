"""The configuration space: lock axis x fetch axis x the nine 4.1 optimizations (DOMAIN.md s3)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from vmmonbench.errors import BadInputError

STATS_DELAY_S = 15.0  # statistics cycle fixed delay (event-plus-stats), DOMAIN.md section 2
REFRESH_DELAY_S = 3.0  # VdsRefreshRate: the host timer (polling-only)
STATS_EVERY_REFRESHES = 5  # NumberVmRefreshesBeforeSave


class LockMode(StrEnum):
    """Lock granularity: the 3.4/3.5 host lock or the 3.6+ per-VM lock."""

    HOST = "host-lock"
    PER_VM = "per-vm-lock"


class FetchMode(StrEnum):
    """Fetch strategy: polling only, or status events plus a statistics cycle."""

    POLLING = "polling-only"
    EVENTS = "event-plus-stats"


class Optimization(StrEnum):
    """The nine 4.1 changes, in DOMAIN.md order; each can be switched on alone."""

    VM_NUMA_SKIP = "vm-numa-skip"
    HOST_NUMA_MEMO = "host-numa-memo"
    JOBS_IN_MEMORY = "jobs-in-memory"
    DYNAMIC_UPDATES = "dynamic-updates"
    DEVICES_SPLIT = "devices-split"
    LIGHT_VIEWS = "light-views"
    STATS_IN_MEMORY = "stats-in-memory"
    DYNAMIC_ONLY_READ = "dynamic-only-read"
    NO_SELECT_1 = "no-select-1"


ALL_OPTIMIZATIONS: frozenset[Optimization] = frozenset(Optimization)


@dataclass(frozen=True, slots=True)
class Configuration:
    """One point of the matrix: a lock mode, a fetch mode and a set of 4.1 optimizations."""

    lock: LockMode
    fetch: FetchMode
    optimizations: frozenset[Optimization] = frozenset()

    @property
    def label(self) -> str:
        """Stable label used in results and reports, e.g. `per-vm-lock+event-plus-stats+4.1`."""
        return f"{self.lock}+{self.fetch}+{optimization_suffix(self.optimizations)}"

    @property
    def is_legacy(self) -> bool:
        """True when no optimization is on (the 3.6 persistence)."""
        return not self.optimizations

    def has(self, optimization: Optimization) -> bool:
        """Whether `optimization` is switched on in this configuration."""
        return optimization in self.optimizations

    def sorted_optimizations(self) -> list[str]:
        """Optimization names in DOMAIN.md order."""
        return [o.value for o in Optimization if o in self.optimizations]


def optimization_suffix(optimizations: frozenset[Optimization]) -> str:
    """`3.6` for none, `4.1` for all nine, else the names joined by `,`."""
    if not optimizations:
        return "3.6"
    if optimizations == ALL_OPTIMIZATIONS:
        return "4.1"
    return ",".join(o.value for o in Optimization if o in optimizations)


def parse_optimizations(names: Iterable[str]) -> frozenset[Optimization]:
    """Parse `all`, `none` or optimization names (comma-separated allowed) into a set."""
    chosen: set[Optimization] = set()
    for raw in names:
        for name in (part.strip() for part in raw.split(",")):
            if not name:
                continue
            if name == "all":
                chosen |= ALL_OPTIMIZATIONS
            elif name == "none":
                continue
            else:
                try:
                    chosen.add(Optimization(name))
                except ValueError:
                    known = ", ".join(["all", "none", *(o.value for o in Optimization)])
                    raise BadInputError(
                        f"unknown optimization {name!r}; choose from: {known}"
                    ) from None
    return frozenset(chosen)


def parse_modes(names: Iterable[str]) -> tuple[list[LockMode], list[FetchMode]]:
    """Split `--mode` values into the lock and fetch axes; an axis not named keeps both values."""
    locks: list[LockMode] = []
    fetches: list[FetchMode] = []
    for raw in names:
        for name in (part.strip() for part in raw.split(",")):
            if not name:
                continue
            if name in LockMode._value2member_map_:
                lock = LockMode(name)
                if lock not in locks:
                    locks.append(lock)
            elif name in FetchMode._value2member_map_:
                fetch = FetchMode(name)
                if fetch not in fetches:
                    fetches.append(fetch)
            else:
                known = ", ".join([*(m.value for m in LockMode), *(m.value for m in FetchMode)])
                raise BadInputError(f"unknown mode {name!r}; choose from: {known}")
    return locks or list(LockMode), fetches or list(FetchMode)


def select_configurations(
    modes: Sequence[str] = (),
    optimizations: Sequence[str] | None = None,
    *,
    legacy: bool = True,
) -> list[Configuration]:
    """The configurations a run covers.

    Default: the 2x2 matrix with legacy persistence, plus per-vm-lock + event-plus-stats with all
    nine optimizations (the 4.1 design). `modes` filters the axes. `optimizations`, when given,
    replaces the 4.1 extra with per-vm-lock+event-plus-stats (or the filtered axes) carrying that
    set; `none` alone keeps only the legacy matrix. `legacy=False` drops the legacy matrix.
    """
    locks, fetches = parse_modes(modes)
    configs = [Configuration(lock, fetch) for lock in locks for fetch in fetches] if legacy else []
    extra = ALL_OPTIMIZATIONS if optimizations is None else parse_optimizations(optimizations)
    if extra:
        lock = LockMode.PER_VM if LockMode.PER_VM in locks else locks[0]
        fetch = FetchMode.EVENTS if FetchMode.EVENTS in fetches else fetches[0]
        configs.append(Configuration(lock, fetch, extra))
    return configs
