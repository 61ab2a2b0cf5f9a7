"""Health check specs and the pure health tracker (Mesos health checker semantics)."""
from __future__ import annotations

import pytest

from executors.health import HealthCheckError, HealthCheckSpec, HealthTracker, Verdict


def test_defaults_are_mesos_defaults():
    spec = HealthCheckSpec.from_json({"type": "TCP", "tcp": {"port": 80}})
    assert (spec.delay, spec.interval, spec.timeout, spec.consecutive_failures, spec.grace_period) == \
        (15.0, 10.0, 20.0, 3, 10.0)


@pytest.mark.parametrize("check, path", [
    ({"type": "HTTP", "http": {"port": 80, "scheme": "ftp"}}, "health_check.http.scheme"),
    ({"type": "HTTP", "http": {"port": 80, "path": "health"}}, "health_check.http.path"),
    ({"type": "HTTP"}, "health_check.http"),
    ({"type": "TCP", "tcp": {}}, "health_check.tcp"),
    ({"type": "COMMAND", "command": {}}, "health_check.command"),
    ({"type": "DOCKER"}, "health_check.type"),
    ({}, "health_check.type"),
    ({"type": "TCP", "tcp": {"port": 1}, "interval_seconds": -1}, "health_check.interval"),
    ({"type": "TCP", "tcp": {"port": 1}, "consecutive_failures": -2}, "health_check.consecutive_failures"),
])
def test_invalid_checks(check, path):
    with pytest.raises(HealthCheckError) as err:
        HealthCheckSpec.from_json(check)
    assert err.value.path == path


def spec(grace: float = 10.0, failures: int = 3) -> HealthCheckSpec:
    return HealthCheckSpec("TCP", port=1, grace_period=grace, consecutive_failures=failures)


# (seconds since start, check passed) -> expected verdict
@pytest.mark.parametrize("name, grace, failures, results, verdicts", [
    ("failures in the grace period are ignored until the first success", 10.0, 3,
     [(1, False), (5, False), (6, True)],
     [Verdict(False, False), Verdict(False, False), Verdict(True, True)]),
    ("only the first success is reported", 10.0, 3,
     [(1, True), (2, True), (3, True)],
     [Verdict(True, True), Verdict(False, True), Verdict(False, True)]),
    ("after the first success the grace period no longer hides failures", 10.0, 3,
     [(1, True), (2, False)],
     [Verdict(True, True), Verdict(True, False)]),
    ("consecutive failures after the grace period kill", 1.0, 3,
     [(2, False), (3, False), (4, False)],
     [Verdict(True, False), Verdict(True, False), Verdict(True, False, kill=True)]),
    ("a success resets the count and is reported", 0.0, 2,
     [(1, False), (2, True), (3, False), (4, False)],
     [Verdict(True, False), Verdict(True, True), Verdict(True, False), Verdict(True, False, kill=True)]),
    ("zero grace: the first failure counts", 0.0, 1,
     [(0.5, False)],
     [Verdict(True, False, kill=True)]),
])
def test_tracker(name, grace, failures, results, verdicts):
    tracker = HealthTracker(spec(grace, failures), started_at=100.0)
    assert [tracker.observe(ok, 100.0 + at) for at, ok in results] == verdicts, name
