"""VM status vocabulary: VDSM's status strings and the engine's integer codes stored in the DB."""

from __future__ import annotations

from enum import IntEnum


class VmStatus(IntEnum):
    """The engine's `VMStatus` codes (the `vm_dynamic.status` column)."""

    DOWN = 0
    UP = 1
    POWERING_UP = 2
    PAUSED = 4
    MIGRATING_FROM = 5
    MIGRATING_TO = 6
    UNKNOWN = 7
    NOT_RESPONDING = 8
    WAIT_FOR_LAUNCH = 9
    REBOOT_IN_PROGRESS = 10
    SAVING_STATE = 11
    RESTORING_STATE = 12
    POWERING_DOWN = 16


VDSM_TO_ENGINE: dict[str, VmStatus] = {
    "Down": VmStatus.DOWN,
    "Up": VmStatus.UP,
    "Powering up": VmStatus.POWERING_UP,
    "Paused": VmStatus.PAUSED,
    "Migration Source": VmStatus.MIGRATING_FROM,
    "Migration Destination": VmStatus.MIGRATING_TO,
    "WaitForLaunch": VmStatus.WAIT_FOR_LAUNCH,
    "RebootInProgress": VmStatus.REBOOT_IN_PROGRESS,
    "Saving State": VmStatus.SAVING_STATE,
    "Restoring state": VmStatus.RESTORING_STATE,
    "Powering down": VmStatus.POWERING_DOWN,
}


def engine_status(vdsm_status: str) -> VmStatus:
    """The engine code for a VDSM status string (unknown strings map to UNKNOWN)."""
    return VDSM_TO_ENGINE.get(vdsm_status, VmStatus.UNKNOWN)
