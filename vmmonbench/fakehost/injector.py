"""FaultInjector: decides, from a seeded generator, when a host's active faults fire, and counts."""

from __future__ import annotations

import random
from collections.abc import Iterable

from vmmonbench.faults import FaultKind, FaultSpec


class FaultInjector:
    """The faults active on one host; a later spec of the same kind replaces an earlier one."""

    def __init__(self, host_index: int, specs: Iterable[FaultSpec], seed: str) -> None:
        self._host_index = host_index
        # one generator per kind: switching one fault on leaves the others' draws unchanged
        self._random = {kind: random.Random(f"{seed}:{kind}").random for kind in FaultKind}
        self._active: dict[FaultKind, FaultSpec] = {}
        self.counts: dict[FaultKind, int] = dict.fromkeys(FaultKind, 0)
        self.replace(specs)

    def replace(self, specs: Iterable[FaultSpec]) -> None:
        """Make `specs` (those that apply to this host) the active faults."""
        self._active = {s.kind: s for s in specs if s.applies_to(self._host_index)}

    def active(self, kind: FaultKind) -> FaultSpec | None:
        """The active spec of this kind, if any (draws nothing)."""
        return self._active.get(kind)

    def fires(self, kind: FaultKind) -> FaultSpec | None:
        """One opportunity for a fault of this kind: its spec if it fires now (and is counted)."""
        spec = self._active.get(kind)
        if spec is None or self._random[kind]() >= spec.rate:
            return None
        self.counts[kind] += 1
        return spec

    def specs(self) -> list[str]:
        """The active faults in canonical text form."""
        return [spec.spec() for spec in self._active.values()]
