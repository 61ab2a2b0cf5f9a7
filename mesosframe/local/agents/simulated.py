"""SimulatedAgent: an agent that starts no processes, for scale tests (10,000 agents on one master).

Task behaviour comes from TaskInfo labels:
- `mesosframe.sim/duration` (seconds): the task ends after that long; absent = runs until killed.
- `mesosframe.sim/exit_code` (default 0): at the end, 0 -> TASK_FINISHED, else TASK_FAILED
  ("Command exited with status N").
- `mesosframe.sim/healthy` (`true`/`false`): reported as `healthy` on TASK_RUNNING.
- `mesosframe.sim/fail_after` (seconds): TASK_FAILED after that long (if earlier than `duration`).

A task goes straight to TASK_RUNNING (there is no executor start-up to report as TASK_STARTING). A kill
ends it at once: TASK_KILLING first when the framework has TASK_KILLING_STATE, then TASK_KILLED. Tasks with
an ExecutorInfo, a container or LAUNCH_GROUP are simulated the same way. Agents and tasks use `__slots__`,
heartbeats share one timer per interval (`HeartbeatPool`), and a task has a timer only if it ends by itself.
"""
from __future__ import annotations

import logging
from typing import Any

from mesosframe.core.clock import Clock
from mesosframe.errors import ValidationError
from mesosframe.local.agents.base import AgentTask, BaseAgent, has_capability, value_of
from mesosframe.local.protocol import AgentInfo, MasterPort

log = logging.getLogger("mesosframe.local.agents.simulated")

__all__ = ["SimulatedAgent", "SimulationLabelError", "LABEL_DURATION", "LABEL_EXIT_CODE", "LABEL_HEALTHY",
           "LABEL_FAIL_AFTER"]

LABEL_DURATION = "mesosframe.sim/duration"
LABEL_EXIT_CODE = "mesosframe.sim/exit_code"
LABEL_HEALTHY = "mesosframe.sim/healthy"
LABEL_FAIL_AFTER = "mesosframe.sim/fail_after"


class SimulationLabelError(ValidationError):
    """A `mesosframe.sim/...` label with a value that cannot be used."""


class _SimTask(AgentTask):
    __slots__ = ("timer",)

    def __init__(self, framework_id: str, task_id: str, task: dict) -> None:
        super().__init__(framework_id, task_id, task)
        self.timer: Any = None


class SimulatedAgent(BaseAgent):
    """An agent whose tasks are simulated from their labels (see the module docstring)."""

    __slots__ = ()

    def __init__(self, master: MasterPort, info: AgentInfo, *, loop: Any, clock: Clock,
                 heartbeat_interval: float = 5.0,
                 status_update_retry: tuple[float, float] = (10.0, 600.0)) -> None:
        info.kind = "simulated"
        super().__init__(master, info, loop=loop, clock=clock, heartbeat_interval=heartbeat_interval,
                         status_update_retry=status_update_retry)

    def launch_tasks(self, framework: dict, tasks: list[dict], executor: dict | None = None) -> None:
        framework_id = self._remember_framework(framework)
        for task in tasks:
            record = _SimTask(framework_id, value_of(task["task_id"]), task)
            self._tasks[(framework_id, record.task_id)] = record
            try:
                behaviour = _behaviour(task)
            except SimulationLabelError as exc:
                self._report(record, "TASK_FAILED", message=str(exc), reason="REASON_TASK_INVALID",
                             source="SOURCE_AGENT")
                continue
            duration, exit_code, healthy, fail_after = behaviour
            if healthy is None:
                self._report(record, "TASK_RUNNING")
            else:
                self._report(record, "TASK_RUNNING", healthy=healthy)
            if fail_after is not None and (duration is None or fail_after < duration):
                record.timer = self._loop.call_later(fail_after, self._end, record, 1)
            elif duration is not None:
                record.timer = self._loop.call_later(duration, self._end, record, exit_code)

    def kill_task(self, framework_id: str, task_id: str, kill_policy: dict | None = None) -> None:
        record = self._tasks.get((framework_id, task_id))
        if record is None or record.terminal or record.killing:
            return
        record.killing = True
        self._cancel_timer(record)
        if has_capability(self._frameworks.get(framework_id, {}), "TASK_KILLING_STATE"):
            self._report(record, "TASK_KILLING")
        self._report(record, "TASK_KILLED", message="Command terminated with signal Terminated")

    def _end(self, record: _SimTask, exit_code: int) -> None:
        record.timer = None
        if record.terminal or self._tasks.get((record.framework_id, record.task_id)) is not record:
            return
        message = f"Command exited with status {exit_code}"
        self._report(record, "TASK_FINISHED" if exit_code == 0 else "TASK_FAILED", message=message)

    def _terminate(self, record: AgentTask) -> None:
        self._cancel_timer(record)

    @staticmethod
    def _cancel_timer(record: AgentTask) -> None:
        timer = getattr(record, "timer", None)
        if timer is not None:
            timer.cancel()
            record.timer = None


def _behaviour(task: dict) -> tuple[float | None, int, bool | None, float | None]:
    """(duration, exit_code, healthy, fail_after) from the task's labels."""
    labels = {label.get("key"): label.get("value", "") for label in task.get("labels", {}).get("labels", ())
              if isinstance(label, dict)}
    if not labels:
        return None, 0, None, None
    duration = _seconds(labels, LABEL_DURATION)
    fail_after = _seconds(labels, LABEL_FAIL_AFTER)
    exit_code = 0
    if LABEL_EXIT_CODE in labels:
        try:
            exit_code = int(labels[LABEL_EXIT_CODE])
        except ValueError:
            raise SimulationLabelError(f"{labels[LABEL_EXIT_CODE]!r} is not an integer",
                                       path=f"labels.{LABEL_EXIT_CODE}") from None
    healthy = None
    if LABEL_HEALTHY in labels:
        text = labels[LABEL_HEALTHY].strip().lower()
        if text not in ("true", "false"):
            raise SimulationLabelError(f"{labels[LABEL_HEALTHY]!r} is not true or false",
                                       path=f"labels.{LABEL_HEALTHY}")
        healthy = text == "true"
    return duration, exit_code, healthy, fail_after


def _seconds(labels: dict[str, str], key: str) -> float | None:
    if key not in labels:
        return None
    try:
        seconds = float(labels[key])
    except ValueError:
        raise SimulationLabelError(f"{labels[key]!r} is not a number of seconds", path=f"labels.{key}") from None
    if not seconds >= 0:
        raise SimulationLabelError(f"{labels[key]!r} must not be negative", path=f"labels.{key}")
    return seconds
