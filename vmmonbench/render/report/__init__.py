"""The self-contained HTML report: one page, inline CSS, SVG and JS, with the results embedded."""

from __future__ import annotations

from vmmonbench.render.report.page import render_report, write_report

__all__ = ["render_report", "write_report"]
