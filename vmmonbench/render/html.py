"""The HTML report's historical import path; the report itself lives in render.report."""

from __future__ import annotations

from vmmonbench.render.report import render_report, write_report
from vmmonbench.render.report.matrix import best_flags
from vmmonbench.render.report.timeline import TIMELINE_POINTS

__all__ = ["TIMELINE_POINTS", "best_flags", "render_report", "write_report"]
