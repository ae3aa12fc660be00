"""The monitoring core survives every fake-host fault: one failed cycle at most, then recovery."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from tests.unit.monitor.conftest import VMS
from vmmonbench.configuration import ALL_OPTIMIZATIONS, Configuration, FetchMode, LockMode
from vmmonbench.db import schema as s
from vmmonbench.monitor.consistency import check_consistency
from vmmonbench.monitor.samples import CycleSample
from vmmonbench.vmstatus import VmStatus

DESIGN_41 = Configuration(LockMode.PER_VM, FetchMode.EVENTS, ALL_OPTIMIZATIONS)
WAIT_S = 10.0


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("drop:rate=1", "connection closed mid-message"), ("malformed:rate=1", "malformed response")],
)
def test_a_broken_response_fails_that_cycle_only(monitored: Any, fault: str, reason: str) -> None:
    m = monitored(DESIGN_41)
    m.control.call("Sim.setFaults", {"faults": [fault]})
    broken, calls, _ = m.cycle()
    m.control.call("Sim.setFaults", {"faults": []})
    healthy, _, rows = m.cycle()
    assert broken.failed is not None
    assert reason in broken.failed
    assert "UpdateVmStatistics" not in calls  # nothing half-saved
    assert healthy.failed is None
    assert rows["UpdateVmStatistics"] == VMS
    if fault.startswith("drop"):
        assert m.monitor.client.counters.reconnects == 1


def test_a_late_response_beyond_the_timeout_fails_the_cycle(monitored: Any) -> None:
    m = monitored(DESIGN_41)
    m.monitor.client.timeout_s = 0.2
    m.control.call("Sim.setFaults", {"faults": ["delay:rate=1,seconds=1"]})
    late, _, _ = m.cycle()
    m.control.call("Sim.setFaults", {"faults": []})
    m.monitor.client.timeout_s = 30.0
    assert late.failed is not None
    assert "timed out" in late.failed
    after, _, _ = m.cycle()  # the late reply arrives for a forgotten id and is dropped
    assert after.failed is None
    assert after.vms_analysed == VMS


def test_duplicate_and_stale_events_are_ignored(monitored: Any) -> None:
    m = monitored(DESIGN_41)
    m.control.call(
        "Sim.setFaults", {"faults": ["duplicate-events:rate=1", "reorder-events:rate=1"]}
    )
    seen: list[CycleSample] = []
    done = threading.Event()

    def record(sample: CycleSample) -> None:
        if sample.kind == "event":
            seen.append(sample)
            if len(seen) >= 5:  # two changes: 2 events, 2 duplicates, 1 stale copy of the first
                done.set()

    m.core.on_sample(record)
    vm_id = m.vm_ids[0]
    m.control.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Paused"})
    m.control.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Up"})
    assert done.wait(WAIT_S)
    # a host's events are processed one at a time, as the engine's event refresher asks for
    # them: no copy finds the VM locked by another; each is applied or ignored as old/duplicate
    applied = [sample for sample in seen if not sample.skipped and sample.vms_skipped == 0]
    assert sum(sample.vms_skipped for sample in seen) == 0
    assert 1 <= len(applied) <= 2
    assert len(applied) + m.monitor.events_ignored == 5
    m.cycle()
    with m.db.engine.connect() as conn:
        status = conn.execute(
            select(s.vm_dynamic.c.status).where(s.vm_dynamic.c.vm_guid == vm_id)
        ).scalar_one()
    assert status == VmStatus.UP  # the stale "Paused" copy did not win


def test_consistency_holds_once_faults_stop(monitored: Any) -> None:
    m = monitored(Configuration(LockMode.HOST, FetchMode.POLLING))
    m.control.call(
        "Sim.setFaults",
        {"faults": ["drop:rate=0.3", "malformed:rate=0.3", "missing-vms:rate=0.5"]},
    )
    m.control.call("Sim.setStatus", {"vmIds": m.vm_ids[:2], "status": "Down"})
    m.control.call("Sim.changeDevices", {"vmIds": m.vm_ids[2:3]})
    outcomes = [m.monitor.refresh() for _ in range(10)]
    m.control.call("Sim.setFaults", {"faults": []})
    m.core.settle()
    m.profiler.detach()
    report = check_consistency(m.db, [(m.host.id, m.control.call("Sim.snapshot"))])
    assert any(o.failed for o in outcomes)  # the faults did bite
    assert report.divergent_vms == 0, report.examples
    assert m.monitor.vms_lost == 0
