"""Launch backoff (PURE), as Marathon's RateLimiter.

The first failure delays the next launch by `backoffSeconds`; each further failure multiplies the delay by
`backoffFactor`, capped at `maxLaunchDelaySeconds`. The delay is keyed by the app's config version
(lastConfigChangeAt): a new config starts from scratch. It is also reset explicitly (`DELETE
/v2/queue/{app}/delay`, the start of a restart) and once `now > last_failure + maxLaunchDelaySeconds`.
FAILED, FINISHED, ERROR and health-check kills count as failures; KILLED does not (`counts_as_failure`).
"""
from __future__ import annotations

from dataclasses import dataclass

FAILURE_STATES = frozenset({"TASK_FAILED", "TASK_FINISHED", "TASK_ERROR"})


@dataclass(frozen=True)
class BackoffPolicy:
    backoff_seconds: float = 1.0
    factor: float = 1.15
    max_delay: float = 300.0


@dataclass(frozen=True)
class LaunchDelay:
    """The delay of one app under one config version: no launch before `launch_after`."""

    config_version: str
    current: float
    last_failure: float
    launch_after: float

    def time_left(self, now: float) -> float:
        return max(0.0, self.launch_after - now)

    def overdue(self, now: float) -> bool:
        return now >= self.launch_after


def counts_as_failure(state: str, health_kill: bool = False) -> bool:
    """True for terminal states that grow the delay (a kill for failed health checks counts too)."""
    return health_kill or state in FAILURE_STATES


def record_failure(delay: LaunchDelay | None, policy: BackoffPolicy, config_version: str,
                   now: float) -> LaunchDelay:
    """The delay after one more failure at `now`."""
    fresh = (delay is None or delay.config_version != config_version
             or now > delay.last_failure + policy.max_delay)
    current = policy.backoff_seconds if fresh else min(delay.current * policy.factor, policy.max_delay)
    current = min(current, policy.max_delay)
    return LaunchDelay(config_version, current, now, now + current)


def effective(delay: LaunchDelay | None, policy: BackoffPolicy, config_version: str,
              now: float) -> LaunchDelay | None:
    """The delay still in force at `now` for that config version, or None."""
    if delay is None or delay.config_version != config_version:
        return None
    if now > delay.last_failure + policy.max_delay:
        return None
    return delay


def may_launch(delay: LaunchDelay | None, policy: BackoffPolicy, config_version: str, now: float) -> bool:
    d = effective(delay, policy, config_version, now)
    return d is None or d.overdue(now)
