"""The study side by side: the seed study's figures beside this run's, per design."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vmmonbench import units
from vmmonbench.render.report.view import Config
from vmmonbench.results import Results
from vmmonbench.study import study_rows


def study(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """Rows of (figure, how the run's value is computed, study 3.6, run 3.6, study 4.1, run 4.1)."""
    rows = [
        {
            "title": row.figure.title,
            "how": row.figure.how,
            "cells": [
                (units.text(row.figure.unit, value), value)
                for value in (row.study_36, row.run_36, row.study_41, row.run_41)
            ],
        }
        for row in study_rows(results)
    ]
    return {"rows": rows}
