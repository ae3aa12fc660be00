"""The layer rules of DEVELOPERS.md and STYLE.md, checked on the source with `ast`."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "vmmonbench"
# what the renderers may read: results and what is computed from them, nothing that measures
RENDERER_MAY_IMPORT = (
    "vmmonbench.render",
    "vmmonbench.results",
    "vmmonbench.result_records",
    "vmmonbench.figures",
    "vmmonbench.units",
    "vmmonbench.compare",
    "vmmonbench.scaling",
    "vmmonbench.sweep_results",
    "vmmonbench.hotspots",
    "vmmonbench.configuration",
    "vmmonbench.errors",
    "vmmonbench.outputs",  # how any file the user asked for is written safely
    "vmmonbench.study",
)
# results and what is computed from them never reach up into the run or its presentation
RESULTS_LAYER = (
    "results",
    "result_records",
    "figures",
    "units",
    "inputs",
    "compare",
    "scaling",
    "sweep_results",
    "hotspots",
    "sample_stats",
    "export",
    "study",
)
ABOVE_RESULTS = (
    "vmmonbench.cli",
    "vmmonbench.render",
    "vmmonbench.runner",
    "vmmonbench.measurement",
    "vmmonbench.sweep",
    "vmmonbench.freshdb",
    "vmmonbench.host_processes",
    "vmmonbench.world",
    "vmmonbench.cpuprofile",
    "vmmonbench.run_summary",
)


def imports(source: str) -> Iterator[str]:
    """Every module a source file imports, at any depth (lazy imports in functions too)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.level:
                raise AssertionError(f"relative import of {node.module}: use absolute imports")
            yield node.module
            # `from vmmonbench import units` imports the module vmmonbench.units
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def modules() -> dict[str, list[str]]:
    """Each module of the package (as a path inside it) and the modules it imports."""
    return {
        path.relative_to(PACKAGE).as_posix(): list(imports(path.read_text("utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    """Whether module `name` is one of `prefixes` or inside one of them."""
    return any(name == p or name.startswith(f"{p}.") for p in prefixes)


def violations(
    found: dict[str, list[str]], allowed: Callable[[str], bool], forbidden: tuple[str, ...]
) -> list[str]:
    """`module imports name` for every import of `forbidden` by a module `allowed` rejects."""
    return [
        f"{module} imports {name}"
        for module, names in found.items()
        if not allowed(module)
        for name in names
        if within(name, forbidden)
    ]


@pytest.fixture(scope="module")
def found() -> dict[str, list[str]]:
    """The package's import graph."""
    graph = modules()
    assert len(graph) > 50, "the package was not found"
    return graph


def test_the_checker_sees_lazy_and_module_imports() -> None:
    source = (
        "from vmmonbench import units\ndef f():\n    import typer\n    from rich.table import T\n"
    )
    assert list(imports(source)) == [
        "vmmonbench",
        "vmmonbench.units",
        "typer",
        "rich.table",
        "rich.table.T",
    ]
    graph = {"render/x.py": ["typer"], "cli.py": ["typer"]}
    assert violations(graph, lambda m: m == "cli.py", ("typer",)) == ["render/x.py imports typer"]


def test_typer_only_in_cli(found: dict[str, list[str]]) -> None:
    assert violations(found, lambda m: m == "cli.py", ("typer", "click")) == []


def test_rich_only_in_cli_and_the_terminal_renderer(found: dict[str, list[str]]) -> None:
    def allowed(module: str) -> bool:
        return module == "cli.py" or module.startswith("render/terminal/")

    assert violations(found, allowed, ("rich",)) == []


def test_nothing_but_the_entry_point_imports_cli(found: dict[str, list[str]]) -> None:
    entry = {"cli.py", "__main__.py", "launch.py"}  # launch: handlers first, then the CLI
    assert violations(found, lambda m: m in entry, ("vmmonbench.cli",)) == []


def test_renderers_read_results_only(found: dict[str, list[str]]) -> None:
    problems = [
        f"{module} imports {name}"
        for module, names in found.items()
        if module.startswith("render/")
        for name in names
        if name.startswith("vmmonbench.")
        and not within(name, RENDERER_MAY_IMPORT)
        and name != "vmmonbench.__version__"
    ]
    assert problems == []


def test_results_and_their_computations_never_reach_up(found: dict[str, list[str]]) -> None:
    def below(module: str) -> bool:
        top = module.split("/", maxsplit=1)[0].removesuffix(".py")
        return top not in RESULTS_LAYER

    assert violations(found, below, ABOVE_RESULTS) == []


def test_the_fake_host_never_imports_the_monitor_or_the_database(
    found: dict[str, list[str]],
) -> None:
    forbidden = ("vmmonbench.monitor", "vmmonbench.db", "sqlalchemy")
    assert violations(found, lambda m: not m.startswith("fakehost/"), forbidden) == []


def test_the_monitor_reaches_the_fake_host_only_over_the_wire(found: dict[str, list[str]]) -> None:
    forbidden = ("vmmonbench.fakehost", "vmmonbench.host_processes", "vmmonbench.world")
    assert violations(found, lambda m: not m.startswith("monitor/"), forbidden) == []
