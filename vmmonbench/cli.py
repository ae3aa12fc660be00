"""The `vmmonbench` command line: thin typer commands that call the core and choose exit codes."""

from __future__ import annotations

import contextlib
import errno
import io
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import orjson
import typer
from rich.console import Console

from vmmonbench.compare import compare as compare_results
from vmmonbench.compare import exit_code as comparison_exit_code
from vmmonbench.compare import parse_rules, speedup_check
from vmmonbench.configuration import select_configurations
from vmmonbench.db.target import DatabaseChoice, DatabaseKind
from vmmonbench.errors import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STDOUT_GONE,
    BadInputError,
    OutputError,
    VmmonbenchError,
)
from vmmonbench.export import ExportFormat, Measure, to_pytest_benchmark
from vmmonbench.fakehost import (
    FakeHostConfig,
    FakeHostServer,
    exposure_warning,
    ready_line,
    serve,
)
from vmmonbench.faults import parse_fault
from vmmonbench.host_processes import parse_connect
from vmmonbench.interrupts import (
    StdoutGuardedProgress,
    note,
    silence_stdout,
    stdout_is_gone,
    stop_signals,
)
from vmmonbench.outputs import check_target, write_file
from vmmonbench.protocol import WireProtocol
from vmmonbench.render.html import write_comparison_report, write_report, write_sweep_report
from vmmonbench.render.terminal import (
    TerminalProgress,
    capacity_table,
    print_comparison,
    print_results,
    print_speedup,
    visible,
)
from vmmonbench.results import Results, RunStatus
from vmmonbench.runner import RESULTS_FILE, RunOptions, default_out_dir, exit_code, run_workload
from vmmonbench.sweep import SWEEP_FILE, SweepOptions, parse_sizes, run_sweep
from vmmonbench.sweep_results import SweepResult
from vmmonbench.workload import Workload, load_workload, parse_duration

app = typer.Typer(
    name="vmmonbench",
    help="Profile and benchmark the VM-monitoring core of a virtualization manager.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # click's own help lays options out in two columns that never cut an option name
    rich_markup_mode=None,
)


@app.command()
def run(
    workload: Annotated[str, typer.Argument(help="Workload name or TOML file.")] = "stable",
    vms: Annotated[
        int | None, typer.Option(metavar="N", help="VMs per host (overrides the workload).")
    ] = None,
    hosts: Annotated[int | None, typer.Option(metavar="N", help="Number of hosts.")] = None,
    mode: Annotated[
        list[str] | None, typer.Option(metavar="MODE", help="Filter an axis (repeatable).")
    ] = None,
    optimization: Annotated[
        list[str] | None,
        typer.Option(metavar="NAMES", help="Optimizations for the extra configuration."),
    ] = None,
    duration: Annotated[
        str | None, typer.Option(metavar="TIME", help="Simulated duration, e.g. 60s, 5m.")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            metavar="DB",
            help="embedded (default: a PostgreSQL server the run starts), sqlite (in-process, "
            "in --out), sqlite:///FILE or postgresql://USER@HOST/DB.",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(metavar="DIR", help="Output folder.")] = None,
    seed: Annotated[int | None, typer.Option(metavar="N", help="Random seed.")] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SPEC", help="Fault to inject, e.g. delay:rate=0.2,seconds=1 (repeatable)."
        ),
    ] = None,
    profile: Annotated[bool, typer.Option(help="Record CPU profiles with py-spy.")] = False,
    connect: Annotated[
        str | None,
        typer.Option(
            metavar="HOST:PORT,...", help="Monitor fake hosts started elsewhere (comma-separated)."
        ),
    ] = None,
    fake_host_processes: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="Processes serving the fake hosts [1 per 5 hosts]."),
    ] = None,
    monitoring_threads: Annotated[
        int,
        typer.Option(min=1, max=256, metavar="N", help="Bounded pool of host monitoring threads."),
    ] = 10,
    legacy: Annotated[
        bool, typer.Option(help="Include the legacy 3.6 configurations (off: 4.1 only).")
    ] = True,
    wire: Annotated[
        WireProtocol,
        typer.Option(
            "--protocol", help="How the monitoring core talks to the hosts (stomp: as the engine)."
        ),
    ] = WireProtocol.STOMP,
    overwrite: Annotated[
        bool, typer.Option(help="Replace results already in --out (refused otherwise).")
    ] = False,
    sqlite_steps: Annotated[
        bool,
        typer.Option(
            show_default=False,
            help="Count SQLite's VM steps per statement (--db sqlite only; opt-in: it slows "
            "the statements 2-3x).",
        ),
    ] = False,
) -> None:
    """Run a workload against every selected configuration and write results and a report."""
    chosen = load_workload(workload).with_overrides(
        vms=vms,
        hosts=hosts,
        duration_s=parse_duration(duration) if duration is not None else None,
        seed=seed,
        faults=tuple(parse_fault(text).spec() for text in fault) if fault else None,
    )
    out_dir = out or default_out_dir(chosen.name)
    # a bad --db is refused before the folder is touched
    if DatabaseChoice.parse(db, out_dir).kind is not DatabaseKind.SQLITE and sqlite_steps:
        raise BadInputError(
            "--sqlite-steps counts SQLite's virtual-machine steps: it needs --db sqlite or "
            "--db sqlite:///FILE (PostgreSQL counts blocks on its own)"
        )
    results_path = out_dir / RESULTS_FILE
    report_path = out_dir / "report.html"
    stop = threading.Event()
    console = _console()
    with stop_signals(stop, after_results=_saved_in(results_path)) as signals:
        report_failed: list[OutputError] = []

        def save(results: Results) -> None:
            results.save(results_path)
            if results.status != RunStatus.UNFINISHED:
                signals.results_saved()
                try:
                    write_report(results, report_path)
                except OutputError as exc:  # the results are saved: say so, and how it ended
                    report_failed.append(exc)

        options = RunOptions(
            workload=chosen,
            configurations=select_configurations(mode or (), optimization, legacy=legacy),
            out_dir=out_dir,
            db_url=db,
            profile=profile,
            connect=parse_connect(connect) if connect else None,
            fake_host_processes=fake_host_processes,
            monitoring_threads=monitoring_threads,
            sqlite_steps=sqlite_steps,
            wire=wire,
            on_results=save,
            overwrite=overwrite,
            stop=stop,
        )
        progress = StdoutGuardedProgress(TerminalProgress(console), stop)
        results = run_workload(options, progress)
        if not progress.closed:
            _print_or_drop(lambda: print_results(results, console))
            _print_or_drop(
                lambda: console.print(f"results: {results_path}\nreport:  {report_path}")
            )
    for problem in report_failed:
        note(f"error: {problem.message}; `vmmonbench report {results_path}` renders it later")
    _say_how_it_ended(results.status, results.failure, results_path)
    code = exit_code(results)
    raise typer.Exit(EXIT_BAD_INPUT if report_failed and code == EXIT_OK else code)


def _saved_in(results_path: Path) -> str:
    return (
        f"the results are saved in {results_path} "
        f"(`vmmonbench report {results_path}` renders their report)"
    )


def _say_how_it_ended(status: str, failure: str | None, results_path: Path) -> None:
    if status == RunStatus.FAILED:
        note(f"error: the run failed: {failure}; what it measured is in {results_path}")
    elif status == RunStatus.INTERRUPTED:
        note(f"interrupted; what was measured is in {results_path}")


def _print_or_drop(show: Callable[[], None]) -> None:
    # the results are saved: a stdout gone away (`| head -1`) only cuts what is printed
    try:
        show()
    except OSError:
        if not stdout_is_gone():
            raise
        silence_stdout()


class _Console(Console):
    """rich's console, except that a closed stdout raises BrokenPipeError instead of exiting.

    rich's default ends the process (SystemExit 1) from inside whatever printed: in the middle
    of a run, before it saved what it had measured.
    """

    def on_broken_pipe(self) -> None:
        """Go quiet and let the caller decide (a run stops and keeps its results)."""
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def _console() -> Console:
    if sys.stdout is None:  # started with stdout closed (`>&-`): nothing is shown
        return _Console(file=io.StringIO(), quiet=True)
    # a terminal gets its own width; logs (CI) get wide tables instead of wrapped ones
    return _Console() if sys.stdout.isatty() else _Console(width=200)


@app.command("fake-host")
def fake_host(
    workload: Annotated[
        str | None, typer.Option(help="Workload name or TOML file for defaults.")
    ] = None,
    vms: Annotated[int | None, typer.Option(help="VMs per host [workload: 6000].")] = None,
    hosts: Annotated[
        int | None, typer.Option(help="Number of hosts, on ports P..P+H-1 [workload: 1].")
    ] = None,
    port: Annotated[int, typer.Option(help="First port; 0 picks free ports.")] = 0,
    bind: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    seed: Annotated[int | None, typer.Option(help="Random seed [workload: 20161].")] = None,
    fault: Annotated[
        list[str] | None, typer.Option(help="Fault spec, e.g. delay:rate=0.1 (repeatable).")
    ] = None,
    vnics: Annotated[int | None, typer.Option(help="vNICs per VM [workload: 2].")] = None,
    disks: Annotated[int | None, typer.Option(help="Disks per VM [workload: 1].")] = None,
    guest_nic_reorder: Annotated[
        bool | None,
        typer.Option(
            "--guest-nic-reorder/--no-guest-nic-reorder",
            help="Rotate guest-agent NIC order on every poll (the study's quirk) [workload: on].",
        ),
    ] = None,
    command_latency_ms: Annotated[
        float | None, typer.Option(help="Latency of VM commands [workload: 20].")
    ] = None,
    churn: Annotated[
        float | None, typer.Option(help="Status changes per VM per hour, real time [0].")
    ] = None,
    devices_change: Annotated[
        float | None, typer.Option(help="Device changes per VM per hour, real time [0].")
    ] = None,
    host_offset: Annotated[int, typer.Option(help="Inventory index of the first host.")] = 0,
    watch_pid: Annotated[int | None, typer.Option(help="Exit when this process ends.")] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM certificate: serve TLS on every port, as VDSM does.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert.")] = None,
) -> None:
    """Serve emulated hosts until stopped: VDSM's JSON-RPC over STOMP 1.2 (what an oVirt engine
    speaks) and vmmonbench's line-delimited JSON-RPC, on the same ports."""
    config = FakeHostConfig.from_workload(
        load_workload(workload) if workload else Workload(),
        vms=vms,
        hosts=hosts,
        port=port,
        bind=bind,
        seed=seed,
        vnics=vnics,
        disks=disks,
        guest_nic_reorder=guest_nic_reorder,
        command_latency_ms=command_latency_ms,
        churn_per_vm_hour=churn,
        devices_change_per_vm_hour=devices_change,
        host_offset=host_offset,
        watch_pid=watch_pid,
        faults=[parse_fault(text) for text in fault] if fault else None,
        tls_cert=str(tls_cert) if tls_cert else None,
        tls_key=str(tls_key) if tls_key else None,
    )

    def announce(server: FakeHostServer) -> None:
        warning = exposure_warning(config.bind)
        if warning:
            print(f"vmmonbench: {warning}", file=sys.stderr, flush=True)
        print(ready_line(server), flush=True)

    serve(config, on_ready=announce)


@app.command()
def compare(
    base: Annotated[Path, typer.Argument(help="Baseline results.json.")],
    new: Annotated[Path, typer.Argument(help="New results.json.")],
    fail_if: Annotated[
        list[str] | None,
        typer.Option(
            metavar="RULE",
            help="Gate rule, e.g. 'db_time_s:+10%' (repeatable; replaces defaults).",
        ),
    ] = None,
    counts_only: Annotated[
        bool,
        typer.Option(
            show_default=False,
            help="Default rules on deterministic counts only (CI on shared runners).",
        ),
    ] = False,
    machine_independent: Annotated[
        bool,
        typer.Option(
            show_default=False,
            help="Default rules on counts and DB work, not times (CI against a baseline "
            "from another machine).",
        ),
    ] = False,
    allow_mismatch: Annotated[
        bool,
        typer.Option(show_default=False, help="Compare results of different workloads anyway."),
    ] = False,
    allow_gone: Annotated[
        bool,
        typer.Option(
            show_default=False,
            help="Let configurations and statements gone from NEW pass (shown as gone).",
        ),
    ] = False,
    show_all: Annotated[bool, typer.Option("--all", help="Show unchanged rows too.")] = False,
    html: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write the comparison as HTML.")
    ] = None,
) -> None:
    """Compare two results files and gate on regressions (exit 1 on a regression)."""
    if counts_only and fail_if:
        raise BadInputError("--counts-only chooses the default rules; it cannot go with --fail-if")
    if machine_independent and fail_if:
        raise BadInputError(
            "--machine-independent chooses the default rules; it cannot go with --fail-if"
        )
    if counts_only and machine_independent:
        raise BadInputError("--counts-only and --machine-independent choose different rules")
    if html is not None:
        _refuse_to_write_over(html, base, new)
    rules = parse_rules(fail_if or ())  # a bad rule is bad input before anything is loaded
    comparison = compare_results(
        Results.load(base),
        Results.load(new),
        rules,
        counts_only=counts_only,
        machine_independent=machine_independent,
        allow_mismatch=allow_mismatch,
        allow_gone=allow_gone,
        base_name=str(base),
        new_name=str(new),
    )
    print_comparison(comparison, _console(), show_all=show_all)
    if html is not None:  # written on a regression too: that is when it is read
        write_comparison_report(comparison, html)
        print(f"comparison report: {html}")
    raise typer.Exit(comparison_exit_code(comparison))


@app.command()
def speedup(
    results: Annotated[Path, typer.Argument(help="A results.json file.")],
    faster: Annotated[str, typer.Option(metavar="LABEL", help="The configuration to be faster.")],
    slower: Annotated[str, typer.Option(metavar="LABEL", help="The configuration to beat.")],
    at_least: Annotated[float, typer.Option(metavar="X", help="The factor to beat it by.")] = 1.5,
    metric: Annotated[
        str, typer.Option(metavar="FIGURE", help="A figure with raw per-cycle samples.")
    ] = "db_time_per_stats_cycle_s",
) -> None:
    """Check within one run that a configuration beats another by a factor (exit 1 if not).

    Noise-aware: the medians of the raw per-cycle samples are compared, and a shortfall fails
    only when a Mann-Whitney U test says it is real. Times from one run share its machine, so
    this is the time check a CI on shared runners can make.
    """
    check = speedup_check(
        Results.load(results), slower=slower, faster=faster, at_least=at_least, metric=metric
    )
    print_speedup(check, _console())
    raise typer.Exit(EXIT_FAILED if check.failed else EXIT_OK)


@app.command()
def export(
    results: Annotated[Path, typer.Argument(help="A results.json file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.")
    ] = ExportFormat.PYTEST_BENCHMARK,
    measure: Annotated[
        Measure,
        typer.Option(
            help="What each round is: the statistics cycle's duration, its DB time, or its "
            "analysis (the cycle without its DB time and host calls)."
        ),
    ] = Measure.DURATION,
) -> None:
    """Export results for other tools (pytest-benchmark compare reads the file)."""
    _refuse_to_write_over(output, results)
    data = to_pytest_benchmark(Results.load(results), measure=measure)
    write_file(output, orjson.dumps(data, option=orjson.OPT_INDENT_2))
    print(f"{fmt.value}: {output}")


def _refuse_to_write_over(output: Path, *inputs: Path) -> None:
    # before any work: a directory named as the output is refused, and so is an input
    check_target(output)
    for source in inputs:
        with contextlib.suppress(OSError):
            if output.resolve() == source.resolve() or output.samefile(source):
                raise OutputError(f"refusing to write {output}: it is the input {source}")


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="A results.json file.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="HTML file.")] = None,
) -> None:
    """Re-render the HTML report of stored results."""
    if output is not None:
        _refuse_to_write_over(output, results)
    stored = Results.load(results)
    target = output or results.with_name("report.html")
    write_report(stored, target, assets_dir=results.parent, user_path=output is not None)
    print(f"report: {target}")


@app.command()
def sweep(
    vms: Annotated[
        str, typer.Option(metavar="N,N,...", help="Comma-separated VM counts per host.")
    ],
    workload: Annotated[str, typer.Argument(help="Workload name or TOML file.")] = "stable",
    hosts: Annotated[
        str, typer.Option(metavar="H,H,...", help="Comma-separated host counts.")
    ] = "1",
    mode: Annotated[
        list[str] | None, typer.Option(metavar="MODE", help="Filter an axis (repeatable).")
    ] = None,
    optimization: Annotated[
        list[str] | None,
        typer.Option(metavar="NAMES", help="Optimizations for the extra configuration."),
    ] = None,
    duration: Annotated[
        str | None, typer.Option(metavar="TIME", help="Simulated duration per size.")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            metavar="DB",
            help="embedded (default: a PostgreSQL server per size), sqlite, sqlite:///FILE "
            "or postgresql://USER@HOST/DB.",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(metavar="DIR", help="Output folder.")] = None,
    seed: Annotated[int | None, typer.Option(metavar="N", help="Random seed.")] = None,
    monitoring_threads: Annotated[
        int,
        typer.Option(min=1, max=256, metavar="N", help="Bounded pool of host monitoring threads."),
    ] = 10,
    overwrite: Annotated[
        bool, typer.Option(help="Replace results already in --out (refused otherwise).")
    ] = False,
) -> None:
    """Run the configurations at several sizes; fit cost per VM and project saturation."""
    base = load_workload(workload).with_overrides(
        duration_s=parse_duration(duration) if duration is not None else None, seed=seed
    )
    out_dir = out or default_out_dir(f"sweep-{base.name}")
    DatabaseChoice.parse(db, out_dir)
    sizes = parse_sizes(vms, option="--vms")
    host_counts = parse_sizes(hosts, option="--hosts")
    for vm_count in sizes:
        for host_count in host_counts:
            base.with_overrides(vms=vm_count, hosts=host_count)  # every size valid up front
    sweep_path, page_path = out_dir / SWEEP_FILE, out_dir / "sweep.html"
    stop = threading.Event()
    console = _console()
    with stop_signals(stop, after_results=f"the sweep is saved in {sweep_path}") as signals:

        def keep(results: Results, folder: Path) -> None:
            results.save(folder / RESULTS_FILE)
            if results.status != RunStatus.UNFINISHED:
                write_report(results, folder / "report.html")

        def finish(outcome: SweepResult) -> None:
            outcome.save(sweep_path)
            signals.results_saved()
            write_sweep_report(outcome, page_path)

        options = SweepOptions(
            workload=base,
            sizes=sizes,
            hosts=host_counts,
            configurations=select_configurations(mode or (), optimization),
            out_dir=out_dir,
            db_url=db,
            monitoring_threads=monitoring_threads,
            on_results=keep,
            on_sweep=finish,
            overwrite=overwrite,
            stop=stop,
        )
        progress = StdoutGuardedProgress(TerminalProgress(console), stop)
        outcome = run_sweep(options, progress)
        if not progress.closed:
            tables = capacity_table(outcome.models, console)
            _print_or_drop(lambda: console.print(*tables))
            _print_or_drop(lambda: console.print(f"sweep: {sweep_path}\nreport: {page_path}"))
    _say_how_it_ended(outcome.status, outcome.failure, sweep_path)
    raise typer.Exit(
        {"complete": EXIT_OK, "interrupted": EXIT_INTERRUPTED}.get(outcome.status, EXIT_FAILED)
    )


def main(argv: list[str] | None = None) -> NoReturn:
    """Console entry point: user errors become one line on stderr and an exit code."""
    try:
        # without standalone mode, typer returns the code of a `typer.Exit` instead of exiting
        code = app(args=argv, prog_name="vmmonbench", standalone_mode=False)
    except VmmonbenchError as exc:
        _fail(exc.message, exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _fail("interrupted", EXIT_INTERRUPTED)
    except typer.TyperException as exc:
        # typer's usage errors (bad option values, unknown commands) carry exit code 2
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.exit(0)
        _fail(exc.format_message(), exc.exit_code if exc.exit_code else EXIT_BAD_INPUT)
    except (OSError, SystemExit):
        # stdout's reader went away (`| head -1`; typer turns that into a silent exit 1): what
        # was measured is saved before anything is printed, so only the output is cut
        if not stdout_is_gone():
            raise
        silence_stdout()
        sys.exit(EXIT_STDOUT_GONE)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> NoReturn:
    # a message may quote a results file's labels: its control characters are made visible
    note(f"error: {visible(' '.join(message.split()))}")
    sys.exit(code)
