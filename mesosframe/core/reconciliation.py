"""Reconciliation: a PURE state machine (no clocks, no I/O).

After every (re)subscribe, `on_subscribed(state, tasks, now)` starts EXPLICIT reconciliation of every known
non-terminal task; it is repeated with truncated exponential backoff (`base`, doubling, capped at `cap`)
until every such task has a fresh status (`on_status`). Then the machine is IDLE and asks for IMPLICIT
reconciliation every `implicit_interval` seconds. `on_timer(state, now, answered)` fires whatever is due; the
caller schedules its next wake-up at `state.next_at`. Effects are `Reconcile` values.

Which tasks have answered is the caller's knowledge (a task's record notes when its last status came): it
tells `on_status` whether a status is the task's first since `started_at`, and `on_timer` which tasks have
answered, so the machine only counts (each status costs O(1), not a copy of everything still pending).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from mesosframe.core.effects import Reconcile


class Phase(str, enum.Enum):
    STOPPED = "STOPPED"      # not subscribed
    EXPLICIT = "EXPLICIT"    # waiting for fresh statuses of `pending`
    IDLE = "IDLE"            # everything fresh; implicit reconciliation is periodic


@dataclass(frozen=True)
class ReconcileConfig:
    base: float = 1.0
    cap: float = 60.0
    implicit_interval: float = 900.0


@dataclass(frozen=True)
class ReconcileState:
    phase: Phase = Phase.STOPPED
    pending: frozenset[tuple[str, str | None]] = frozenset()    # (task id, agent id) asked about
    attempt: int = 0
    next_at: float | None = None
    started_at: float = 0.0
    config: ReconcileConfig = ReconcileConfig()
    asked: frozenset[str] = frozenset()      # the task ids of `pending` (kept for O(1) membership)
    waiting: int = 0                         # how many of them have not answered yet


Result = tuple[ReconcileState, list[Reconcile]]
Answered = Callable[[str], bool]


def backoff(config: ReconcileConfig, attempt: int) -> float:
    """Delay before retry number `attempt` (0-based): base * 2**attempt, at most cap."""
    return min(config.cap, config.base * (2 ** min(attempt, 32)))


def on_subscribed(state: ReconcileState, tasks: Iterable[tuple[str, str | None]], now: float) -> Result:
    """(Re)start explicit reconciliation of `tasks` ((task_id, agent_id) of every non-terminal task)."""
    pending = frozenset(tasks)
    if not pending:
        return _idle(state, now, started_at=now), [Reconcile(())]
    asked = frozenset(task_id for task_id, _ in pending)
    new = replace(state, phase=Phase.EXPLICIT, pending=pending, asked=asked, waiting=len(asked), attempt=0,
                  started_at=now, next_at=now + backoff(state.config, 0))
    return new, [Reconcile(tuple(sorted(pending, key=lambda t: t[0])))]


def on_status(state: ReconcileState, task_id: str, now: float, first: bool = True) -> Result:
    """A status of `task_id` arrived; `first`: its first since `state.started_at`. When every task asked about
    has answered, go IDLE."""
    if state.phase is not Phase.EXPLICIT or not first or task_id not in state.asked:
        return state, []
    if state.waiting > 1:
        return replace(state, waiting=state.waiting - 1), []
    return _idle(state, now), []


def on_forget(state: ReconcileState, task_id: str, now: float, first: bool = True) -> Result:
    """The task is no longer known (e.g. expunged); stop waiting for it (`first`: it had not answered)."""
    return on_status(state, task_id, now, first)


def _idle(state: ReconcileState, now: float, **changes) -> ReconcileState:
    return replace(state, phase=Phase.IDLE, pending=frozenset(), asked=frozenset(), waiting=0, attempt=0,
                   next_at=now + state.config.implicit_interval, **changes)


def on_timer(state: ReconcileState, now: float, answered: Answered = lambda task_id: False) -> Result:
    """Fire what is due at `now`: an explicit retry (with backoff) about the tasks that have not `answered`
    (IDLE if every one has, after all), or a periodic implicit reconciliation."""
    if state.next_at is None or now < state.next_at or state.phase is Phase.STOPPED:
        return state, []
    if state.phase is Phase.EXPLICIT:
        unanswered = tuple(sorted((t for t in state.pending if not answered(t[0])), key=lambda t: t[0]))
        if not unanswered:
            return _idle(state, now), []
        attempt = state.attempt + 1
        new = replace(state, attempt=attempt, waiting=len(unanswered), next_at=now + backoff(state.config, attempt))
        return new, [Reconcile(unanswered)]
    return replace(state, next_at=now + state.config.implicit_interval), [Reconcile(())]


def on_disconnected(state: ReconcileState) -> ReconcileState:
    """Not subscribed any more: nothing is sent until the next `on_subscribed`."""
    return replace(state, phase=Phase.STOPPED, next_at=None)
