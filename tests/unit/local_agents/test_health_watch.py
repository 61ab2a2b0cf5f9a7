"""The agent's health-check glue: spec validation at launch, and HealthWatch driving a HealthTracker."""
from __future__ import annotations

import asyncio
from concurrent.futures import Executor, Future

import pytest

from executors.health import HealthCheckSpec, Verdict
from mesosframe.local.agents import checks
from mesosframe.local.agents.checks import HealthWatch, health_check_spec
from mesosframe.local.agents.launchers import LaunchRejected


@pytest.mark.parametrize("task, expected", [
    ({}, None),
    ({"health_check": {"type": "TCP", "tcp": {"port": 8080}}}, HealthCheckSpec("TCP", port=8080)),
    ({"health_check": {"type": "HTTP", "http": {"port": 80, "path": "/ping"}, "interval_seconds": 1,
                       "consecutive_failures": 2}},
     HealthCheckSpec("HTTP", port=80, path="/ping", interval=1, consecutive_failures=2)),
    ({"health_check": {"type": "COMMAND", "command": {"value": "exit 0"}, "delay_seconds": 0}},
     HealthCheckSpec("COMMAND", delay=0, command={"value": "exit 0"})),
])
def test_valid_health_checks_get_mesos_defaults(task, expected):
    assert health_check_spec(task) == expected


@pytest.mark.parametrize("check, says", [
    ({"type": "HTTP", "http": {"path": "/"}}, "port"),
    ({"type": "TCP"}, "tcp"),
    ({"type": "COMMAND", "command": {}}, "value"),
    ({"type": "GRPC"}, "GRPC"),
    ({"type": "TCP", "tcp": {"port": 1}, "interval_seconds": -1}, "non-negative"),
])
def test_invalid_health_checks_are_rejected_as_invalid_tasks(check, says):
    with pytest.raises(LaunchRejected) as caught:
        health_check_spec({"health_check": check})
    assert caught.value.reason == "REASON_TASK_INVALID"
    assert says in caught.value.message


class InlineExecutor(Executor):
    """Runs each submitted call at once on the calling thread (deterministic probes)."""

    def submit(self, fn, *args, **kwargs):
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def run_watch(monkeypatch, spec, outcomes, *, stop_after=None):
    """Run a HealthWatch whose probes return `outcomes` in order; the verdicts it reported."""
    results = iter(outcomes)
    monkeypatch.setattr(checks, "probe", lambda spec, env, cwd: next(results))
    verdicts: list[Verdict] = []
    loop = asyncio.new_event_loop()
    try:
        watch = HealthWatch(spec, verdicts.append, loop=loop, pool=InlineExecutor(), env={}, cwd="/")

        async def drive():
            watch.start()
            for _ in range(200):
                if not watch.running or (stop_after is not None and watch.probes >= stop_after):
                    break
                await asyncio.sleep(0)
            watch.stop()
            await asyncio.sleep(0)
        loop.run_until_complete(drive())
        assert not watch.running
        return verdicts, watch.probes
    finally:
        loop.close()


@pytest.mark.parametrize("outcomes, expected", [
    # failures in a row: each reported, the third kills and ends the watch
    ([False, False, False, True], [Verdict(True, False), Verdict(True, False), Verdict(True, False, kill=True)]),
    # only changes are reported: first success, the failure, the recovery
    ([True, True, False, True, True, True], [Verdict(True, True), Verdict(True, False), Verdict(True, True)]),
])
def test_watch_reports_what_the_tracker_decides(monkeypatch, outcomes, expected):
    spec = HealthCheckSpec("TCP", port=1, delay=0, interval=0, grace_period=0, consecutive_failures=3)
    verdicts, probes = run_watch(monkeypatch, spec, outcomes, stop_after=len(outcomes))
    assert verdicts == expected
    assert probes == (3 if expected[-1].kill else len(outcomes))


def test_failures_within_the_grace_period_are_not_reported(monkeypatch):
    spec = HealthCheckSpec("TCP", port=1, delay=0, interval=0, grace_period=3600, consecutive_failures=1)
    verdicts, probes = run_watch(monkeypatch, spec, [False] * 5 + [True], stop_after=6)
    assert probes == 6 and verdicts == [Verdict(True, True)]
