"""EventLoop: urgent events go ahead of the queued ones, in order among themselves, stepped or threaded; the
wake-up that comes with them is never dispatched; a failing handler does not stop the loop."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from mesosframe.core.clock import FakeClock, SystemClock
from mesosframe.core.events import Event, Nudge, Stop
from mesosframe.core.framework import Framework
from mesosframe.core.loop import EventLoop
from mesosframe.driver.fake import FakeDriver
from mesosframe.state import MemoryStateStore

from core_helpers import ListPlugin


@dataclass(frozen=True)
class Named(Event):
    name: str


class Recorder:
    """Dispatch target: records names; `then` maps a name to a callable run while dispatching it."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.idle = 0
        self.then: dict[str, object] = {}
        self.done = threading.Event()

    def dispatch(self, event: Event) -> None:
        assert not isinstance(event, Nudge), "a Nudge reached dispatch"
        name = event.name if isinstance(event, Named) else type(event).__name__
        self.names.append(name)
        action = self.then.get(name)
        if action is not None:
            action()
        if name == "last":
            self.done.set()

    def on_idle(self) -> None:
        self.idle += 1


def stepped_loop() -> tuple[EventLoop, Recorder]:
    recorder = Recorder()
    return EventLoop(FakeClock(), recorder.dispatch, on_idle=recorder.on_idle), recorder


@pytest.mark.parametrize("puts, expected", [
    ([("a", False), ("b", False)], ["a", "b"]),
    ([("a", False), ("u", True)], ["u", "a"]),
    ([("a", False), ("b", False), ("u1", True), ("u2", True)], ["u1", "u2", "a", "b"]),
    ([("u1", True), ("a", False), ("u2", True)], ["u1", "u2", "a"]),
])
def test_urgent_events_are_dispatched_before_queued_ones_and_in_their_own_order(puts, expected):
    loop, recorder = stepped_loop()
    for name, urgent in puts:
        loop.put(Named(name), urgent)
    assert loop.step() == len(expected)
    assert recorder.names == expected
    assert recorder.idle == 1


def test_an_urgent_event_put_during_a_burst_runs_before_the_rest_of_the_burst():
    loop, recorder = stepped_loop()
    recorder.then["b"] = lambda: loop.put(Named("tick"), urgent=True)
    for name in "abcd":
        loop.put(Named(name))
    loop.step()
    assert recorder.names == ["a", "b", "tick", "c", "d"]


def test_threaded_loop_wakes_for_an_urgent_event_and_goes_idle_after_it():
    recorder = Recorder()
    loop = EventLoop(SystemClock(), recorder.dispatch, on_idle=recorder.on_idle, max_wait=30.0)
    loop.start()
    try:
        loop.put(Named("last"), urgent=True)
        assert recorder.done.wait(10), "the waiting loop did not take the urgent event"
    finally:
        loop.put(Stop())
        loop.join(10)
    assert recorder.names == ["last", "Stop"]
    assert recorder.idle >= 1


def test_a_failing_urgent_handler_is_logged_and_the_loop_goes_on(caplog):
    recorder = Recorder()
    loop = EventLoop(SystemClock(), recorder.dispatch, max_wait=30.0)

    def fail() -> None:
        raise RuntimeError("bug")
    recorder.then["bad"] = fail
    loop.start()
    try:
        loop.put(Named("bad"), urgent=True)
        loop.put(Named("last"))
        assert recorder.done.wait(10), "the loop stopped after a failing urgent handler"
    finally:
        loop.put(Stop())
        loop.join(10)
    assert recorder.names[:2] == ["bad", "last"]
    assert "dispatch_failed event=Named" in caplog.text


def test_framework_submit_urgent_runs_before_commands_already_queued():
    fw = Framework("fw", [ListPlugin(keys=[])], driver=FakeDriver(), store=MemoryStateStore(), clock=FakeClock())
    fw.start(thread=False)
    fw.step()
    order: list[str] = []
    first = fw.submit(lambda _: order.append("queued"))
    second = fw.submit(lambda _: order.append("urgent"), urgent=True)
    fw.step()
    assert first.done() and second.done()
    assert order == ["urgent", "queued"]
