"""Fault specifications for fake hosts: names, `--fault` parsing, and the canonical spec string."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vmmonbench.errors import BadInputError


class FaultKind(StrEnum):
    """Faults a fake host can inject into its replies and events."""

    DELAY = "delay"  # response held back `seconds`
    DROP = "drop"  # connection closed half-way through a response
    MALFORMED = "malformed"  # response replaced by a truncated, unparsable line
    DUPLICATE_EVENTS = "duplicate-events"  # every affected event is sent twice
    REORDER_EVENTS = "reorder-events"  # a stale copy (older notify_time) follows the event
    MISSING_VMS = "missing-vms"  # VMs left out of one poll


DEFAULT_RATE: dict[FaultKind, float] = {
    FaultKind.DELAY: 0.1,
    FaultKind.DROP: 0.05,
    FaultKind.MALFORMED: 0.05,
    FaultKind.DUPLICATE_EVENTS: 0.5,
    FaultKind.REORDER_EVENTS: 0.5,
    FaultKind.MISSING_VMS: 0.01,
}
DEFAULT_DELAY_S = 0.5
_OPTIONS = ("rate", "seconds", "hosts")


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One fault: its kind, probability per opportunity, delay (for `delay`), hosts (None = all)."""

    kind: FaultKind
    rate: float
    seconds: float = DEFAULT_DELAY_S
    hosts: frozenset[int] | None = None

    def applies_to(self, host_index: int) -> bool:
        """Whether this fault is active on the host with this index."""
        return self.hosts is None or host_index in self.hosts

    def spec(self) -> str:
        """Canonical text form, parseable by `parse_fault`."""
        parts = [f"rate={self.rate:g}"]
        if self.kind is FaultKind.DELAY:
            parts.append(f"seconds={self.seconds:g}")
        if self.hosts is not None:
            parts.append("hosts=" + "+".join(str(h) for h in sorted(self.hosts)))
        return f"{self.kind}:{','.join(parts)}"


def parse_fault(text: str) -> FaultSpec:
    """Parse `KIND[:rate=R,seconds=S,hosts=I+J]`, e.g. `delay:rate=0.2,seconds=3,hosts=0+1`."""
    name, _, options = text.strip().partition(":")
    try:
        kind = FaultKind(name.strip())
    except ValueError:
        known = ", ".join(k.value for k in FaultKind)
        raise BadInputError(f"unknown fault {name.strip()!r}; choose from: {known}") from None
    rate = DEFAULT_RATE[kind]
    seconds = DEFAULT_DELAY_S
    hosts: frozenset[int] | None = None
    for option in filter(None, (o.strip() for o in options.split(","))):
        key, sep, value = option.partition("=")
        key = key.strip()
        if not sep or key not in _OPTIONS:
            raise BadInputError(
                f"fault {text!r}: bad option {option!r}; "
                f"use {', '.join(k + '=...' for k in _OPTIONS)}"
            )
        try:
            if key == "rate":
                rate = float(value)
            elif key == "seconds":
                seconds = float(value)
            else:
                hosts = frozenset(int(h) for h in value.split("+") if h.strip())
        except ValueError:
            raise BadInputError(f"fault {text!r}: {key} must be a number, got {value!r}") from None
    if not 0.0 <= rate <= 1.0:
        raise BadInputError(f"fault {text!r}: rate must be between 0 and 1, got {rate:g}")
    if not 0.0 <= seconds <= 600.0:
        raise BadInputError(f"fault {text!r}: seconds must be between 0 and 600, got {seconds:g}")
    if hosts is not None and any(h < 0 for h in hosts):
        raise BadInputError(f"fault {text!r}: host indexes start at 0")
    return FaultSpec(kind=kind, rate=rate, seconds=seconds, hosts=hosts)
