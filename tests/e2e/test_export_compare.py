"""Results in pytest-benchmark's format, read back by the real `pytest-benchmark compare`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from vmmonbench.export import to_pytest_benchmark
from vmmonbench.results import Results

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "results"
OPTIMIZED = "per-vm-lock+event-plus-stats+4.1"


def test_the_real_pytest_benchmark_compare_reads_the_files(tmp_path: Path) -> None:
    smoke = Results.load(FIXTURES / "smoke.json")
    stable = Results.load(FIXTURES / "stable-6000.json")
    first, second = tmp_path / "0001_smoke.json", tmp_path / "0002_stable.json"
    first.write_text(json.dumps(to_pytest_benchmark(smoke)))
    second.write_text(json.dumps(to_pytest_benchmark(stable, include_data=False)))
    done = subprocess.run(
        [sys.executable, "-m", "pytest_benchmark", "compare", str(first), str(second)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    rows = [line for line in done.stdout.splitlines() if f"stats_cycle[{OPTIMIZED}]" in line]
    assert len(rows) == 2
    assert "0001_smoke)" in rows[0]
    assert "0002_stable)" in rows[1]
    assert "benchmark 'smoke: statistics cycle duration'" in done.stdout
    assert "benchmark 'stable: statistics cycle duration'" in done.stdout
