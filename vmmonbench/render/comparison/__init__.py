"""The self-contained HTML page of a comparison of two results (`vmmonbench compare --html`)."""

from __future__ import annotations

from vmmonbench.render.comparison.page import render_comparison, write_comparison_report

__all__ = ["render_comparison", "write_comparison_report"]
