"""Mesos-native health checks (TaskInfo.health_check) for tasks a ProcessAgent runs itself.

Real Mesos runs every command task under the command executor, which probes the task and reports the
results. A ProcessAgent runs command tasks directly, so it checks them itself, with the same pure parts the
bundled executors use (`executors.health`: `HealthCheckSpec`, `HealthTracker`, `probe`); nothing of their
logic is repeated here. What a ProcessAgent reports: TASK_RUNNING with `healthy` and
REASON_TASK_HEALTH_CHECK_STATUS_UPDATED on the first success, on every failure after the grace period and on
the first success after failures; after `consecutive_failures` failures in a row, the task is killed as a
kill call would (TASK_KILLING if wanted, the task's kill policy) and ends TASK_KILLED with `healthy: false`
(any end of a task whose last check failed carries `healthy: false`). Checks stop when a kill starts. An
invalid health check fails the task at launch (TASK_FAILED, REASON_TASK_INVALID).

Not done: `check` (CheckInfo; no `check_status` is reported, nor by the bundled executors); COMMAND checks
run on the host as the agent's user (Mesos runs them inside the task's container, as the task's user).

Why not run such tasks under the bundled command executor (`python -m executors.command`) through the
agent's ExecutorHost, as Mesos does: each task would cost a Python process (about 1 s to import pymesos and
the executor on a shared 2-core machine), and the executor host path has no URI fetching, no `user`, no
container images, and reports an executor's exit as a custom executor's (TASK_LOST, FAILURE to the
scheduler) where Mesos's agent reports neither for command executors. Checking in the agent keeps all of
the direct path's behaviour.

- `health_check_spec(task)`: the task's `HealthCheckSpec`, None without a `health_check`; an invalid one
  raises `LaunchRejected` (REASON_TASK_INVALID), as the command executor refuses it.
- `HealthWatch`: one task's checks on the agent's loop: wait `delay`, then probe every `interval` (after the
  previous probe ended) on a thread of the given pool, feed each result to a `HealthTracker` with the loop's
  time, and call `on_verdict(verdict)` for each verdict that reports; it ends by itself after a verdict that
  kills. Probes target 127.0.0.1, so HTTP and TCP checks also reach container tasks (they share the host's
  network namespace); COMMAND checks run on the host in the task's sandbox, as the agent's user.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import pathlib
from concurrent.futures import Executor
from typing import Any, Callable, Mapping

from executors.health import HealthCheckError, HealthCheckSpec, HealthTracker, Verdict, probe
from mesosframe.local.agents.launchers import LaunchRejected

log = logging.getLogger("mesosframe.local.agents.checks")

__all__ = ["HealthWatch", "health_check_spec", "HEALTH_REASON"]

HEALTH_REASON = "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"


def health_check_spec(task: dict) -> HealthCheckSpec | None:
    """The task's health check with Mesos's defaults filled in; None if it has none.
    Raises LaunchRejected(REASON_TASK_INVALID) for a health check Mesos would refuse."""
    check = task.get("health_check")
    if not check:
        return None
    try:
        return HealthCheckSpec.from_json(check)
    except HealthCheckError as exc:
        raise LaunchRejected("REASON_TASK_INVALID", f"Task's health check is invalid: {exc}") from None


class HealthWatch:
    """Runs one task's health checks (see the module docstring). `start()` once; `stop()` is idempotent and
    drops the result of a probe still in flight."""

    def __init__(self, spec: HealthCheckSpec, on_verdict: Callable[[Verdict], None], *, loop: Any,
                 pool: Executor | None, env: Mapping[str, str], cwd: pathlib.Path, name: str = "") -> None:
        self.spec = spec
        self._on_verdict = on_verdict
        self._loop = loop
        self._pool = pool
        self._env = dict(env)
        self._cwd = str(cwd)
        self._name = name
        self._runner: asyncio.Task | None = None
        self.probes = 0      # probes completed, for tests and logs

    @property
    def running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    def start(self) -> None:
        """Begin checking now: the grace period counts from here (the task's start)."""
        tracker = HealthTracker(self.spec, self._loop.time())
        self._runner = self._loop.create_task(self._run(tracker))

    def stop(self) -> None:
        if self._runner is not None and not self._runner.done():
            self._runner.cancel()

    async def _run(self, tracker: HealthTracker) -> None:
        check = functools.partial(probe, self.spec, env=self._env, cwd=self._cwd)
        await asyncio.sleep(self.spec.delay)
        while True:
            ok = await self._loop.run_in_executor(self._pool, check)
            self.probes += 1
            verdict = tracker.observe(ok, self._loop.time())
            if verdict.report:
                log.info("health_check task=%s kind=%s healthy=%s failures=%d", self._name, self.spec.kind,
                         verdict.healthy, tracker.failures)
                self._on_verdict(verdict)
            if verdict.kill:
                return
            await asyncio.sleep(self.spec.interval)
