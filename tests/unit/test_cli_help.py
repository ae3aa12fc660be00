"""`--help` of every command at 80 columns: every option name whole, no line longer."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from vmmonbench.cli import app, main

GROUP: Any = typer.main.get_command(app)  # typer's click group
COMMANDS = sorted(GROUP.commands)


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_name_is_whole_at_80_columns(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = _help([command, "--help"], capsys)
    for line in text.splitlines():
        assert len(line) <= 80, line
    assert "…" not in text
    options = [
        name
        for param in GROUP.commands[command].params
        if param.param_type_name == "option"
        for name in (*param.opts, *param.secondary_opts)
    ]
    assert options
    words = set(text.replace(",", " ").replace("/", " ").split())
    for name in options:
        assert name in words, name


def test_the_top_level_help_lists_every_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = _help(["--help"], capsys)
    assert {"run", "compare", "speedup", "report", "export", "sweep", "fake-host"} <= set(COMMANDS)
    for command in COMMANDS:
        assert f"  {command} " in text or f"  {command}\n" in text, command
