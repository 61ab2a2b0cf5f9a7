"""The Ticker steps deployments when a status update asks for it, not only every `interval`."""
from __future__ import annotations

import threading
from concurrent.futures import Future

from schedulers.longrun.server import Ticker


class FakeService:
    def __init__(self, leading: bool = True) -> None:
        self.leading = leading
        self.stepping = threading.Event()
        self.ticks = 0
        self.ticked = threading.Event()

    def tick(self) -> None:
        self.ticks += 1
        self.ticked.set()


class InlineFramework:
    def __init__(self) -> None:
        self.urgent: list[bool] = []

    def submit(self, fn, urgent=False):
        self.urgent.append(urgent)
        future: Future = Future()
        future.set_result(fn(self))
        return future


def test_a_status_update_gets_an_urgent_tick_long_before_the_interval():
    service, framework = FakeService(), InlineFramework()
    ticker = Ticker(service, framework, interval=3600.0, gap=0.0).start()
    try:
        service.stepping.set()
        assert service.ticked.wait(10.0), "no tick although stepping was set"
        assert not service.stepping.is_set()        # consumed: the next tick waits for the next update
    finally:
        ticker.stop()
    assert service.ticks >= 1
    assert framework.urgent and all(framework.urgent)  # ahead of the updates queued in the core's inbox


def test_no_tick_while_not_leading_and_stop_is_prompt():
    service = FakeService(leading=False)
    ticker = Ticker(service, InlineFramework(), interval=3600.0, gap=0.0).start()
    service.stepping.set()
    ticker.stop()                                    # would hang for the interval if stop did not wake it
    assert not ticker._thread.is_alive()
    assert service.ticks == 0
