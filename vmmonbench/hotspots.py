"""CPU hot spots from a speedscope profile, and the study's merged view: code vs DB time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol


class DbTime(Protocol):
    """A statement's DB self time as the merged view needs it."""

    @property
    def label(self) -> str: ...
    @property
    def sql(self) -> str: ...
    @property
    def total_s(self) -> float: ...
    @property
    def calls(self) -> int: ...


# the monitoring core under test: DAO, driver and profiler frames fold into its calling function
MONITORING_CODE = ("vmmonbench/monitor/",)


@dataclass(frozen=True, slots=True)
class HotSpot:
    """One function's share of the samples: self (leaf) and total (anywhere on the stack)."""

    function: str
    location: str  # file:line of the function
    self_samples: int
    total_samples: int
    self_percent: float
    total_percent: float
    self_s: float


@dataclass(frozen=True, slots=True)
class CodeOrDbTime:
    """One line of the merged view: a monitoring function's CPU time or a statement's DB time."""

    kind: Literal["cpu", "db"]
    name: str
    where: str  # file:line of a function, the start of a statement's SQL
    seconds: float
    calls: int | None = None  # a statement's calls


def _frames(profile: Mapping[str, Any]) -> list[tuple[str, str]]:
    frames = profile.get("shared", {}).get("frames", [])
    return [(str(f.get("name")), f"{f.get('file')}:{f.get('line')}") for f in frames]


def _stacks(profile: Mapping[str, Any]) -> list[list[int]]:
    # py-spy's sampled profiles: one stack of frame indexes per sample, root first, weight 1
    return [list(stack) for t in profile.get("profiles", []) for stack in t.get("samples") or []]


def sample_count(profile: Mapping[str, Any]) -> int:
    """Samples in the profile over all threads."""
    return sum(len(t.get("samples") or []) for t in profile.get("profiles", []))


def hot_spots(
    profile: Mapping[str, Any],
    *,
    rate_hz: float,
    top: int = 30,
    attribute_to: tuple[str, ...] | None = None,
) -> list[HotSpot]:
    """Functions by self samples (leaf frames), with total samples and seconds.

    With `attribute_to` (path fragments such as MONITORING_CODE), each sample's self time goes
    to the deepest frame whose file contains one of them: library and C code is folded into the
    monitoring function that called it, which is how the study's profiler showed "time in
    monitoring code"; samples outside that code (the runner, the simulated world) are left out.
    """
    frames = _frames(profile)
    stacks = _stacks(profile)
    total = len(stacks)
    if not total:
        return []
    self_counts: Counter[int] = Counter()
    total_counts: Counter[int] = Counter()
    for stack in stacks:
        if not stack:
            continue
        leaf = stack[-1]
        if attribute_to is not None:
            owned = [i for i in stack if any(part in frames[i][1] for part in attribute_to)]
            if not owned:
                continue
            leaf = owned[-1]
        self_counts[leaf] += 1
        total_counts.update(set(stack))
    return [
        HotSpot(
            function=frames[index][0],
            location=frames[index][1],
            self_samples=count,
            total_samples=total_counts[index],
            self_percent=100.0 * count / total,
            total_percent=100.0 * total_counts[index] / total,
            self_s=count / rate_hz,
        )
        for index, count in self_counts.most_common(top)
    ]


def code_vs_db(
    spots: Sequence[HotSpot], statements: Sequence[DbTime], *, top: int = 25
) -> list[CodeOrDbTime]:
    """One list like the study's figures: monitoring functions (CPU self time) beside DB
    statements (self time), sorted by seconds."""
    rows = [CodeOrDbTime("cpu", s.function, s.location, s.self_s) for s in spots]
    rows += [CodeOrDbTime("db", st.label, st.sql[:120], st.total_s, st.calls) for st in statements]
    rows.sort(key=lambda row: row.seconds, reverse=True)
    return rows[:top]
