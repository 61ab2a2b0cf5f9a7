"""Health-check results and the kills they cause (PURE).

Results of one instance's check fold into a `HealthRecord`. Failures inside the grace period (counted from
the task start, until the first success) do not count. After `maxConsecutiveFailures` consecutive failures the
instance is to be killed; `maxConsecutiveFailures == 0` means never for a scheduler-side check (HTTP, HTTPS,
TCP) and at the first failure for an agent-side one (COMMAND, MESOS_*), as Marathon documents.

`plan_unhealthy_kills` replaces an unhealthy instance before killing it when capacity allows (complaint #3318):
a replacement is launched first, and the unhealthy one is killed once enough healthy instances exist.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

from schedulers.longrun.spec import HealthCheck


@dataclass(frozen=True)
class HealthRecord:
    """What is known about one instance's health under one check."""

    started_at: float
    alive: bool | None = None
    consecutive_failures: int = 0
    first_success: float | None = None
    last_success: float | None = None
    last_failure: float | None = None
    last_failure_cause: str | None = None


def record_result(record: HealthRecord, check: HealthCheck, ok: bool, now: float,
                  cause: str | None = None) -> tuple[HealthRecord, bool]:
    """Fold one check result into the record; the flag says whether the instance is now to be killed."""
    if ok:
        return replace(record, alive=True, consecutive_failures=0, last_success=now,
                       first_success=record.first_success if record.first_success is not None else now), False
    in_grace = record.first_success is None and now - record.started_at < check.gracePeriodSeconds
    if in_grace:
        return replace(record, last_failure=now, last_failure_cause=cause), False
    failures = record.consecutive_failures + 1
    updated = replace(record, alive=False, consecutive_failures=failures, last_failure=now, last_failure_cause=cause)
    limit = check.maxConsecutiveFailures
    if limit == 0:
        return updated, check.runs_on_agent
    return updated, failures >= limit


@dataclass(frozen=True)
class UnhealthyKills:
    """`start` replacements to launch now, `kill` instances to kill now, `wait` unhealthy ones kept for now."""

    start: int
    kill: tuple[str, ...]
    wait: tuple[str, ...]


def plan_unhealthy_kills(target: int, maximum_over_capacity: float, active: int, healthy: int,
                         pending_replacements: int, unhealthy: Sequence[str]) -> UnhealthyKills:
    """Decide about instances whose checks said kill.

    `active` counts launched instances (including the unhealthy ones) plus queued launches; `healthy` the
    healthy ones; `pending_replacements` replacements already started for these. While the total stays within
    floor(target * (1 + maximumOverCapacity)), a replacement is started for each unhealthy instance without
    one; an unhealthy instance is killed once `healthy` reaches the target, or at once when no room is left.
    """
    max_capacity = int(target * (1 + maximum_over_capacity))
    room = max(0, max_capacity - active)
    need = max(0, len(unhealthy) - pending_replacements)
    start = min(need, room)
    if healthy >= target:
        return UnhealthyKills(start=0, kill=tuple(unhealthy), wait=())
    covered = pending_replacements + start
    kill = tuple(unhealthy[covered:])
    return UnhealthyKills(start=start, kill=kill, wait=tuple(unhealthy[:covered]))


def health_capacity(target: int, minimum_health_capacity: float) -> int:
    """Marathon's minimum healthy count, ceil(target * minimumHealthCapacity)."""
    return math.ceil(target * minimum_health_capacity)
