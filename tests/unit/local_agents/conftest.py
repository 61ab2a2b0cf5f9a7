"""Fixtures for the local agents' unit tests: a fake event loop driven by a FakeClock."""
from __future__ import annotations

import heapq
import itertools

import pytest

from mesosframe.core.clock import FakeClock
from mesosframe.local.agents.recording import RecordingMaster


class FakeHandle:
    __slots__ = ("when", "fn", "args", "cancelled")

    def __init__(self, when, fn, args):
        self.when, self.fn, self.args, self.cancelled = when, fn, args, False

    def cancel(self):
        self.cancelled = True


class FakeLoop:
    """The part of an asyncio loop the agents use for timers, moved by `advance()` on a FakeClock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._heap: list = []
        self._seq = itertools.count()

    def call_later(self, delay, fn, *args):
        handle = FakeHandle(self.clock.monotonic() + delay, fn, args)
        heapq.heappush(self._heap, (handle.when, next(self._seq), handle))
        return handle

    def call_soon(self, fn, *args):
        return self.call_later(0, fn, *args)

    def pending(self) -> int:
        return sum(1 for _, _, h in self._heap if not h.cancelled)

    def advance(self, seconds: float) -> None:
        """Move time forward, running each timer at its due time, in order."""
        end = self.clock.monotonic() + seconds
        while self._heap and self._heap[0][0] <= end:
            when, _, handle = heapq.heappop(self._heap)
            if handle.cancelled:
                continue
            self.clock.advance(max(0.0, when - self.clock.monotonic()))
            handle.fn(*handle.args)
        self.clock.advance(end - self.clock.monotonic())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def loop(clock) -> FakeLoop:
    return FakeLoop(clock)


@pytest.fixture
def master() -> RecordingMaster:
    return RecordingMaster()
