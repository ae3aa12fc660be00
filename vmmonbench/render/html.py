"""The self-contained HTML comparison report: inline CSS, SVG and JS, with the results embedded."""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from vmmonbench.configuration import STATS_DELAY_S
from vmmonbench.metrics import FLOOR_TABLES
from vmmonbench.render import format as fmt
from vmmonbench.render import svg
from vmmonbench.render.selection import is_monitoring_statement, legacy_and_optimized
from vmmonbench.results import Results, RunResult, write_atomic

TOP_STATEMENTS = 12
TIMELINE_POINTS = 300  # per series; longer runs keep the slowest cycle of each time bucket
SERVER_ROWS = 25
WAIT_FLOOR_S = 1e-6  # waits are stored rounded to the microsecond
TONES = 8
NOT_RECORDED = "not recorded in this run"
HEADLINE_METRICS = (
    "DB time / stats cycle",
    "statements / stats cycle",
    "effective stats period",
    "command wait p99",
)
ROLE_TEXT = {"legacy": "3.6 design (study's Figure 1)", "optimized": "4.1 design (Figure 2)"}
EMBEDDED_NOTE = (
    "results.json without the raw per-cycle samples (runs[].cycles) and raw command lock waits "
    "(runs[].commands.waits_s); the charts were drawn from them"
)
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_JSON_ESCAPES |= {"\u2028": "\\u2028", "\u2029": "\\u2029"}


@dataclass(frozen=True, slots=True)
class Config:
    """One configuration as the report shows it: its run, a stable id, its colour, its role."""

    run: RunResult
    slug: str
    tone: str
    role: Literal["legacy", "optimized", ""]

    @property
    def role_text(self) -> str:
        """What the configuration stands for in the study ('' for the other configurations)."""
        return ROLE_TEXT.get(self.role, "")

    @property
    def stats_cycles(self) -> int:
        """Statistics cycles completed."""
        return int(self.run.summary.cycles.get("stats", 0))


Builder = Callable[[Results, Sequence[Config]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Section:
    """A report section: stable id (also its template's name), heading, and its view builder."""

    id: str
    title: str
    build: Builder

    @property
    def template(self) -> str:
        """The Jinja2 template rendering this section's view."""
        return f"sections/{self.id}.html.j2"


def render_report(results: Results) -> str:
    """The whole report as one self-contained HTML page (no external resources)."""
    configs = _configs(results)
    css, js = _asset("report.css"), _asset("report.js")
    template = _environment().get_template("report.html.j2")
    return template.render(
        results=results,
        configs=configs,
        sections=[(section, section.build(results, configs)) for section in SECTIONS],
        css=Markup(css),
        js=Markup(js),
        style_hash=_csp_hash(css),
        script_hash=_csp_hash(js),
        data=embedded_json(results),
    )


def write_report(results: Results, path: Path) -> None:
    """Render the report and replace `path` with it atomically."""
    write_atomic(path, render_report(results).encode("utf-8"))


def embedded_json(results: Results) -> Markup:
    """The results (without raw samples) as JSON that cannot end the `<script>` holding it."""
    data = results.to_dict()
    data["embedded"] = EMBEDDED_NOTE
    for run in data["runs"]:
        run["cycles_count"] = len(run.pop("cycles", None) or [])
        commands = run.get("commands") or {}
        commands.pop("waits_s", None)
    text = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")
    return Markup(re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text))


def _configs(results: Results) -> list[Config]:
    # the 3.6 and 4.1 designs first (side by side, as Figures 1 and 2), then the rest in order
    legacy, optimized = legacy_and_optimized(results)
    picked = [run for run in (legacy, optimized) if run is not None]
    ordered = picked + [run for run in results.runs if all(run is not p for p in picked)]
    slugs: set[str] = set()
    configs = []
    for run in ordered:
        slug = re.sub(r"[^a-z0-9]+", "-", run.label.lower()).strip("-") or "run"
        while slug in slugs:
            slug += "-x"
        slugs.add(slug)
        tone = f"s{next(i for i, r in enumerate(results.runs) if r is run) % TONES}"
        role: Literal["legacy", "optimized", ""] = (
            "legacy" if run is legacy else "optimized" if run is optimized else ""
        )
        configs.append(Config(run, slug, tone, role))
    return configs


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("vmmonbench.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        seconds=fmt.seconds, count=fmt.count, percent=fmt.percent, size=fmt.size, decimal=_decimal
    )
    return env


@cache
def _asset(name: str) -> str:
    return (resources.files("vmmonbench.render") / "templates" / name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def _decimal(value: float | None) -> str:
    """A count rounded to one decimal (per-cycle averages)."""
    return fmt.count(None if value is None else round(value, 1))


def _num(data: dict[str, Any], key: str) -> float:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else 0.0


def _count(value: Any) -> str:
    return fmt.count(value) if isinstance(value, int | float) else _text(value)


def _plural(value: Any, noun: str) -> str:
    return f"{_count(value)} {noun}{'' if value == 1 else 's'}"


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    return value if isinstance(value, str) else orjson.dumps(value).decode("utf-8")


# -- overview ---------------------------------------------------------------------------------


def _overview(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    w, env, db = results.workload, results.environment, results.database
    hosts = w.get("hosts") or 1
    size = f"{_plural(w.get('vms'), 'VM')} × {_plural(hosts, 'host')}"
    if hosts != 1 and w.get("total_vms"):
        size += f" ({_count(w['total_vms'])} VMs)"
    commands = w.get("commands") or {}
    mix = ", ".join(
        f"{kind} {fmt.percent(share)}" for kind, share in (commands.get("mix") or {}).items()
    )
    workload = [
        ("name", _text(w.get("name"))),
        ("description", _text(w.get("description"))),
        ("size", size),
        ("simulated duration", fmt.seconds(w.get("duration_s"))),
        ("seed", _text(w.get("seed"))),
        ("per VM", f"{_plural(w.get('vnics'), 'vNIC')}, {_plural(w.get('disks'), 'disk')}"),
        (
            "changes per VM-hour",
            f"{_count(w.get('churn_per_vm_hour'))} status, "
            f"{_count(w.get('devices_change_per_vm_hour'))} devices",
        ),
        (
            "commands",
            f"{_count(commands.get('rate_per_s'))} per s, "
            f"{_count(commands.get('latency_ms'))} ms host latency" + (f"; {mix}" if mix else ""),
        ),
        ("faults", ", ".join(_text(f) for f in w.get("faults") or []) or "none"),
    ]
    shown_env = {"python", "implementation", "platform", "machine", "cpu_count", "hostname"}
    environment = [
        ("python", f"{_text(env.get('python'))} ({_text(env.get('implementation'))})"),
        ("platform", _text(env.get("platform"))),
        ("machine", f"{_text(env.get('machine'))}, {_text(env.get('cpu_count'))} CPUs"),
        ("hostname", _text(env.get("hostname"))),
        ("vmmonbench", _text(results.vmmonbench_version)),
    ]
    environment += [
        (key, _text(value))
        for key, value in env.items()
        if key not in shown_env and not key.startswith("db_")
    ]
    fake_hosts = results.extra.get("fake_hosts") or {}
    if fake_hosts:
        rss = ", ".join(fmt.size(v) for v in fake_hosts.get("peak_rss_bytes") or [])
        processes = _count(fake_hosts.get("processes"))
        environment.append(("fake hosts", f"processes: {processes}, peak RSS {rss or '-'}"))
    if "population_s" in results.extra:
        environment.append(("database population", fmt.seconds(results.extra["population_s"])))
    database = [
        ("URL", _text(db.get("url"))),
        ("dialect", _text(db.get("dialect") or env.get("db_dialect"))),
        ("server version", _text(db.get("server_version") or env.get("db_server_version"))),
    ]
    return {
        "workload": workload,
        "workload_json": orjson.dumps(w, option=orjson.OPT_INDENT_2).decode("utf-8"),
        "environment": environment,
        "database": database,
    }


# -- DB self time hot spots -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HotSpots:
    """One configuration's hot-spot chart and how much of its DB time is monitoring's."""

    config: Config
    chart: Markup
    shown: int
    statements: int
    total_s: float
    monitoring_s: float


def _hot_spots(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    tops = [(config, _by_time(config.run)[:TOP_STATEMENTS]) for config in configs]
    scale = max((_num(s, "total_s") for _, top in tops for s in top), default=0.0)
    charts = [_hot_spot_chart(config, top, scale) for config, top in tops]
    paired = [c.role for c in configs[:2]] == ["legacy", "optimized"]
    headline = [
        (
            metric.name,
            metric.text(metric.value(configs[0].run)),
            metric.text(metric.value(configs[1].run)),
        )
        for metric in METRICS
        if paired and metric.name in HEADLINE_METRICS
    ]
    return {
        "pair": charts[:2] if paired else [],
        "others": charts[2:] if paired else charts,
        "top": TOP_STATEMENTS,
        "headline": headline,
    }


def _by_time(run: RunResult) -> list[dict[str, Any]]:
    return sorted(run.statements, key=lambda s: _num(s, "total_s"), reverse=True)


def _hot_spot_chart(config: Config, top: list[dict[str, Any]], scale: float) -> HotSpots:
    bars = [
        svg.Bar(
            label=str(s.get("label", "")),
            value=_num(s, "total_s"),
            text=f"{fmt.seconds(_num(s, 'total_s'))} · {_plural(_num(s, 'calls'), 'call')}",
            tone="monitoring" if is_monitoring_statement(str(s.get("label", ""))) else "other",
            tooltip=(
                f"{s.get('label', '')}: {fmt.seconds(_num(s, 'total_s'))} self time, "
                f"{fmt.count(_num(s, 'calls'))} calls, mean {fmt.seconds(_num(s, 'mean_s'))}"
            ),
        )
        for s in top
    ]
    statements = config.run.statements
    return HotSpots(
        config=config,
        chart=svg.horizontal_bars(
            bars, title=f"DB self time hot spots: {config.run.label}", scale_max=scale
        ),
        shown=len(top),
        statements=len(statements),
        total_s=sum(_num(s, "total_s") for s in statements),
        monitoring_s=sum(
            _num(s, "total_s")
            for s in statements
            if is_monitoring_statement(str(s.get("label", "")))
        ),
    )


# -- statement tables -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One normalized statement of one configuration."""

    label: str
    sql: str
    kind: str
    monitoring: bool
    calls: float
    calls_per_cycle: float | None
    rows: float
    total_s: float
    mean_s: float
    p95_s: float
    p99_s: float
    share: float


def _statements(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    tables = []
    for config in configs:
        cycles = config.stats_cycles
        rows = [
            StatementRow(
                label=str(s.get("label", "")),
                sql=str(s.get("sql", "")),
                kind=str(s.get("kind", "")),
                monitoring=is_monitoring_statement(str(s.get("label", ""))),
                calls=_num(s, "calls"),
                calls_per_cycle=_num(s, "calls") / cycles if cycles else None,
                rows=_num(s, "rows"),
                total_s=_num(s, "total_s"),
                mean_s=_num(s, "mean_s"),
                p95_s=_num(s, "p95_s"),
                p99_s=_num(s, "p99_s"),
                share=min(max(_num(s, "share"), 0.0), 1.0),
            )
            for s in _by_time(config.run)
        ]
        tables.append((config, rows))
    return {"tables": tables}


# -- configuration matrix ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metric:
    """A matrix column: how to read and write it from a run, and which direction is better."""

    name: str
    help: str
    value: Callable[[RunResult], float | None]
    text: Callable[[float | None], str]
    better: Literal["lower", "higher"] | None = "lower"


@dataclass(frozen=True, slots=True)
class Cell:
    """One matrix cell; `best` marks the best value of its column."""

    text: str
    value: float | None
    best: bool


def _consistency(key: str) -> Callable[[RunResult], float | None]:
    def read(run: RunResult) -> float | None:
        if not run.consistency.get("checked"):
            return None
        value = run.consistency.get(key)
        return float(value) if isinstance(value, int | float) else None

    return read


def _command_wait_p99(run: RunResult) -> float | None:
    return run.summary.command_wait_p99_s if run.commands.get("count") else None


def _count_or_na(value: float | None) -> str:
    return "n/a" if value is None else fmt.count(value)


METRICS: tuple[Metric, ...] = (
    Metric(
        "statistics cycles",
        "statistics cycles completed (all hosts)",
        lambda r: float(r.summary.cycles.get("stats", 0)),
        fmt.count,
        better=None,
    ),
    Metric(
        "DB time / stats cycle",
        "mean DB self time of one statistics cycle",
        lambda r: r.summary.db_time_per_stats_cycle_s,
        fmt.seconds,
    ),
    Metric(
        "statements / stats cycle",
        "mean statements executed by one statistics cycle",
        lambda r: r.summary.statements_per_stats_cycle,
        _decimal,
    ),
    Metric(
        "utilization",
        "monitoring busy time / (simulated time x hosts)",
        lambda r: r.summary.utilization,
        fmt.percent,
    ),
    Metric(
        "effective stats period",
        f"mean time between statistics cycle starts (nominal {STATS_DELAY_S:g} s, fixed delay)",
        lambda r: r.summary.effective_stats_period_s,
        fmt.seconds,
    ),
    Metric(
        "command wait p99",
        "99th percentile of the time commands waited for their lock",
        _command_wait_p99,
        fmt.seconds,
    ),
    Metric(
        "VMs skipped",
        "VMs a cycle skipped because a command held their lock",
        lambda r: float(r.summary.vms_skipped),
        fmt.count,
    ),
    Metric(
        "cycles skipped",
        "host cycles skipped because a command held the host lock",
        lambda r: float(r.summary.cycles_skipped),
        fmt.count,
    ),
    Metric(
        "divergent VMs",
        "VMs whose DB state differs from the host's truth at the end (0 when healthy)",
        _consistency("divergent_vms"),
        _count_or_na,
    ),
    Metric(
        "divergent before settle",
        "divergent VMs right after the inputs stopped, before the settling cycle",
        _consistency("divergent_before_settle"),
        _count_or_na,
    ),
    Metric(
        "failed cycles",
        "cycles that ended with an error",
        lambda r: float(r.summary.failed_cycles),
        fmt.count,
    ),
)


def best_flags(
    values: Sequence[float | None], better: Literal["lower", "higher"] | None
) -> list[bool]:
    """Which values are the best of their column; none when all known values are equal."""
    known = [v for v in values if v is not None]
    if better is None or len(set(known)) < 2:
        return [False] * len(values)
    target = min(known) if better == "lower" else max(known)
    return [v is not None and v == target for v in values]


def _matrix(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    columns = []
    for metric in METRICS:
        values = [metric.value(config.run) for config in configs]
        flags = best_flags(values, metric.better)
        columns.append(
            [Cell(metric.text(v), v, best) for v, best in zip(values, flags, strict=True)]
        )
    rows = [(config, [column[i] for column in columns]) for i, config in enumerate(configs)]
    return {"metrics": METRICS, "rows": rows, "problems": _problems(configs)}


def _problems(configs: Sequence[Config]) -> list[tuple[Config, list[str]]]:
    found = []
    for config in configs:
        run = config.run
        notes = [f"run {run.status}: {run.error}"] if run.error else []
        consistency = run.consistency
        if consistency.get("divergent_vms"):
            notes += [f"divergent VM {example}" for example in consistency.get("examples") or []]
        if not consistency.get("checked") and consistency.get("reason"):
            notes.append(f"consistency not checked: {consistency['reason']}")
        notes += [
            f"settle cycle failed: {_text(f)}" for f in consistency.get("settle_failed") or []
        ]
        notes += [f"command error: {_text(e)}" for e in run.commands.get("errors") or []]
        notes += [f"fake host: {_text(f)}" for f in run.world.get("failures") or []]
        if notes:
            found.append((config, notes))
    return found


# -- timeline ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timeline:
    """One configuration's cycle-duration chart and the figures its caption names."""

    config: Config
    chart: Markup
    stats: int
    lists: int
    events: int
    thinned: bool


def _timeline(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    drawn = {config.slug: _timeline_points(config.run) for config in configs}
    x_high = max(
        [c.run.summary.simulated_s for c in configs]
        + [x for points in drawn.values() for series in points.values() for x, _ in series]
        + [1.0]
    )
    y_high = max(
        [y for points in drawn.values() for series in points.values() for _, y in series] + [1e-3]
    )
    x = svg.Axis("simulated time", 0.0, x_high, format=fmt.seconds)
    y = svg.Axis("cycle duration", 0.0, y_high * 1.08, format=fmt.seconds)
    charts = []
    for config in configs:
        points = drawn[config.slug]
        thinned = {k: _thin(v, x_high) for k, v in points.items()}
        single_host = config.run.summary.hosts <= 1
        series = [
            svg.Series("statistics cycle", thinned["stats"], config.tone, line=single_host),
        ]
        if thinned["list"]:
            series.append(
                svg.Series(
                    "list cycle (polling)",
                    thinned["list"],
                    config.tone,
                    line=False,
                    marker="square",
                    hollow=True,
                )
            )
        if thinned["problem"]:
            series.append(
                svg.Series(
                    "skipped or failed cycle",
                    thinned["problem"],
                    "failed",
                    line=False,
                    marker="cross",
                )
            )
        cycles = config.run.cycles
        charts.append(
            Timeline(
                config=config,
                chart=svg.line_chart(
                    series, title=f"Cycle durations over time: {config.run.label}", x=x, y=y
                ),
                stats=len(points["stats"]),
                lists=len(points["list"]),
                events=sum(1 for c in cycles if c.get("kind") == "event"),
                thinned=thinned != points,
            )
        )
    return {"charts": charts, "points": TIMELINE_POINTS, "nominal_s": STATS_DELAY_S}


def _timeline_points(run: RunResult) -> dict[str, list[tuple[float, float]]]:
    points: dict[str, list[tuple[float, float]]] = {"stats": [], "list": [], "problem": []}
    for cycle in run.cycles:
        kind = cycle.get("kind")
        if kind not in ("stats", "list"):
            continue  # events are handled one VM at a time; their count is in the caption
        key = "problem" if cycle.get("skipped") or cycle.get("failed") else str(kind)
        points[key].append((_num(cycle, "start_s"), _num(cycle, "duration_s")))
    return {key: sorted(values) for key, values in points.items()}


def _thin(points: list[tuple[float, float]], x_high: float) -> list[tuple[float, float]]:
    """At most TIMELINE_POINTS points: the slowest cycle of each time bucket (spikes stay)."""
    if len(points) <= TIMELINE_POINTS:
        return points
    slowest: dict[int, tuple[float, float]] = {}
    for point in points:
        bucket = min(int(point[0] / x_high * TIMELINE_POINTS), TIMELINE_POINTS - 1)
        if bucket not in slowest or point[1] > slowest[bucket][1]:
            slowest[bucket] = point
    return [slowest[b] for b in sorted(slowest)]


# -- command lock waits -----------------------------------------------------------------------


def _command_waits(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    distributions = [
        svg.Distribution(
            config.run.label,
            [float(w) for w in config.run.commands.get("waits_s") or []],
            config.tone,
        )
        for config in configs
    ]
    chart = None
    if any(d.values for d in distributions):
        chart = svg.cdf_chart(
            [d for d in distributions if d.values],
            title="Command lock-wait distribution (CDF)",
            value_label="lock wait (log scale)",
            floor=WAIT_FLOOR_S,
            value_format=fmt.seconds,
        )
    rows = [(config, config.run.commands) for config in configs if config.run.commands]
    return {"chart": chart, "rows": rows, "floor_s": WAIT_FLOOR_S}


# -- the write floor --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FloorTable:
    """One table's floor beside the configuration's own writes to it, per statistics cycle."""

    table: str
    rows: float
    floor_s: float
    write_s: float | None


@dataclass(frozen=True, slots=True)
class Floor:
    """One configuration's write self time per statistics cycle next to the raw floor."""

    config: Config
    measured: bool
    write_s: float
    floor_s: float
    tables: list[FloorTable]
    other_write_s: float
    chart: Markup | None

    @property
    def ratio(self) -> float | None:
        """How many times the floor the configuration's writes took."""
        return self.write_s / self.floor_s if self.floor_s > 0 else None


def _floor(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    scale = max(
        [_num(c.run.floor, "write_s_per_stats_cycle") for c in configs]
        + [_num(c.run.floor, "floor_s") for c in configs],
        default=0.0,
    )
    return {"floors": [_floor_of(config, scale) for config in configs]}


def _floor_of(config: Config, scale: float) -> Floor:
    floor = config.run.floor
    if not floor:
        return Floor(config, False, 0.0, 0.0, [], 0.0, None)
    cycles = config.stats_cycles
    by_table: dict[str, float] = {}
    for statement in config.run.statements:
        mapped = FLOOR_TABLES.get(str(statement.get("label", "")))
        if mapped is not None and cycles:
            by_table[mapped[0]] = by_table.get(mapped[0], 0.0) + _num(statement, "total_s") / cycles
    measured = floor.get("tables") or {}
    tables = [
        FloorTable(name, _num(entry, "rows"), _num(entry, "floor_s"), by_table.get(name))
        for name, entry in measured.items()
    ]
    tables += [
        FloorTable(name, 0.0, 0.0, s) for name, s in by_table.items() if name not in measured
    ]
    write_s, floor_s = _num(floor, "write_s_per_stats_cycle"), _num(floor, "floor_s")
    chart = svg.horizontal_bars(
        [
            svg.Bar(
                "statement writes, self time per statistics cycle",
                write_s,
                fmt.seconds(write_s),
                config.tone,
            ),
            svg.Bar("raw executemany floor (same rows)", floor_s, fmt.seconds(floor_s), "floor"),
        ],
        title=f"Write self time per statistics cycle vs the floor: {config.run.label}",
        scale_max=scale,
        width=480,
    )
    return Floor(
        config=config,
        measured=True,
        write_s=write_s,
        floor_s=floor_s,
        tables=tables,
        other_write_s=max(write_s - sum(by_table.values()), 0.0),
        chart=chart,
    )


# -- server-side cross-check ------------------------------------------------------------------


def _server_statements(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    views = []
    for config in configs:
        server = config.run.server_statements
        rows = list(server.get("statements") or []) if server.get("available") else []
        views.append((config, bool(server.get("available")), server.get("reason"), rows))
    reasons = {str(reason) for _, available, reason, _ in views if not available and reason}
    common = next(iter(reasons)) if len(reasons) == 1 and not any(v[1] for v in views) else None
    return {"views": views, "common_reason": common, "limit": SERVER_ROWS}


# -- later sections ---------------------------------------------------------------------------


def _cpu_profile(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    return {"recorded": [c for c in configs if c.run.cpu_profile], "note": NOT_RECORDED}


def _scaling(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    return {"recorded": bool(results.extra.get("scaling")), "note": NOT_RECORDED}


SECTIONS: tuple[Section, ...] = (
    Section("overview", "Run", _overview),
    Section("hot-spots", "DB self time hot spots", _hot_spots),
    Section("matrix", "Configuration matrix", _matrix),
    Section("statements", "Statements", _statements),
    Section("timeline", "Cycle durations over time", _timeline),
    Section("command-waits", "Command lock waits", _command_waits),
    Section("floor", "Writes against the floor", _floor),
    Section("server-statements", "Server-side cross-check", _server_statements),
    Section("cpu-profile", "CPU profile", _cpu_profile),
    Section("scaling", "Scaling", _scaling),
)
