"""The monitoring core over STOMP, as the engine talks to VDSM: the same behaviour as over lines."""

from __future__ import annotations

import pytest

from tests.unit.monitor.test_behaviour import (
    test_a_status_event_updates_the_database_before_any_statistics_cycle,
    test_an_older_or_duplicate_event_is_ignored,
    test_consistency_is_zero_after_churn_and_device_changes,
    test_polling_detects_status_changes_in_list_cycles,
    test_vms_missing_from_a_poll_are_confirmed_not_declared_down,
)
from tests.unit.monitor.test_faults import (
    test_a_broken_response_fails_that_cycle_only,
    test_duplicate_and_stale_events_are_ignored,
)
from vmmonbench.protocol import WireProtocol

__all__ = [
    "test_a_broken_response_fails_that_cycle_only",
    "test_a_status_event_updates_the_database_before_any_statistics_cycle",
    "test_an_older_or_duplicate_event_is_ignored",
    "test_consistency_is_zero_after_churn_and_device_changes",
    "test_duplicate_and_stale_events_are_ignored",
    "test_polling_detects_status_changes_in_list_cycles",
    "test_vms_missing_from_a_poll_are_confirmed_not_declared_down",
]


@pytest.fixture
def wire() -> WireProtocol:
    return WireProtocol.STOMP
