"""Hot spots from speedscope profiles: exact counts on a known profile."""

from __future__ import annotations

from typing import Any

import pytest

from vmmonbench.hotspots import MONITORING_CODE, CodeOrDbTime, code_vs_db, hot_spots, sample_count
from vmmonbench.result_records import StatementRecord

FRAMES = [
    {"name": "main", "file": "/app/vmmonbench/runner.py", "line": 10},
    {"name": "cycle", "file": "/app/vmmonbench/monitor/host_monitor.py", "line": 20},
    {"name": "fetch", "file": "/app/vmmonbench/db/database.py", "line": 30},
    {"name": "execute", "file": "/usr/lib/sqlalchemy/engine/base.py", "line": 40},
    {"name": "decode", "file": "/usr/lib/orjson.py", "line": 50},
]


def _profile() -> dict[str, Any]:
    # thread A: 3 samples in SQLAlchemy under fetch, 1 in fetch itself; thread B: 2 in decode
    return {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": FRAMES},
        "profiles": [
            {"type": "sampled", "samples": [[0, 1, 2, 3]] * 3 + [[0, 1, 2]], "weights": [1] * 4},
            {"type": "sampled", "samples": [[0, 1, 4]] * 2, "weights": [1] * 2},
        ],
    }


def test_self_and_total_samples_are_exact() -> None:
    spots = {s.function: s for s in hot_spots(_profile(), rate_hz=10)}
    assert sample_count(_profile()) == 6
    assert spots["execute"].self_samples == 3
    assert spots["execute"].self_percent == pytest.approx(50.0)
    assert spots["execute"].self_s == pytest.approx(0.3)
    assert spots["decode"].self_samples == 2
    assert spots["fetch"].self_samples == 1
    assert spots["fetch"].total_samples == 4
    assert "main" not in spots  # never a leaf
    assert spots["execute"].location == "/usr/lib/sqlalchemy/engine/base.py:40"


def test_library_time_is_folded_into_the_project_function_that_called_it() -> None:
    spots = hot_spots(_profile(), rate_hz=10, attribute_to=MONITORING_CODE)
    assert [(s.function, s.self_samples) for s in spots] == [("cycle", 6)]
    assert spots[0].total_samples == 6
    spots = hot_spots(_profile(), rate_hz=10, attribute_to=("vmmonbench/monitor/", "/db/"))
    assert [(s.function, s.self_samples) for s in spots] == [("fetch", 4), ("cycle", 2)]


def test_code_vs_db_sorts_cpu_and_db_time_together() -> None:
    spots = hot_spots(_profile(), rate_hz=10, attribute_to=MONITORING_CODE)
    statements = [
        StatementRecord("UpdateVmDynamic", "UPDATE vm_dynamic ...", calls=3, rows=3, total_s=0.35),
        StatementRecord("select 1", "select ?", calls=900, rows=900, total_s=0.05),
    ]
    rows = code_vs_db(spots, statements)
    assert rows[1] == CodeOrDbTime("db", "UpdateVmDynamic", "UPDATE vm_dynamic ...", 0.35, 3)
    assert [(r.kind, r.name) for r in rows] == [
        ("cpu", "cycle"),
        ("db", "UpdateVmDynamic"),
        ("db", "select 1"),
    ]


def test_an_empty_profile_has_no_hot_spots() -> None:
    assert hot_spots({"shared": {"frames": []}, "profiles": []}, rate_hz=10) == []
