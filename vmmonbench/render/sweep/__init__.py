"""The self-contained HTML page of a scaling sweep (sweep.json): costs per VM and saturation."""

from __future__ import annotations

from vmmonbench.render.sweep.page import render_sweep, write_sweep_report

__all__ = ["render_sweep", "write_sweep_report"]
