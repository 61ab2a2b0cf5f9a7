"""Test doubles for the master's unit tests: a virtual-time loop and a recording event sink."""
from __future__ import annotations

import heapq
import itertools

from mesosframe.core.clock import FakeClock


class FakeHandle:
    __slots__ = ("when", "fn", "args", "cancelled")

    def __init__(self, when: float, fn, args) -> None:
        self.when, self.fn, self.args, self.cancelled = when, fn, args, False

    def cancel(self) -> None:
        self.cancelled = True


class FakeLoop:
    """`call_soon` / `call_later` on a FakeClock; `run()` runs what is due, `advance(s)` moves time."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._heap: list = []
        self._seq = itertools.count()

    def call_soon(self, fn, *args) -> FakeHandle:
        return self.call_later(0, fn, *args)

    def call_later(self, delay: float, fn, *args) -> FakeHandle:
        handle = FakeHandle(self.clock.monotonic() + max(0.0, delay), fn, args)
        heapq.heappush(self._heap, (handle.when, next(self._seq), handle))
        return handle

    def time(self) -> float:
        return self.clock.monotonic()

    def run(self) -> None:
        """Run every callback due now (including ones they schedule for now)."""
        while self._heap and self._heap[0][0] <= self.clock.monotonic():
            _, _, handle = heapq.heappop(self._heap)
            if not handle.cancelled:
                handle.fn(*handle.args)

    def advance(self, seconds: float, step: float = 0.05) -> None:
        """Move time forward in small steps, running timers as they come due."""
        self.run()
        end = self.clock.monotonic() + seconds
        while self.clock.monotonic() < end - 1e-9:
            self.clock.advance(min(step, end - self.clock.monotonic()))
            self.run()


class RecordingSink:
    """An EventSink that keeps every event."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.closed = False

    def send(self, event: dict) -> None:
        assert not self.closed, "event sent after close"
        self.events.append(event)

    def close(self) -> None:
        self.closed = True

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]

    def statuses(self) -> list[dict]:
        return [e["update"]["status"] for e in self.of("UPDATE")]

    def offers(self) -> list[dict]:
        return [o for e in self.of("OFFERS") for o in e["offers"]["offers"]]

    def take(self) -> list[dict]:
        out, self.events = self.events, []
        return out
