"""The shell every HTML page shares: Jinja2 environment, inline CSS and JS, CSP hashes, ids."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from vmmonbench import units as fmt

STYLESHEET = "report.css"
SCRIPT = "report.js"
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_JSON_ESCAPES |= {"\u2028": "\\u2028", "\u2029": "\\u2029"}


@dataclass(frozen=True, slots=True)
class Block:
    """A drawn section of a page: its id, heading, template and the view the template reads."""

    id: str
    title: str
    template: str
    view: Any


def render_page(template: str, **context: Any) -> str:
    """Render `template` (which extends page.html.j2) with the shared CSS and JS inlined."""
    css, js = asset(STYLESHEET), asset(SCRIPT)
    return (
        environment()
        .get_template(template)
        .render(
            css=Markup(css),
            js=Markup(js),
            style_hash=csp_hash(css),
            script_hash=csp_hash(js),
            **context,
        )
    )


def safe_json(data: Any) -> Markup:
    """Data as JSON that cannot end the `<script>` holding it."""
    text = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")
    return Markup(re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text))


def slug(label: str, taken: set[str], *, fallback: str = "item") -> str:
    """A stable element id for `label`, unique among `taken` (which it joins)."""
    found = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or fallback
    while found in taken:
        found += "-x"
    taken.add(found)
    return found


def decimal(value: float | None) -> str:
    """A count rounded to one decimal (per-cycle averages)."""
    return fmt.count(None if value is None else round(value, 1))


@cache
def environment() -> Environment:
    """The Jinja2 environment of every page: autoescaped, strict, with the number filters."""
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
def asset(name: str) -> str:
    """A file of the templates folder, as text."""
    return (resources.files("vmmonbench.render") / "templates" / name).read_text("utf-8")


def csp_hash(text: str) -> str:
    """The Content-Security-Policy source allowing exactly this inline style or script."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"
