"""Clocks. Pure code takes `now` as an argument; the loops that call it read the time from a Clock.

`SystemClock` reads the wall clock and a monotonic clock. `FakeClock` is moved by hand, for tests.
"""
from __future__ import annotations

import time


class Clock:
    """Source of time. `now()` is seconds since the epoch (float); `monotonic()` never goes back."""

    def now(self) -> float:
        raise NotImplementedError

    def monotonic(self) -> float:
        raise NotImplementedError


class SystemClock(Clock):
    """The real clock."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock(Clock):
    """A clock that moves only when `advance()` or `set()` is called."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._mono = 0.0

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._now += seconds
        self._mono += seconds

    def set(self, now: float) -> None:
        self.advance(now - self._now)
