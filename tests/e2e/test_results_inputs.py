"""Results files handed to the CLI: bad, special, oversize, lost or hostile ones, end to end."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.results_data import as_data
from vmmonbench.cli import main
from vmmonbench.results import Results

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OPTIMIZED = "per-vm-lock+event-plus-stats+4.1"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    code = exited.value.code
    captured = capsys.readouterr()
    return int(code if isinstance(code, int) else 1), captured.out, captured.err


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_bytes(orjson.dumps(data))
    return path


@pytest.fixture
def smoke() -> Path:
    return FIXTURES / "results" / "smoke.json"


def test_a_field_of_the_wrong_type_is_one_line_and_exit_2(
    tmp_path: Path, smoke: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = as_data(Results.load(smoke))
    data["runs"][2]["statements"][1]["rows"] = "lots"
    bad = _write(tmp_path / "bad.json", data)
    for argv in (
        ["report", str(bad), "-o", str(tmp_path / "r.html")],
        ["compare", str(smoke), str(bad)],
        ["export", str(bad), "-o", str(tmp_path / "e.json")],
        ["speedup", str(bad), "--faster", OPTIMIZED, "--slower", OPTIMIZED],
    ):
        code, _, err = _run(argv, capsys)
        assert code == 2, argv
        assert err.count("\n") == 1
        assert "Expected `int`, got `str` - at `$.runs[2].statements[1].rows`" in err
        assert "Traceback" not in err
    assert not (tmp_path / "r.html").exists()


def test_a_fifo_or_a_device_is_refused_without_a_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "results.json"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        code, _, err = _run(["report", str(path), "-o", str(tmp_path / "r.html")], capsys)
        assert code == 2
        assert err.strip().endswith("is not a regular file (a FIFO, device or socket): give a file")


def test_a_rule_matching_nothing_is_exit_2_naming_it(
    smoke: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["compare", str(smoke), str(smoke), "--fail-if", "statement[UpdateVmDynamc].calls:+0"]
    code, out, err = _run(argv, capsys)
    assert code == 2
    assert "rule 'statement[UpdateVmDynamc].calls:+0' matches nothing in these results" in err
    assert out == ""


def test_a_configuration_gone_from_new_results_fails_the_gate(
    tmp_path: Path, smoke: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = as_data(Results.load(smoke))
    data["runs"] = [run for run in data["runs"] if run["label"] != OPTIMIZED]
    fewer = _write(tmp_path / "fewer.json", data)
    code, out, _ = _run(["compare", str(smoke), str(fewer), "--counts-only"], capsys)
    assert code == 1
    assert f"FAIL {OPTIMIZED}: configuration gone from the new results" in out
    code, out, _ = _run(
        ["compare", str(smoke), str(fewer), "--counts-only", "--allow-gone"], capsys
    )
    assert code == 0
    assert "no regression" in out


def test_machine_independent_goes_with_no_rule_and_no_counts_only(
    smoke: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["compare", str(smoke), str(smoke), "--machine-independent"], capsys)
    assert code == 0
    assert "default machine-independent rules" in " ".join(out.split())
    for extra in (["--counts-only"], ["--fail-if", "statement[*].work:+5%"]):
        argv = ["compare", str(smoke), str(smoke), "--machine-independent", *extra]
        code, out, err = _run(argv, capsys)
        assert code == 2, extra
        assert err.count("\n") == 1
        assert "--machine-independent" in err


def test_another_version_is_a_warning(
    tmp_path: Path, smoke: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = as_data(Results.load(smoke))
    data["vmmonbench_version"] = "0.0.1"
    older = _write(tmp_path / "older.json", data)
    code, out, _ = _run(["compare", str(older), str(smoke)], capsys)
    assert code == 0
    assert "warning: " in out
    assert "vmmonbench 0.0.1" in " ".join(out.split())


def test_hostile_labels_in_an_error_line_are_made_visible(
    tmp_path: Path, smoke: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["speedup", str(smoke), "--faster", "\x1b]0;owned\x07x", "--slower", OPTIMIZED]
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert "\x1b" not in err
    assert "\\x1b]0;owned\\x07x" in err


def test_the_speedup_command_passes_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gate = FIXTURES / "compare" / "gate-run1.json"
    legacy = "per-vm-lock+event-plus-stats+3.6"
    base = ["speedup", str(gate), "--faster", OPTIMIZED, "--slower", legacy]
    code, out, _ = _run([*base, "--at-least", "1.5"], capsys)
    assert code == 0
    assert out.startswith(f"ok within-run speedup: {OPTIMIZED} vs {legacy}: ")
    code, out, _ = _run([*base, "--at-least", "50"], capsys)
    assert code == 1
    assert out.startswith("FAIL within-run speedup: ")
    code, _, err = _run([*base, "--metric", "statements"], capsys)
    assert code == 2
    assert "has no raw samples" in err
