"""The HTML pages' import path: the run report, the comparison page and the sweep page."""

from __future__ import annotations

from vmmonbench.render.comparison import render_comparison, write_comparison_report
from vmmonbench.render.report import render_report, write_report
from vmmonbench.render.report.matrix import best_flags
from vmmonbench.render.report.timeline import TIMELINE_POINTS
from vmmonbench.render.sweep import render_sweep, write_sweep_report

__all__ = [
    "TIMELINE_POINTS",
    "best_flags",
    "render_comparison",
    "render_report",
    "render_sweep",
    "write_comparison_report",
    "write_report",
    "write_sweep_report",
]
