"""More DB work at the same counts is caught: the gate workload with the 4.1 light view widened.

The light NIC view (`vm_interface_monitoring_view`, read per VM by 4.1's
GetVmNetworkInterfaceToMonitorByVmId) is redefined over the heavy one: the same columns and
rows, so every count stays the same, but each call joins what 3.6 joined.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.processes import run_to_results
from vmmonbench.compare import compare, exit_code
from vmmonbench.db import stored_sql
from vmmonbench.errors import EXIT_FAILED, EXIT_OK
from vmmonbench.results import Results

OPTIMIZED = "per-vm-lock+event-plus-stats+4.1"
LIGHT_READ = "GetVmNetworkInterfaceToMonitorByVmId"
LIGHT_VIEW = "CREATE OR REPLACE VIEW vm_interface_monitoring_view AS"
# the run's own process, with the package's view file edited before anything is installed
WIDENED = f"""
import re, sys
from vmmonbench.db import stored_sql
original = stored_sql.sql_text
columns = (
    "rx_rate, tx_rate, rx_drop, tx_drop, rx_total, tx_total, rx_offset, tx_offset, "
    "iface_status, sample_time, type, speed, mac_addr, name, vm_guid, id"
)
def widened(name):
    text = original(name)
    if name == "create_views.sql":
        text, replaced = re.subn(
            r"{LIGHT_VIEW}.*?;", "{LIGHT_VIEW} SELECT " + columns + " FROM vm_interface_view;",
            text, flags=re.S,
        )
        assert replaced == 1
    return text
stored_sql.sql_text = widened
from vmmonbench.cli import main
main(sys.argv[1:])
"""
UNCHANGED = "import sys\nfrom vmmonbench.cli import main\nmain(sys.argv[1:])\n"
GATE_4_1 = ["run", "gate", "--no-legacy", "--optimization", "all"]  # the 4.1 design only


def _run_gate(out: Path, program: str) -> Results:
    return run_to_results([sys.executable, "-c", program, *GATE_4_1], out)


@pytest.mark.slow
def test_a_widened_light_view_fails_the_work_gate_naming_the_statement(tmp_path: Path) -> None:
    assert LIGHT_VIEW in stored_sql.sql_text("create_views.sql")  # what the injection edits
    base = _run_gate(tmp_path / "base", UNCHANGED)
    again = _run_gate(tmp_path / "again", UNCHANGED)
    widened = _run_gate(tmp_path / "widened", WIDENED)

    assert exit_code(compare(base, again, machine_independent=True)) == EXIT_OK
    # the counts cannot see it
    assert exit_code(compare(base, widened, counts_only=True)) == EXIT_OK
    caught = compare(base, widened, machine_independent=True)
    assert exit_code(caught) == EXIT_FAILED
    lines = [check.explanation for check in caught.failures]
    named = [line for line in lines if LIGHT_READ in line]
    assert len(named) == 1, lines
    assert named[0].startswith(f"{OPTIMIZED}: {LIGHT_READ} work_per_stats_cycle ")
    assert named[0].endswith(" exceeds +5%")
    assert any(line.startswith(f"{OPTIMIZED}: work_per_stats_cycle ") for line in lines), lines
