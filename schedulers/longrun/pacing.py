"""`TickPacing`: how often deployments may be stepped when the core loop goes idle.

A step (`MesosLongrunService.tick`) is O(instances). Stepped whenever the core's inbox drains, it would run
after nearly every status when statuses trickle in; paced, steps take at most 1 / (1 + factor) of the loop:
one may run once `factor` times the last step's cost has passed since it ended. Times are passed in.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TickPacing:
    factor: float = 3.0
    ended: float = float("-inf")
    spent: float = 0.0

    def ran(self, started: float, ended: float) -> None:
        """A step ran from `started` to `ended`."""
        self.spent, self.ended = max(0.0, ended - started), ended

    def allows(self, now: float) -> bool:
        """Whether a step may run at `now`."""
        return now - self.ended >= self.factor * self.spent
