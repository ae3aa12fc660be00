"""The report page: its sections in order, assembled with inline CSS and JS and the results data."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib import resources
from pathlib import Path

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from vmmonbench.render import format as fmt
from vmmonbench.render.report.commands import command_waits
from vmmonbench.render.report.cpu_profile import cpu_profile
from vmmonbench.render.report.floor import floor
from vmmonbench.render.report.matrix import matrix
from vmmonbench.render.report.overview import overview
from vmmonbench.render.report.scaling import scaling
from vmmonbench.render.report.server import server_statements
from vmmonbench.render.report.statements import hot_spots, statements
from vmmonbench.render.report.timeline import timeline
from vmmonbench.render.report.view import Section, configs, decimal
from vmmonbench.results import Results, write_atomic

EMBEDDED_NOTE = (
    "results.json without the raw per-cycle samples (runs[].cycles) and raw command lock waits "
    "(runs[].commands.waits_s); the charts were drawn from them"
)
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_JSON_ESCAPES |= {"\u2028": "\\u2028", "\u2029": "\\u2029"}

SECTIONS: tuple[Section, ...] = (
    Section("overview", "Run", overview),
    Section("hot-spots", "DB self time hot spots", hot_spots),
    Section("matrix", "Configuration matrix", matrix),
    Section("statements", "Statements", statements),
    Section("timeline", "Cycle durations over time", timeline),
    Section("command-waits", "Command lock waits", command_waits),
    Section("floor", "Writes against the floor", floor),
    Section("server-statements", "Server-side cross-check", server_statements),
    Section("cpu-profile", "CPU profile", cpu_profile),
    Section("scaling", "Scaling", scaling),
)


def render_report(results: Results) -> str:
    """The whole report as one self-contained HTML page (no external resources)."""
    shown = configs(results)
    css, js = _asset("report.css"), _asset("report.js")
    template = _environment().get_template("report.html.j2")
    return template.render(
        results=results,
        configs=shown,
        sections=[(section, section.build(results, shown)) for section in SECTIONS],
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
        seconds=fmt.seconds, count=fmt.count, percent=fmt.percent, size=fmt.size, decimal=decimal
    )
    return env


@cache
def _asset(name: str) -> str:
    return (resources.files("vmmonbench.render") / "templates" / name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"
