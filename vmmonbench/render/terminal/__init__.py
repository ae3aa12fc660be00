"""Terminal output (rich): the run summary, hot spots, comparisons, capacity, and progress.

The only renderer that imports rich. Every string that comes from a results file (labels,
SQL, explanations) is shown as plain text with its control characters made visible: a
results file may come from anyone (a pull request's), and must not drive the terminal.
"""

from vmmonbench.render.terminal.capacity import capacity_table
from vmmonbench.render.terminal.comparison import (
    comparison_renderable,
    print_comparison,
    print_speedup,
)
from vmmonbench.render.terminal.progress import TerminalProgress
from vmmonbench.render.terminal.summary import hot_spots_tables, print_results, summary_tables
from vmmonbench.render.terminal.untrusted import visible

__all__ = [
    "TerminalProgress",
    "capacity_table",
    "comparison_renderable",
    "hot_spots_tables",
    "print_comparison",
    "print_results",
    "print_speedup",
    "summary_tables",
    "visible",
]
