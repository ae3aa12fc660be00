"""Statements per statistics cycle follow DOMAIN.md's table, for 3.6, 4.1 and each switch alone."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from tests.unit.monitor.conftest import DISKS, VMS, VNICS
from vmmonbench.configuration import (
    ALL_OPTIMIZATIONS,
    Configuration,
    FetchMode,
    LockMode,
    Optimization,
)
from vmmonbench.db import dao
from vmmonbench.db import schema as s

LEGACY = Configuration(LockMode.PER_VM, FetchMode.EVENTS)
DESIGN_41 = Configuration(LockMode.PER_VM, FetchMode.EVENTS, ALL_OPTIMIZATIONS)


def expected_calls(
    optimizations: frozenset[Optimization], vms: int, guest_nics: int
) -> Counter[str]:
    """DOMAIN.md section 3, written out: calls per label for one cycle of `vms` stable VMs.

    `select 1` counts checkouts as the engine makes them: one per DAO call outside a
    transaction, one for the guest-NIC transaction, one per batch even when it is empty.
    """
    on = optimizations.__contains__
    calls: Counter[str] = Counter()
    if on(Optimization.DYNAMIC_ONLY_READ):
        calls[dao.GET_VMS_DYNAMIC_RUNNING_ON_VDS] = 1
    elif on(Optimization.LIGHT_VIEWS):
        calls[dao.GET_VMS_RUNNING_BY_VDS] = 1
    else:
        calls[dao.GET_VMS_RUNNING_ON_VDS] = 1
    nic_label = dao.GET_VM_NIC_TO_MONITOR if on(Optimization.LIGHT_VIEWS) else dao.GET_VM_NIC_VIEW
    calls[nic_label] = vms
    if not on(Optimization.VM_NUMA_SKIP):
        host_reads = 1 if on(Optimization.HOST_NUMA_MEMO) else vms
        calls[dao.GET_NUMA_NODE_BY_VDS] = host_reads
        calls[dao.GET_NUMA_NODE_CPU_BY_VDS] = host_reads
        for label in dao.NUMA_VM_LABELS:
            calls[label] = vms
    if not on(Optimization.JOBS_IN_MEMORY):
        calls[dao.GET_ALL_VM_JOB_IDS] = 1
        calls[dao.GET_VM_JOBS_BY_VM] = vms
    transactions = 0
    if not on(Optimization.DYNAMIC_UPDATES):
        # 3.6 compares the NICs' hash with one VDSM never sets and so rewrites every VM's guest
        # NICs, hash and (with guest memory in it) vm_dynamic row every cycle
        calls[dao.UPDATE_VM_DYNAMIC] = 1
        calls[dao.DELETE_GUEST_NICS_BY_VM] = vms
        calls[dao.INSERT_GUEST_NIC] = vms * guest_nics
        transactions = 1
    calls[dao.UPDATE_VM_STATISTICS] = 1
    calls[dao.UPDATE_VM_NIC_STATISTICS] = 1
    calls[dao.UPDATE_DISK_DYNAMIC] = 1
    if not on(Optimization.NO_SELECT_1):
        outside = sum(
            count
            for label, count in calls.items()
            if label not in {dao.DELETE_GUEST_NICS_BY_VM, dao.INSERT_GUEST_NIC}
        )
        empty_batches = 1  # LUN disk sizes
        empty_batches += 0 if on(Optimization.DEVICES_SPLIT) else 1  # vm_device
        empty_batches += 0 if on(Optimization.JOBS_IN_MEMORY) else 1  # vm_jobs
        empty_batches += 1 if on(Optimization.DYNAMIC_UPDATES) else 0  # vm_dynamic, nothing new
        calls["select 1"] = outside + transactions + empty_batches
    return calls


def _guest_nics(monitored: Any) -> int:
    report = monitored.control.call("VM.getStats", {"vmID": monitored.vm_ids[0]})[0]
    return len(report["netIfaces"])


def _steady_cycle(monitored: Any) -> tuple[Any, Counter[str], dict[str, int]]:
    monitored.cycle()  # the first cycle may find the guest NICs in the stored order
    steady: tuple[Any, Counter[str], dict[str, int]] = monitored.cycle()
    return steady


def test_legacy_cycle_matches_the_table(monitored: Any) -> None:
    m = monitored(LEGACY)
    sample, calls, rows = _steady_cycle(m)
    guest_nics = _guest_nics(m)
    assert calls == expected_calls(frozenset(), VMS, guest_nics)
    assert sample.statements == sum(calls.values())
    assert rows[dao.UPDATE_VM_DYNAMIC] == VMS  # every VM rewritten, every cycle
    assert rows[dao.UPDATE_VM_STATISTICS] == VMS
    assert rows[dao.UPDATE_VM_NIC_STATISTICS] == VMS * VNICS
    assert rows[dao.UPDATE_DISK_DYNAMIC] == VMS * DISKS
    assert rows[dao.INSERT_GUEST_NIC] == VMS * guest_nics


def test_legacy_validates_about_seven_checkouts_per_vm(monitored: Any) -> None:
    # the study: 1,319,028 `select 1` for 6000 VMs x 31 cycles, ~7.1 per VM per cycle
    _, calls, _ = _steady_cycle(monitored(LEGACY))
    per_vm_reads = 7  # NIC view, five NUMA reads, jobs
    assert calls["select 1"] == per_vm_reads * VMS + 10


def test_legacy_rewrites_guest_nics_the_host_reports_unchanged(monitored: Any) -> None:
    m = monitored(LEGACY)
    first = m.control.call("VM.getStats", {"vmID": m.vm_ids[0]})[0]["netIfaces"]
    _, calls, _ = _steady_cycle(m)
    assert m.control.call("VM.getStats", {"vmID": m.vm_ids[0]})[0]["netIfaces"] == first
    assert calls[dao.DELETE_GUEST_NICS_BY_VM] == VMS


@pytest.mark.parametrize("fake_host", [True], indirect=True, ids=["reordering-host"])
def test_41_hash_is_order_sensitive_as_the_engines(monitored: Any) -> None:
    # Objects.hashCode(list): a host that reorders its guest NICs makes them look changed
    m = monitored(DESIGN_41)
    _, calls, rows = _steady_cycle(m)
    assert calls[dao.DELETE_GUEST_NICS_BY_VMS] == 1
    assert rows[dao.INSERT_GUEST_NIC] == VMS * _guest_nics(m)


def test_41_cycle_writes_statistics_only(monitored: Any) -> None:
    m = monitored(DESIGN_41)
    sample, calls, rows = _steady_cycle(m)
    assert calls == expected_calls(ALL_OPTIMIZATIONS, VMS, _guest_nics(m))
    assert dao.UPDATE_VM_DYNAMIC not in calls
    assert not any(label in calls for label in dao.NUMA_VM_LABELS + dao.NUMA_HOST_LABELS)
    assert sample.statements == VMS + 4
    assert sample.vms_changed == 0
    assert rows[dao.UPDATE_VM_STATISTICS] == VMS


@pytest.mark.parametrize("optimization", list(Optimization), ids=lambda o: o.value)
def test_each_switch_alone_changes_exactly_its_statements(
    monitored: Any, optimization: Optimization
) -> None:
    m = monitored(Configuration(LockMode.PER_VM, FetchMode.EVENTS, frozenset({optimization})))
    _, calls, _ = _steady_cycle(m)
    guest_nics = _guest_nics(m)
    assert calls == expected_calls(frozenset({optimization}), VMS, guest_nics)
    assert calls != expected_calls(frozenset(), VMS, guest_nics) or (
        optimization is Optimization.STATS_IN_MEMORY  # same statements, fewer columns
    )


def _statistics_written(monitored: Any) -> dict[str, Any]:
    """One VM's vm_statistics row after a cycle, read back: what the statistics batch wrote."""
    monitored.monitor.statistics_cycle()
    with monitored.db.engine.connect() as conn:
        row = conn.execute(
            select(s.vm_statistics).where(s.vm_statistics.c.vm_guid == monitored.vm_ids[0])
        ).one()
    return dict(row._mapping)


def test_statistics_in_memory_drops_the_history_columns(monitored: Any) -> None:
    legacy = _statistics_written(monitored(LEGACY))
    in_memory = _statistics_written(
        monitored(
            Configuration(
                LockMode.PER_VM, FetchMode.EVENTS, frozenset({Optimization.STATS_IN_MEMORY})
            )
        )
    )
    assert legacy["cpu_usage_history"]  # population leaves the history lists empty
    assert in_memory["cpu_usage_history"] == ""
    assert in_memory["cpu_user"] > 0


def test_41_statistics_are_the_released_columns(monitored: Any) -> None:
    legacy = _statistics_written(monitored(LEGACY))
    written = _statistics_written(monitored(DESIGN_41))
    assert legacy["guest_mem_cached"] is None  # 3.6 keeps guest memory in vm_dynamic
    assert written["guest_mem_cached"] is not None
    assert written["cpu_usage_history"] == ""
    assert "guest_mem_free" not in written  # released 4.1 has no such statistics column
    assert written["_update_date"] is not None


def test_devices_split_replaces_the_whole_row_update_by_a_hash_write(monitored: Any) -> None:
    counts = {}
    for label, optimizations in (
        ("without", frozenset({Optimization.DYNAMIC_UPDATES})),
        ("with", frozenset({Optimization.DYNAMIC_UPDATES, Optimization.DEVICES_SPLIT})),
    ):
        m = monitored(Configuration(LockMode.PER_VM, FetchMode.EVENTS, optimizations))
        m.cycle()
        assert m.control.call("Sim.changeDevices", {"vmIds": [m.vm_ids[0]]}) == 1
        _, calls, rows = m.cycle()
        counts[label] = (calls, rows)
        _, quiet, _ = m.cycle()  # once stored, the new hash is not news any more
        assert dao.GET_VM_DEVICES_BY_VM not in quiet
    without, with_split = counts["without"], counts["with"]
    assert without[1][dao.UPDATE_VM_DYNAMIC] == 1  # the whole vm_dynamic row, for one hash
    assert dao.SET_HASH_BY_VM_GUID not in without[0]
    assert dao.UPDATE_VM_DYNAMIC not in with_split[0]
    assert with_split[0][dao.SET_HASH_BY_VM_GUID] == 1
    for calls, _ in (without, with_split):
        assert calls[dao.GET_VM_DEVICES_BY_VM] == 1
        assert calls[dao.UPDATE_VM_DEVICE] == 1
