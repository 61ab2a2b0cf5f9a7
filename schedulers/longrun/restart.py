"""The rolling restart (PURE): how many new instances to start and which old ones to kill, step by step.

Bounds, as Marathon's TaskReplaceActor computes them (float arithmetic, so 100 * 0.07 needs 8 healthy, as there):
    min_healthy  = ceil(instances * minimumHealthCapacity)
    max_capacity = floor(instances * (1 + maximumOverCapacity))
    if min_healthy == max_capacity <= running: max_capacity += 1      (one extra so that a restart can move)

One deliberate difference: the extra instance is also allowed when min_healthy == max_capacity and the app runs
fewer instances than that. Marathon then has to dip below the minimum (or stall, complaint #3546); here neither
happens. Marathon also kills `running - min_healthy` instances at once whatever their health; here a kill never
takes the healthy count below min_healthy (unless it was below already), which is what it promises.

`restart_step` is called after every change (launch, health, terminal). It is a function of the observed counts
only, so a new leader can resume a restart from the instances it finds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Sequence


@dataclass(frozen=True)
class RestartStrategy:
    """The bounds of one restart; `kill_immediately` is Marathon's `nrToKillImmediately`, for reference."""

    min_healthy: int
    max_capacity: int
    kill_immediately: int


class InstanceView(NamedTuple):
    """An active instance: `healthy` means healthy and ready; `killing` means a kill was sent, not yet terminal.
    (A named tuple: a restart step builds one per instance, so it must be cheap to make.)"""

    id: str
    healthy: bool
    killing: bool = False


@dataclass(frozen=True)
class RestartStep:
    """What to do now: queue `start` new instances, kill `kill` (old instance ids); `done` ends the restart."""

    start: int
    kill: tuple[str, ...]
    done: bool


def restart_strategy(instances: int, minimum_health_capacity: float, maximum_over_capacity: float,
                     running: int) -> RestartStrategy:
    """The bounds for restarting an app of `instances` target instances with `running` active old instances."""
    if instances < 0 or running < 0:
        raise ValueError("instance counts must not be negative")
    min_healthy = math.ceil(instances * minimum_health_capacity)
    max_capacity = int(instances * (1 + maximum_over_capacity))
    if min_healthy == max_capacity and instances > 0:
        max_capacity += 1
    return RestartStrategy(min_healthy, max_capacity, max(0, running - min_healthy))


def restart_step(strategy: RestartStrategy, target: int, old: Sequence[InstanceView],
                 new: Sequence[InstanceView], queued: int) -> RestartStep:
    """Decide the next moves of a restart.

    `old` are active instances of previous versions, in kill order (the caller orders them by killSelection);
    `new` are active launched instances of the target version; `queued` new launches not yet running.
    Guarantees: the kills never take the healthy count (healthy, not-killing old plus healthy new) below
    `min(min_healthy, healthy now)`; the starts never take the total (old incl. killing + new + queued)
    above `max(max_capacity, total now)`. Unhealthy old instances are killed first, and only when their
    capacity blocks the next start or the new version is complete, so that they are replaced before they are killed.
    """
    healthy_new = sum(1 for i in new if i.healthy)
    healthy = healthy_new + sum(1 for i in old if i.healthy and not i.killing)
    live_old = [i for i in old if not i.killing]
    started = len(new) + queued
    remaining = max(0, target - started)
    kills: list[str] = []

    for instance in live_old:
        if instance.healthy and healthy - 1 >= strategy.min_healthy:
            kills.append(instance.id)
            healthy -= 1
    room = max(0, strategy.max_capacity - len(old) - started)
    unhealthy_old = [i.id for i in live_old if not i.healthy]
    if healthy_new >= target:
        kills.extend(unhealthy_old)
    elif room == 0 and remaining > 0:
        kills.extend(unhealthy_old[:remaining])
    start = min(remaining, room)
    done = not old and healthy_new >= target and started >= target
    return RestartStep(start=start, kill=tuple(_unhealthy_first(kills, old)), done=done)


def _unhealthy_first(kills: list[str], old: Sequence[InstanceView]) -> list[str]:
    healthy = {i.id for i in old if i.healthy}
    return sorted(kills, key=lambda k: k in healthy)
