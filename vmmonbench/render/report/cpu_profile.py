"""The CPU profile section: monitoring code hot spots and the study's merged code-vs-DB view."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from markupsafe import Markup, escape

from vmmonbench import units as fmt
from vmmonbench.figures import is_monitoring_statement
from vmmonbench.hotspots import CodeOrDbTime, HotSpot
from vmmonbench.render import svg
from vmmonbench.render.links import file_href
from vmmonbench.render.report.view import NOT_RECORDED, Config, paired, plural
from vmmonbench.results import Results

NOT_PROFILED = "not recorded for this configuration"
# where a file's path inside its package starts: after the last of these folders
_PACKAGE_ROOTS = ("/site-packages/", "/dist-packages/")
_OWN_PACKAGE = "vmmonbench/"
_STDLIB = re.compile(r"/lib/python\d+(?:\.\d+)?/")


@dataclass(frozen=True, slots=True)
class CodeSpot:
    """One sampled function: where it is, its self samples, shares of all samples, self time."""

    function: str
    where: str  # file:line, the path cut to where it starts inside its package
    location: str  # file:line as recorded
    self_samples: int
    self_share: float
    total_share: float
    self_s: float

    @property
    def function_html(self) -> Markup:
        """The function name, breakable after each dot."""
        return breakable(self.function, ".")


@dataclass(frozen=True, slots=True)
class ProfileFile:
    """A profile file in the results folder; `href` is None when its name is not a plain name."""

    kind: Literal["flame graph", "speedscope profile"]
    name: str
    href: str | None


@dataclass(frozen=True, slots=True)
class CpuProfile:
    """One configuration's CPU profile as the report shows it, or why there is none."""

    config: Config
    available: bool
    reason: str
    samples: int = 0
    rate_hz: float = 0.0
    files: tuple[ProfileFile, ...] = ()
    monitoring: tuple[CodeSpot, ...] = ()
    all_code: tuple[CodeSpot, ...] = ()
    chart: Markup | None = None
    code_s: float = 0.0
    db_s: float = 0.0

    @property
    def sampled_s(self) -> float:
        """Wall time the samples stand for."""
        return self.samples / self.rate_hz if self.rate_hz > 0 else 0.0

    @property
    def rate_text(self) -> str:
        """The sampling rate, e.g. '25 Hz'."""
        return f"{self.rate_hz:g} Hz"


def cpu_profile(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Each configuration's CPU profile, the 3.6 and 4.1 designs side by side, or why none."""
    status = results.extra.cpu_profile
    requested = (status is not None and status.requested) or any(
        c.run.cpu_profile.recorded for c in configs
    )
    if not requested:
        return {"requested": False, "note": NOT_RECORDED}
    reason = status.reason if status is not None else None
    fallback = reason or NOT_PROFILED
    scale = max(
        (
            row.seconds
            for c in configs
            if c.run.cpu_profile.available
            for row in c.run.cpu_profile.code_vs_db
        ),
        default=0.0,
    )
    profiles = [_profile(config, fallback, scale) for config in configs]
    reasons = {p.reason for p in profiles if not p.available}
    common = None
    if not any(p.available for p in profiles):
        common = next(iter(reasons)) if len(reasons) == 1 else None
        if not profiles and reason:
            common = fallback
    pair = paired(configs)
    headline = []
    if pair and profiles[0].available and profiles[1].available:
        before, after = profiles[0], profiles[1]
        headline = [
            ("sampled time in monitoring code", before.code_s, after.code_s),
            ("DB self time", before.db_s, after.db_s),
        ]
    return {
        "requested": True,
        "common_reason": common,
        "pair": profiles[:2] if pair else [],
        "others": profiles[2:] if pair else profiles,
        "headline": headline,
    }


def short_location(location: str) -> str:
    """file:line with the path cut to where it starts inside its package (or the stdlib)."""
    path, colon, line = location.rpartition(":")
    if not colon or not line.isdigit():
        path, line = location, ""
    path = path.replace("\\", "/")
    for root in _PACKAGE_ROOTS:
        if root in path:
            path = path[path.rindex(root) + len(root) :]
            break
    else:
        stdlib = list(_STDLIB.finditer(path))
        if stdlib:
            path = path[stdlib[-1].end() :]
    # this project's own files, checked out or installed: the path inside the package
    if path.startswith(_OWN_PACKAGE):
        path = path[len(_OWN_PACKAGE) :]
    elif f"/{_OWN_PACKAGE}" in path:
        path = path[path.rindex(f"/{_OWN_PACKAGE}") + len(_OWN_PACKAGE) + 1 :]
    return f"{path}:{line}" if line else path


def breakable(text: str, after: str) -> Markup:
    """Escaped text with line-break opportunities after each `after` (long names in a column)."""
    return Markup("<wbr>").join(escape(part) for part in re.split(f"(?<={re.escape(after)})", text))


def profile_file(
    kind: Literal["flame graph", "speedscope profile"], name: str | None
) -> ProfileFile | None:
    """A link relative to the results folder, for a plain file name only (no folders)."""
    if not name:
        return None
    return ProfileFile(kind, name, file_href("", name) if "/" not in name else None)


def _profile(config: Config, fallback: str, scale: float) -> CpuProfile:
    data = config.run.cpu_profile
    if not data.recorded:
        return CpuProfile(config, False, fallback)
    if not data.available:
        return CpuProfile(config, False, data.reason or fallback)
    monitoring = tuple(_spot(spot) for spot in data.monitoring_hot_spots)
    files = (
        profile_file("flame graph", data.flamegraph),
        profile_file("speedscope profile", data.speedscope),
    )
    return CpuProfile(
        config=config,
        available=True,
        reason="",
        samples=data.samples,
        rate_hz=data.rate_hz,
        files=tuple(f for f in files if f is not None),
        monitoring=monitoring,
        all_code=tuple(_spot(spot) for spot in data.hot_spots),
        chart=_code_vs_db_chart(config, data.code_vs_db, scale),
        code_s=sum(spot.self_s for spot in monitoring),
        db_s=sum(s.total_s for s in config.run.statements),
    )


def _spot(spot: HotSpot) -> CodeSpot:
    return CodeSpot(
        function=spot.function,
        where=short_location(spot.location),
        location=spot.location,
        self_samples=spot.self_samples,
        self_share=spot.self_percent / 100,
        total_share=spot.total_percent / 100,
        self_s=spot.self_s,
    )


def _code_vs_db_chart(config: Config, rows: Sequence[CodeOrDbTime], scale: float) -> Markup:
    bars = []
    for row in rows:
        name, where, seconds = row.name, row.where, row.seconds
        if row.kind == "db":
            calls = row.calls or 0
            bars.append(
                svg.Bar(
                    label=name,
                    value=seconds,
                    text=f"{fmt.seconds(seconds)} DB · {plural(calls, 'call')}",
                    tone="monitoring" if is_monitoring_statement(name) else "other",
                    tooltip=f"DB self time of {name}: {fmt.seconds(seconds)}, "
                    f"{fmt.count(calls)} calls; {where}",
                )
            )
        else:
            bars.append(
                svg.Bar(
                    label=name,
                    value=seconds,
                    text=f"{fmt.seconds(seconds)} CPU",
                    tone="cpu",
                    tooltip=f"CPU self time (sampled) in {name} at {short_location(where)}: "
                    f"{fmt.seconds(seconds)}",
                )
            )
    return svg.horizontal_bars(
        bars, title=f"Monitoring code vs DB statements: {config.run.label}", scale_max=scale
    )
