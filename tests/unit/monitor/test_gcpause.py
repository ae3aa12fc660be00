"""The shared garbage-collector pause: nested and cross-thread holders, the prior state kept."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from vmmonbench.monitor.gcpause import GcPause


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


def test_the_collector_waits_until_the_last_holder_leaves(collector_on: None) -> None:
    pause = GcPause()
    with pause:
        assert not gc.isenabled()
        with pause:
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer holder still holds it
    assert gc.isenabled()


def test_a_holder_on_another_thread_keeps_it_paused(collector_on: None) -> None:
    pause = GcPause()
    entered, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with pause:
            entered.set()
            leave.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait()
    with pause:
        pass
    assert not gc.isenabled()  # this thread left, the other still holds the pause
    leave.set()
    holder.join()
    assert gc.isenabled()


def test_a_collector_already_off_stays_off(collector_on: None) -> None:
    pause = GcPause()
    gc.disable()
    with pause:
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_error_inside_still_releases_the_pause(collector_on: None) -> None:
    pause = GcPause()
    with pytest.raises(RuntimeError), pause:
        raise RuntimeError("inside")
    assert gc.isenabled()
