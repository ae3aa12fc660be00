"""Locks, events, staleness guards, faults and consistency, against a real fake host."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from sqlalchemy import select

from tests.unit.monitor.conftest import VMS
from vmmonbench.configuration import ALL_OPTIMIZATIONS, Configuration, FetchMode, LockMode
from vmmonbench.db import schema as s
from vmmonbench.monitor.commands import Command
from vmmonbench.monitor.consistency import check_consistency
from vmmonbench.monitor.samples import CycleSample
from vmmonbench.vmstatus import VmStatus

PER_VM_EVENTS = Configuration(LockMode.PER_VM, FetchMode.EVENTS, ALL_OPTIMIZATIONS)
HOST_LOCK = Configuration(LockMode.HOST, FetchMode.EVENTS)
POLLING = Configuration(LockMode.PER_VM, FetchMode.POLLING)
EVENT_WAIT_S = 10.0


def _status(m: Any, vm_id: str) -> int:
    with m.db.engine.connect() as conn:
        return int(
            conn.execute(
                select(s.vm_dynamic.c.status).where(s.vm_dynamic.c.vm_guid == vm_id)
            ).scalar_one()
        )


def _await_events(m: Any, count: int) -> threading.Event:
    done = threading.Event()
    seen: list[CycleSample] = []

    def recorded(sample: CycleSample) -> None:
        if sample.kind == "event":
            seen.append(sample)
            if len(seen) >= count:
                done.set()

    m.core.on_sample(recorded)
    return done


def test_per_vm_lock_skips_only_the_locked_vm(monitored: Any) -> None:
    m = monitored(PER_VM_EVENTS)
    held, _ = m.core.locks.lock_vms([m.vm_ids[0]])
    try:
        sample, _, rows = m.cycle()
    finally:
        m.core.locks.unlock_vms(held)
    assert not sample.skipped
    assert sample.vms_skipped == 1
    assert rows["UpdateVmStatistics"] == VMS - 1


def test_host_lock_skips_the_whole_cycle_while_a_command_holds_the_host(monitored: Any) -> None:
    m = monitored(HOST_LOCK)
    with m.core.locks.for_command(m.host.id, m.vm_ids[0]):
        sample, calls, _ = m.cycle()
    assert sample.skipped
    assert sample.statements == 0
    assert not calls
    after, _, _ = m.cycle()
    assert not after.skipped
    assert after.vms_analysed == VMS


def test_a_command_waits_for_the_vm_lock_held_by_a_cycle(monitored: Any) -> None:
    m = monitored(PER_VM_EVENTS)
    held, _ = m.core.locks.lock_vms([m.vm_ids[1]])
    command = Command(at_s=0.0, kind="update", vm_id=m.vm_ids[1], host_id=m.host.id)
    worker = threading.Thread(target=m.core.commands.execute, args=(command,))
    worker.start()
    worker.join(0.2)
    still_blocked = worker.is_alive()
    m.core.locks.unlock_vms(held)
    worker.join(EVENT_WAIT_S)
    assert still_blocked
    (recorded,) = m.core.recorder.commands
    assert recorded.failed is None
    assert recorded.wait_s >= 0.2


def test_a_status_event_updates_the_database_before_any_statistics_cycle(monitored: Any) -> None:
    m = monitored(PER_VM_EVENTS)
    processed = _await_events(m, 1)
    vm_id = m.vm_ids[2]
    assert _status(m, vm_id) == VmStatus.UP
    assert m.control.call("Sim.setStatus", {"vmIds": [vm_id], "status": "Paused"}) == 1
    assert processed.wait(EVENT_WAIT_S)
    assert _status(m, vm_id) == VmStatus.PAUSED
    assert not [s for s in m.core.recorder.samples if s.kind == "stats"]


def test_an_older_or_duplicate_event_is_ignored(monitored: Any) -> None:
    m = monitored(PER_VM_EVENTS)
    vm_id = m.vm_ids[3]
    first = m.monitor.on_event(vm_id, {"status": "Paused"}, notify_time=2_000)
    duplicate = m.monitor.on_event(vm_id, {"status": "Paused"}, notify_time=2_000)
    older = m.monitor.on_event(vm_id, {"status": "Up"}, notify_time=1_000)
    assert first.vms_changed == 1
    assert duplicate.skipped
    assert older.skipped
    assert m.monitor.events_ignored == 2
    assert _status(m, vm_id) == VmStatus.PAUSED


def test_a_report_fetched_before_a_command_changed_the_vm_is_dropped(monitored: Any) -> None:
    m = monitored(PER_VM_EVENTS)
    m.monitor.state.command_changed(m.vm_ids[0], at=1e9)  # "after" any fetch of this test
    sample, _, rows = m.cycle()
    assert sample.vms_skipped == 1
    assert rows["UpdateVmStatistics"] == VMS - 1


def test_vms_missing_from_a_poll_are_confirmed_not_declared_down(monitored: Any) -> None:
    m = monitored(PER_VM_EVENTS)
    m.control.call("Sim.setFaults", {"faults": ["missing-vms:rate=1"]})
    sample, calls, _ = m.cycle()
    m.control.call("Sim.setFaults", {"faults": []})
    assert sample.failed is None
    assert m.monitor.vms_lost == 0
    assert sample.rpc_calls == 1 + VMS  # the poll, then one VM.getStats per missing VM
    assert all(_status(m, vm_id) == VmStatus.UP for vm_id in m.vm_ids)
    assert calls["UpdateVmStatistics"] == 1


def test_a_cycle_records_the_time_its_host_calls_waited_by_the_client_clock(
    monitored: Any,
) -> None:
    m = monitored(PER_VM_EVENTS)
    ticks = itertools.count()
    m.monitor.client.clock = lambda: float(next(ticks))  # each call reads it twice: 1 s each
    m.control.call("Sim.setFaults", {"faults": ["missing-vms:rate=1"]})
    sample, _, _ = m.cycle()
    m.control.call("Sim.setFaults", {"faults": []})
    assert sample.rpc_calls == 1 + VMS
    assert sample.rpc_s == 1.0 + VMS


def test_polling_detects_status_changes_in_list_cycles(monitored: Any) -> None:
    m = monitored(Configuration(LockMode.PER_VM, FetchMode.POLLING))
    m.monitor.refresh()  # the first refresh is a statistics cycle
    m.control.call("Sim.setStatus", {"vmIds": m.vm_ids[:2], "status": "Paused"})
    listed = m.monitor.refresh()
    assert listed.kind == "list"
    assert listed.vms_changed == 2
    assert listed.rpc_calls == 1 + 2  # the list verb, then VM.getStats for the two changed VMs
    assert [_status(m, vm) for vm in m.vm_ids[:2]] == [VmStatus.PAUSED, VmStatus.PAUSED]
    quiet = m.monitor.refresh()
    assert quiet.vms_changed == 0
    assert quiet.rpc_calls == 1


def test_consistency_is_zero_after_churn_and_device_changes(monitored: Any) -> None:
    m = monitored(PER_VM_EVENTS)
    processed = _await_events(m, 2)
    m.control.call("Sim.setStatus", {"vmIds": m.vm_ids[:2], "status": "Paused"})
    m.control.call("Sim.changeDevices", {"vmIds": m.vm_ids[2:4]})
    assert processed.wait(EVENT_WAIT_S)
    m.core.stop_timers()
    settle = m.core.settle()
    assert [s.failed for s in settle] == [None]
    m.profiler.detach()
    report = check_consistency(m.db, [(m.host.id, m.control.call("Sim.snapshot"))])
    assert report.checked_vms == VMS
    assert report.divergent_vms == 0, report.examples


def test_consistency_reports_what_diverges(monitored: Any) -> None:
    m = monitored(PER_VM_EVENTS, start=False)
    m.control.call("Sim.setStatus", {"vmIds": m.vm_ids[:1], "status": "Paused"})
    m.control.call("Sim.changeDevices", {"vmIds": m.vm_ids[1:2]})
    report = check_consistency(m.db, [(m.host.id, m.control.call("Sim.snapshot"))])
    assert report.divergent_vms == 2
    assert report.reasons.get("status") == 1
    assert report.reasons.get("hash") == 1
