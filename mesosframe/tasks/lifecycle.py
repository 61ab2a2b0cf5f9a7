"""Task lifecycle: a PURE state machine over Mesos task states.

`TaskState` lists every Mesos `TaskState` (partition-aware ones included). `Goal` is the desired state,
kept apart from the observed state. `apply(record, event, now) -> (record, effects)` is the only way a
`TaskRecord` changes; it never raises for a stale or out-of-order update: such an update is ignored (the
record is returned unchanged) but is still acknowledged by the core.

Transition rules (`ALLOWED`): terminal states are final, except LOST and GONE_BY_OPERATOR, which Mesos may
bring back to RUNNING when a partitioned agent returns; a task never goes back from RUNNING to
STAGING/STARTING; UNREACHABLE and UNKNOWN may become anything but STAGING.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Union

from mesosframe.core.effects import Effect, KillTask, TaskEnded
from mesosframe.model.task import TaskRecord


class TaskState(str, enum.Enum):
    """Every Mesos TaskState, by its wire name minus the `TASK_` prefix."""

    STAGING = "STAGING"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    KILLING = "KILLING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"
    ERROR = "ERROR"
    LOST = "LOST"
    DROPPED = "DROPPED"
    UNREACHABLE = "UNREACHABLE"
    GONE = "GONE"
    GONE_BY_OPERATOR = "GONE_BY_OPERATOR"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def from_wire(cls, name: str) -> "TaskState":
        """`TASK_RUNNING` -> RUNNING; raises ValueError for an unknown name."""
        return cls(name[5:] if name.startswith("TASK_") else name)

    @property
    def wire(self) -> str:
        return f"TASK_{self.value}"

    @property
    def is_terminal(self) -> bool:
        """Terminal as Mesos's `isTerminalState` defines it."""
        return self in TERMINAL

    @property
    def is_success(self) -> bool:
        return self is TaskState.FINISHED


class Goal(str, enum.Enum):
    """What the owner of a task wants: keep it RUNNING (until it ends by itself) or STOPPED (killed)."""

    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


TERMINAL = frozenset({TaskState.FINISHED, TaskState.FAILED, TaskState.KILLED, TaskState.ERROR, TaskState.LOST,
                      TaskState.DROPPED, TaskState.GONE, TaskState.GONE_BY_OPERATOR})
_FINAL = TERMINAL - {TaskState.LOST, TaskState.GONE_BY_OPERATOR}
_ALL = frozenset(TaskState)

ALLOWED: dict[TaskState, frozenset[TaskState]] = {
    TaskState.STAGING: _ALL - {TaskState.STAGING},
    TaskState.STARTING: _ALL - {TaskState.STAGING, TaskState.STARTING},
    TaskState.RUNNING: _ALL - {TaskState.STAGING, TaskState.STARTING},
    TaskState.KILLING: _ALL - {TaskState.STAGING, TaskState.STARTING, TaskState.RUNNING},
    TaskState.UNREACHABLE: _ALL - {TaskState.STAGING, TaskState.UNREACHABLE},
    TaskState.UNKNOWN: _ALL - {TaskState.STAGING, TaskState.UNKNOWN},
    TaskState.LOST: frozenset({TaskState.RUNNING, TaskState.KILLING}) | _FINAL | {TaskState.GONE_BY_OPERATOR},
    TaskState.GONE_BY_OPERATOR: frozenset({TaskState.RUNNING, TaskState.KILLING}) | _FINAL,
    **{state: frozenset() for state in _FINAL},
}


@dataclass(frozen=True)
class StatusObserved:
    """A TaskStatus arrived (from an agent, the master, or reconciliation)."""

    state: TaskState
    agent_id: str | None = None
    healthy: bool | None = None
    reason: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class KillRequested:
    """The owner wants the task stopped."""


TaskEvent = Union[StatusObserved, KillRequested]


def can_transition(old: TaskState, new: TaskState) -> bool:
    """True when `old -> new` is a real change of state (RUNNING -> RUNNING health updates are handled apart)."""
    return new in ALLOWED[old]


def apply(record: TaskRecord, event: TaskEvent, now: float) -> tuple[TaskRecord, list[Effect]]:
    """The next record and the effects (kills, end notices) for `event` observed at `now`."""
    if isinstance(event, KillRequested):
        record = replace(record, goal=Goal.STOPPED.value)
        if TaskState(record.state).is_terminal:
            return record, []
        return record, [KillTask(record.task_id, record.agent_id)]
    if isinstance(event, StatusObserved):
        return _observe(record, event, now)
    raise TypeError(f"not a task event: {event!r}")


def _observe(record: TaskRecord, event: StatusObserved, now: float) -> tuple[TaskRecord, list[Effect]]:
    old = TaskState(record.state)
    new = event.state
    if new is old:
        # still alive although its goal is STOPPED (a kill lost, or decided while unsubscribed): kill it again
        again = ([KillTask(record.task_id, record.agent_id)]
                 if record.goal == Goal.STOPPED.value and not new.is_terminal and new is not TaskState.KILLING else [])
        if event.healthy is not None and event.healthy != record.healthy:
            return replace(record, healthy=event.healthy, reconciled_at=now), again
        return replace(record, reconciled_at=now), again
    if not can_transition(old, new):
        # Stale or impossible: keep what we know, but it still counts as a fresh answer for reconciliation.
        return replace(record, reconciled_at=now), []
    record = replace(record, state=new.value, updated_at=now, reconciled_at=now,
                     agent_id=event.agent_id or record.agent_id,
                     healthy=event.healthy if new is TaskState.RUNNING else None,
                     reason=event.reason, message=event.message)
    effects: list[Effect] = []
    if new.is_terminal:
        effects.append(TaskEnded(record.task_id, record.plugin, new.value))
    elif record.goal == Goal.STOPPED.value and new is not TaskState.KILLING:
        effects.append(KillTask(record.task_id, record.agent_id))
    return record, effects
