"""How the sweep page tells capacity models apart: a name, an element id, a colour, a marker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vmmonbench.render.shell import slug
from vmmonbench.render.svg import Marker
from vmmonbench.scaling import CapacityModel, LinearFit

TONES = 8
HOST_MARKERS: tuple[Marker, ...] = ("circle", "square", "cross")


@dataclass(frozen=True, slots=True)
class Drawn:
    """One capacity model and how the page draws it: a colour per configuration, a marker per
    host count, its label with the host count when the sweep has several."""

    model: CapacityModel
    name: str
    slug: str
    tone: str
    marker: Marker


def drawn(models: Sequence[CapacityModel]) -> list[Drawn]:
    """The sweep's models in its order, each with its drawing style."""
    labels = list(dict.fromkeys(m.label for m in models))
    host_counts = sorted({m.hosts for m in models})
    taken: set[str] = set()
    return [
        Drawn(
            model=m,
            name=(
                m.label
                if len(host_counts) <= 1
                else f"{m.label} · {m.hosts} host{'s' * (m.hosts != 1)}"
            ),
            slug=slug(f"{m.label}-h{m.hosts}", taken, fallback="model"),
            tone=f"s{labels.index(m.label) % TONES}",
            marker=HOST_MARKERS[host_counts.index(m.hosts) % len(HOST_MARKERS)],
        )
        for m in models
    ]


def projected(value: float | None, fit: LinearFit | None) -> str:
    """A projected VM count: '19,831 VMs', 'not reached' (the fit never gets there), '-'."""
    if fit is None:
        return "-"
    return "not reached" if value is None else f"{value:,.0f} VMs"
