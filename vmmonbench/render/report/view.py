"""Shared by all report sections: configurations as shown, the Section record, value helpers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from vmmonbench import figures
from vmmonbench import units as fmt
from vmmonbench.render.selection import legacy_and_optimized
from vmmonbench.render.shell import slug
from vmmonbench.results import Results, RunResult

TONES = 8
NOT_RECORDED = "not recorded in this run"
ROLE_TEXT = {"legacy": "3.6 design (study's Figure 1)", "optimized": "4.1 design (Figure 2)"}


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
        return figures.stats_cycles(self.run)


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


def configs(results: Results) -> list[Config]:
    """The configurations in report order: the 3.6 and 4.1 designs first, then the rest."""
    # side by side, as the study's Figures 1 and 2
    legacy, optimized = legacy_and_optimized(results)
    picked = [run for run in (legacy, optimized) if run is not None]
    ordered = picked + [run for run in results.runs if all(run is not p for p in picked)]
    slugs: set[str] = set()
    found = []
    for run in ordered:
        tone = f"s{next(i for i, r in enumerate(results.runs) if r is run) % TONES}"
        role: Literal["legacy", "optimized", ""] = (
            "legacy" if run is legacy else "optimized" if run is optimized else ""
        )
        found.append(Config(run, slug(run.label, slugs, fallback="run"), tone, role))
    return found


def paired(configs: Sequence[Config]) -> bool:
    """Whether the first two configurations are the 3.6 and 4.1 designs, to show side by side."""
    return [c.role for c in configs[:2]] == ["legacy", "optimized"]


def count(value: Any) -> str:
    """A count with thousands separators, or the value as text when it is not a number."""
    return fmt.count(value) if isinstance(value, int | float) else text(value)


def plural(value: Any, noun: str) -> str:
    """'1 host', '2 hosts'."""
    return f"{count(value)} {noun}{'' if value == 1 else 's'}"


def text(value: Any) -> str:
    """A free-form stored value as text: '-' when empty, JSON when not a string."""
    if value is None or value == "":
        return "-"
    return value if isinstance(value, str) else orjson.dumps(value).decode("utf-8")
