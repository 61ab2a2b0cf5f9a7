"""Health-check kills, replace-before-kill, launch backoff, unreachable strategy."""
from __future__ import annotations

import pytest

from schedulers.longrun.backoff import BackoffPolicy, counts_as_failure, effective, may_launch, record_failure
from schedulers.longrun.health import HealthRecord, plan_unhealthy_kills, record_result
from schedulers.longrun.spec import HealthCheck, UnreachableStrategy
from schedulers.longrun.unreachable import UnreachableAction, next_unreachable_deadline, unreachable_action


def run_checks(check: HealthCheck, results: list[tuple[float, bool]]) -> list[bool]:
    record, kills = HealthRecord(started_at=0.0), []
    for now, ok in results:
        record, kill = record_result(record, check, ok, now)
        kills.append(kill)
    return kills


@pytest.mark.parametrize("check, results, kills", [
    # three consecutive failures after the grace period kill
    (HealthCheck(gracePeriodSeconds=10, maxConsecutiveFailures=3),
     [(11, False), (12, False), (13, False)], [False, False, True]),
    # a success in between resets the count
    (HealthCheck(gracePeriodSeconds=0, maxConsecutiveFailures=2),
     [(1, False), (2, True), (3, False), (4, False)], [False, False, False, True]),
    # failures inside the grace period (before any success) do not count
    (HealthCheck(gracePeriodSeconds=100, maxConsecutiveFailures=1), [(5, False), (50, False)], [False, False]),
    # after a first success the grace period no longer protects
    (HealthCheck(gracePeriodSeconds=100, maxConsecutiveFailures=1), [(5, True), (6, False)], [False, True]),
    # 0 failures: never kill for a scheduler-side check ...
    (HealthCheck(protocol="TCP", gracePeriodSeconds=0, maxConsecutiveFailures=0), [(1, False), (2, False)],
     [False, False]),
    # ... and kill at once for an agent-side one
    (HealthCheck(protocol="MESOS_TCP", gracePeriodSeconds=0, maxConsecutiveFailures=0), [(1, False)], [True]),
])
def test_health_kills(check, results, kills):
    assert run_checks(check, results) == kills


@pytest.mark.parametrize("target, max_oc, active, healthy, pending, unhealthy, expected", [
    # room for a replacement: start one, keep the unhealthy one until it is replaced
    (3, 1.0, 3, 2, 0, ["x"], (1, (), ("x",))),
    # replacement already pending: wait
    (3, 1.0, 4, 2, 1, ["x"], (0, (), ("x",))),
    # replacement healthy (healthy back at target): kill
    (3, 1.0, 4, 3, 1, ["x"], (0, ("x",), ())),
    # no room (maxOverCapacity 0): kill at once
    (3, 0.0, 3, 2, 0, ["x"], (0, ("x",), ())),
    # room for one of two
    (2, 0.5, 2, 0, 0, ["x", "y"], (1, ("y",), ("x",))),
])
def test_replace_before_kill(target, max_oc, active, healthy, pending, unhealthy, expected):
    d = plan_unhealthy_kills(target, max_oc, active, healthy, pending, unhealthy)
    assert (d.start, d.kill, d.wait) == expected


def delays(policy: BackoffPolicy, failures: list[tuple[float, str]]) -> list[float]:
    delay, out = None, []
    for now, version in failures:
        delay = record_failure(delay, policy, version, now)
        out.append(round(delay.current, 6))
    return out


@pytest.mark.parametrize("policy, failures, expected", [
    (BackoffPolicy(1.0, 2.0, 10.0), [(0, "v"), (1, "v"), (2, "v"), (3, "v"), (4, "v"), (5, "v")],
     [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]),
    (BackoffPolicy(1.0, 1.15, 300.0), [(0, "v"), (1, "v")], [1.0, 1.15]),
    # a new config version starts from scratch
    (BackoffPolicy(1.0, 2.0, 10.0), [(0, "v"), (1, "v"), (2, "w")], [1.0, 2.0, 1.0]),
    # a failure after last_failure + max_delay starts from scratch
    (BackoffPolicy(1.0, 2.0, 10.0), [(0, "v"), (1, "v"), (12, "v")], [1.0, 2.0, 1.0]),
    # backoffSeconds above the cap is capped
    (BackoffPolicy(20.0, 2.0, 10.0), [(0, "v")], [10.0]),
])
def test_backoff(policy, failures, expected):
    assert delays(policy, failures) == expected


def test_backoff_gates_launches_until_the_delay_passes():
    policy = BackoffPolicy(5.0, 2.0, 60.0)
    delay = record_failure(None, policy, "v", 100.0)
    assert not may_launch(delay, policy, "v", 104.0)
    assert may_launch(delay, policy, "v", 105.0)
    assert may_launch(delay, policy, "new-version", 101.0)
    assert effective(delay, policy, "v", 161.0) is None
    assert delay.time_left(103.0) == 2.0


@pytest.mark.parametrize("state, health_kill, counts", [
    ("TASK_FAILED", False, True), ("TASK_FINISHED", False, True), ("TASK_ERROR", False, True),
    ("TASK_KILLED", False, False), ("TASK_KILLED", True, True),
])
def test_what_counts_as_failure(state, health_kill, counts):
    assert counts_as_failure(state, health_kill) is counts


@pytest.mark.parametrize("strategy, gone_for, action, next_at", [
    (UnreachableStrategy(inactiveAfterSeconds=60, expungeAfterSeconds=600), 10, UnreachableAction.WAIT, 60),
    (UnreachableStrategy(inactiveAfterSeconds=60, expungeAfterSeconds=600), 60, UnreachableAction.REPLACE, 600),
    (UnreachableStrategy(inactiveAfterSeconds=60, expungeAfterSeconds=600), 600, UnreachableAction.EXPUNGE, None),
    (UnreachableStrategy(), 0, UnreachableAction.EXPUNGE, None),     # Marathon's default 0/0
    ("disabled", 1e6, UnreachableAction.WAIT, None),
])
def test_unreachable(strategy, gone_for, action, next_at):
    assert unreachable_action(0.0, gone_for, strategy) is action
    assert next_unreachable_deadline(0.0, gone_for, strategy) == next_at
