"""A sweep.json's capacity models read defensively into typed records the sweep page draws."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vmmonbench.render.shell import slug
from vmmonbench.render.svg import Marker
from vmmonbench.scaling import LinearFit

TONES = 8
HOST_MARKERS: tuple[Marker, ...] = ("circle", "square", "cross")


@dataclass(frozen=True, slots=True)
class Point:
    """One measured size of one configuration."""

    vms: float
    stats_cycle_s: float
    db_time_per_stats_cycle_s: float
    statements_per_stats_cycle: float
    utilization: float
    effective_stats_period_s: float | None


@dataclass(frozen=True, slots=True)
class Model:
    """One configuration at one host count: measured points, fits, projections, how drawn."""

    label: str
    hosts: int
    name: str  # the label, with the host count when the sweep has several
    slug: str
    tone: str
    marker: Marker
    points: tuple[Point, ...]
    processing: LinearFit | None
    db_time: LinearFit | None
    statements: LinearFit | None
    load: LinearFit | None
    saturation_vms: float | None
    half_utilization_vms: float | None

    @property
    def sizes(self) -> str:
        """The VM counts measured: '50, 100, 200'."""
        return ", ".join(f"{p.vms:,.0f}" for p in self.points)


def models(sweep: Mapping[str, Any]) -> list[Model]:
    """The sweep's models in its order; a tone per configuration, a marker per host count."""
    raw = [m for m in _list(sweep.get("models")) if isinstance(m, Mapping)]
    labels = list(dict.fromkeys(str(m.get("label", "")) for m in raw))
    host_counts = sorted({_int(m.get("hosts"), 1) for m in raw})
    taken: set[str] = set()
    found = []
    for m in raw:
        label, hosts = str(m.get("label", "")), _int(m.get("hosts"), 1)
        name = label if len(host_counts) <= 1 else f"{label} · {hosts} host{'s' * (hosts != 1)}"
        found.append(
            Model(
                label=label,
                hosts=hosts,
                name=name,
                slug=slug(f"{label}-h{hosts}", taken, fallback="model"),
                tone=f"s{labels.index(label) % TONES}",
                marker=HOST_MARKERS[host_counts.index(hosts) % len(HOST_MARKERS)],
                points=tuple(
                    sorted(
                        (_point(p) for p in _list(m.get("points")) if isinstance(p, Mapping)),
                        key=lambda p: p.vms,
                    )
                ),
                processing=_fit(m.get("processing")),
                db_time=_fit(m.get("db_time")),
                statements=_fit(m.get("statements")),
                load=_fit(m.get("load")),
                saturation_vms=_number(m.get("saturation_vms")),
                half_utilization_vms=_number(m.get("half_utilization_vms")),
            )
        )
    return found


def projected(value: float | None, fit: LinearFit | None) -> str:
    """A projected VM count: '19,831 VMs', 'not reached' (the fit never gets there), '-'."""
    if fit is None:
        return "-"
    return "not reached" if value is None else f"{value:,.0f} VMs"


def _point(data: Mapping[str, Any]) -> Point:
    return Point(
        vms=_number(data.get("vms")) or 0.0,
        stats_cycle_s=_number(data.get("stats_cycle_s")) or 0.0,
        db_time_per_stats_cycle_s=_number(data.get("db_time_per_stats_cycle_s")) or 0.0,
        statements_per_stats_cycle=_number(data.get("statements_per_stats_cycle")) or 0.0,
        utilization=_number(data.get("utilization")) or 0.0,
        effective_stats_period_s=_number(data.get("effective_stats_period_s")),
    )


def _fit(data: Any) -> LinearFit | None:
    if not isinstance(data, Mapping):
        return None
    values = [_number(data.get(key)) for key in ("fixed", "per_vm", "r2")]
    if values[0] is None or values[1] is None:
        return None
    r2 = values[2] if values[2] is not None else math.nan
    return LinearFit(fixed=values[0], per_vm=values[1], r2=r2)


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and math.isfinite(value) else None


def _int(value: Any, default: int) -> int:
    number = _number(value)
    return int(number) if number is not None else default


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []
