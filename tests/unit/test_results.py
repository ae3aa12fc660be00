"""results.json: typed round trip, strict and bounded loading (atomic writes: test_outputs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.results_data import as_data, minimal
from vmmonbench import inputs
from vmmonbench.errors import BadInputError, ResultsFormatError
from vmmonbench.inputs import read_bounded
from vmmonbench.result_records import CycleCounts, CycleKind, CycleRecord, StatementRecord
from vmmonbench.results import FORMAT_VERSION, Results, RunResult, RunSummary
from vmmonbench.sweep_results import SweepResult

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BASELINES = Path(__file__).resolve().parents[2] / "reports" / "baselines"
VERSION_1_FILES = [
    path
    for path in sorted(FIXTURES.glob("*/*.json")) + sorted(BASELINES.glob("*.json"))
    if path.name != "sweep.json"
]


def _results() -> Results:
    run = RunResult(
        label="per-vm-lock+event-plus-stats+4.1",
        lock="per-vm-lock",
        fetch="event-plus-stats",
        optimizations=("no-select-1",),
        summary=RunSummary(simulated_s=60.0, statements=42, cycles=CycleCounts(stats=4)),
        statements=(StatementRecord("UpdateVmStatistics", "UPDATE ...", 4, 40, 0.01),),
        cycles=(CycleRecord(CycleKind.STATS, host=0, start_s=0.0, duration_s=1.5),),
    )
    return Results(workload={"name": "stable", "vms": 10}, runs=(run,))


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    original = _results()
    original.save(path)
    loaded = Results.load(path)
    assert loaded == original
    data = orjson.loads(path.read_bytes())
    assert list(data)[:5] == [
        "format_version",
        "format_history",
        "vmmonbench_version",
        "created",
        "status",
    ]
    assert data["format_version"] == FORMAT_VERSION
    assert path.stat().st_mode & 0o044  # readable by others: results are meant to be shared


@pytest.mark.parametrize("path", VERSION_1_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_version_1_file_loads_and_saves_the_same_figures(path: Path) -> None:
    loaded = Results.load(path)
    assert loaded.runs
    assert Results.from_json(loaded.to_json()) == loaded
    stored = orjson.loads(path.read_bytes())
    for run, raw in zip(loaded.runs, stored["runs"], strict=True):
        assert run.summary.db_time_per_stats_cycle_s == raw["summary"]["db_time_per_stats_cycle_s"]
        assert len(run.cycles) == len(raw["cycles"])
        assert [s.label for s in run.statements] == [s["label"] for s in raw["statements"]]


def _bad(data: dict[str, Any], where: list[Any], value: Any) -> bytes:
    target: Any = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    return orjson.dumps(data)


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        (
            ["runs", 0, "statements", 0, "calls"],
            "many",
            "Expected `int`, got `str` - at `$.runs[0].statements[0].calls`",
        ),
        (
            ["runs", 0, "summary", "simulated_s"],
            True,
            "Expected `float`, got `bool` - at `$.runs[0].summary.simulated_s`",
        ),
        (
            ["runs", 0, "cycles", 0, "kind"],
            "nap",
            "Invalid enum value 'nap' - at `$.runs[0].cycles[0].kind`",
        ),
        (["runs", 0, "summary"], None, "Expected `object`, got `null` - at `$.runs[0].summary`"),
        (["runs", 0, "label"], 5, "Expected `str`, got `int` - at `$.runs[0].label`"),
        (["runs"], {"a": 1}, "Expected `array`, got `object` - at `$.runs`"),
        (["status"], "finished", "Invalid enum value 'finished' - at `$.status`"),
        (
            ["extra", "fake_hosts"],
            {"peak_rss_bytes": ["big"]},
            "at `$.extra.fake_hosts.peak_rss_bytes[0]`",
        ),
        (["runs", 0, "commands", "waits_s"], [1, "x"], "at `$.runs[0].commands.waits_s[1]`"),
        (
            ["workload", "duration_s"],
            "soon",
            "Expected `float`, got `str` - at `$.workload.duration_s`",
        ),
    ],
    ids=[
        "count",
        "number",
        "kind",
        "null-summary",
        "label",
        "runs",
        "status",
        "extra",
        "waits",
        "workload",
    ],
)
def test_a_field_of_the_wrong_type_is_one_line_naming_it(
    where: list[Any], value: Any, expected: str
) -> None:
    raw = _bad(as_data(_results()), where, value)
    with pytest.raises(ResultsFormatError) as caught:
        Results.from_json(raw, source="r.json")
    message = caught.value.message
    assert message.startswith("r.json: not a valid results file: ")
    assert expected in message
    assert "\n" not in str(caught.value)


def test_missing_required_parts_are_named() -> None:
    for missing in ("runs", "workload"):
        data = minimal()
        del data[missing]
        with pytest.raises(ResultsFormatError, match=f"missing required field `{missing}`"):
            Results.from_json(orjson.dumps(data))
    with pytest.raises(ResultsFormatError, match="missing required field `label`"):
        Results.from_json(orjson.dumps(minimal(runs=[{"lock": "x"}])))
    run = {"label": "a+b+3.6", "lock": "a", "fetch": "b", "optimizations": []}
    whole = {**run, "summary": {}, "statements": [], "cycles": []}
    assert Results.from_json(orjson.dumps(minimal(runs=[whole]))).runs[0].label == "a+b+3.6"
    for lost in ("summary", "statements", "cycles"):
        # a run that lost what its figures come from must not read as one that measured zeros
        partial = {key: value for key, value in whole.items() if key != lost}
        with pytest.raises(ResultsFormatError, match=f"missing required field `{lost}`"):
            Results.from_json(orjson.dumps(minimal(runs=[partial])))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"format_version": 1, "runs": [', "not valid JSON"),
        (b'["a", "list"]', "not a vmmonbench results object"),
        (b'{"format_version": 2, "workload": {}, "runs": []}', "format_version 2 is not supported"),
        (b'{"format_version": true, "workload": {}, "runs": []}', "format_version True"),
        (b'{"workload": {}, "runs": []}', "format_version None"),
    ],
)
def test_foreign_or_future_files_are_refused(raw: bytes, expected: str) -> None:
    with pytest.raises(ResultsFormatError, match=expected):
        Results.from_json(raw)


def test_special_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)  # nobody writes to it: a blocking read would hang the test (timeout)
    with pytest.raises(BadInputError, match="is not a regular file"):
        Results.load(fifo)
    with pytest.raises(BadInputError, match="is not a regular file"):
        Results.load(Path("/dev/zero"))
    with pytest.raises(BadInputError, match="is a folder"):
        Results.load(tmp_path)
    with pytest.raises(BadInputError, match="does not exist"):
        Results.load(tmp_path / "nope.json")


def test_an_oversize_file_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "results.json"
    path.write_bytes(b" " * 2048)
    with pytest.raises(BadInputError, match="more than the 0 MiB vmmonbench reads"):
        read_bounded(path, what="results file", limit_bytes=1024)
    assert read_bounded(path, what="results file", limit_bytes=2048) == b" " * 2048
    monkeypatch.setattr("vmmonbench.results.MAX_RESULTS_BYTES", 1024)
    with pytest.raises(BadInputError, match="has 0 MiB, more than"):
        Results.load(path)
    assert inputs.MIB == 1024 * 1024


def test_the_sweep_file_loads_typed_and_round_trips(tmp_path: Path) -> None:
    sweep = SweepResult.load(FIXTURES / "results" / "sweep.json")
    assert [m.label for m in sweep.models][:1] == ["host-lock+polling-only+3.6"]
    assert all(len(m.points) == 3 for m in sweep.models)
    path = tmp_path / "sweep.json"
    sweep.save(path)
    assert SweepResult.load(path) == sweep
    data = orjson.loads(path.read_bytes())
    data["models"][0]["points"][0]["vms"] = "fifty"
    path.write_bytes(orjson.dumps(data))
    with pytest.raises(ResultsFormatError, match=r"at `\$.models\[0\].points\[0\].vms`"):
        SweepResult.load(path)
