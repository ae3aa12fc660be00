"""The `vmmonbench` command line: thin typer commands that call the core and choose exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from vmmonbench.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    NotAvailableError,
    VmmonbenchError,
)

app = typer.Typer(
    name="vmmonbench",
    help="Profile and benchmark the VM-monitoring core of a virtualization manager.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _not_yet(command: str) -> NoReturn:
    raise NotAvailableError(f"`vmmonbench {command}` is not available yet in this version")


@app.command()
def run(
    workload: Annotated[str, typer.Argument(help="Workload name or TOML file.")] = "stable",
    vms: Annotated[int | None, typer.Option(help="VMs per host (overrides the workload).")] = None,
    hosts: Annotated[int | None, typer.Option(help="Number of hosts.")] = None,
    mode: Annotated[list[str] | None, typer.Option(help="Filter an axis (repeatable).")] = None,
    optimization: Annotated[
        list[str] | None, typer.Option(help="Optimizations for the extra configuration.")
    ] = None,
    duration: Annotated[str | None, typer.Option(help="Simulated duration, e.g. 60s, 5m.")] = None,
    db: Annotated[str | None, typer.Option(help="Database URL (default: SQLite in --out).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    profile: Annotated[bool, typer.Option(help="Record CPU profiles with py-spy.")] = False,
) -> None:
    """Run a workload against every selected configuration and write results and a report."""
    _not_yet("run")


@app.command("fake-host")
def fake_host(
    vms: Annotated[int, typer.Option(help="VMs per host.")] = 6000,
    hosts: Annotated[int, typer.Option(help="Number of hosts (ports P..P+H-1).")] = 1,
    port: Annotated[int, typer.Option(help="First port; 0 picks free ports.")] = 0,
    bind: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20161,
    fault: Annotated[list[str] | None, typer.Option(help="Fault spec (repeatable).")] = None,
) -> None:
    """Serve emulated hosts (VDSM-shaped JSON-RPC over TCP) until stopped."""
    _not_yet("fake-host")


@app.command()
def compare(
    base: Annotated[Path, typer.Argument(help="Baseline results.json.")],
    new: Annotated[Path, typer.Argument(help="New results.json.")],
    fail_if: Annotated[list[str] | None, typer.Option(help="Gate rule (repeatable).")] = None,
    html: Annotated[Path | None, typer.Option(help="Write the comparison as HTML.")] = None,
) -> None:
    """Compare two results files and gate on regressions."""
    _not_yet("compare")


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="A results.json file.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="HTML file.")] = None,
) -> None:
    """Re-render the HTML report of stored results."""
    _not_yet("report")


@app.command()
def sweep(
    vms: Annotated[str, typer.Option(help="Comma-separated VM counts per host.")],
) -> None:
    """Run a scaling sweep and write a scaling report."""
    _not_yet("sweep")


def main(argv: list[str] | None = None) -> NoReturn:
    """Console entry point: user errors become one line on stderr and an exit code."""
    try:
        app(args=argv, prog_name="vmmonbench", standalone_mode=False)
    except VmmonbenchError as exc:
        _fail(exc.message, exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _fail("interrupted", EXIT_INTERRUPTED)
    except typer.TyperException as exc:
        # typer's usage errors (bad option values, unknown commands) carry exit code 2
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.exit(0)
        _fail(exc.format_message(), exc.exit_code if exc.exit_code else EXIT_BAD_INPUT)
    sys.exit(0)


def _fail(message: str, code: int) -> NoReturn:
    print(f"vmmonbench: error: {' '.join(message.split())}", file=sys.stderr)
    sys.exit(code)
