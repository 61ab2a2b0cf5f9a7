"""Reconciliation: a PURE state machine (no clocks, no I/O).

After every (re)subscribe, `on_subscribed(state, tasks, now)` starts EXPLICIT reconciliation of every known
non-terminal task; it is repeated with truncated exponential backoff (`base`, doubling, capped at `cap`)
until every such task has a fresh status (`on_status`). Then the machine is IDLE and asks for IMPLICIT
reconciliation every `implicit_interval` seconds. `on_timer(state, now)` fires whatever is due; the caller
schedules its next wake-up at `state.next_at`. Effects are `Reconcile` values.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Iterable

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
    pending: frozenset[tuple[str, str | None]] = frozenset()
    attempt: int = 0
    next_at: float | None = None
    started_at: float = 0.0
    config: ReconcileConfig = ReconcileConfig()

    @property
    def pending_ids(self) -> frozenset[str]:
        return frozenset(task_id for task_id, _ in self.pending)


Result = tuple[ReconcileState, list[Reconcile]]


def backoff(config: ReconcileConfig, attempt: int) -> float:
    """Delay before retry number `attempt` (0-based): base * 2**attempt, at most cap."""
    return min(config.cap, config.base * (2 ** min(attempt, 32)))


def on_subscribed(state: ReconcileState, tasks: Iterable[tuple[str, str | None]], now: float) -> Result:
    """(Re)start explicit reconciliation of `tasks` ((task_id, agent_id) of every non-terminal task)."""
    pending = frozenset(tasks)
    if not pending:
        idle = replace(state, phase=Phase.IDLE, pending=frozenset(), attempt=0, started_at=now,
                       next_at=now + state.config.implicit_interval)
        return idle, [Reconcile(())]
    new = replace(state, phase=Phase.EXPLICIT, pending=pending, attempt=0, started_at=now,
                  next_at=now + backoff(state.config, 0))
    return new, [Reconcile(tuple(sorted(pending, key=lambda t: t[0])))]


def on_status(state: ReconcileState, task_id: str, now: float) -> Result:
    """A fresh status of `task_id` arrived; when nothing is pending any more, go IDLE."""
    if state.phase is not Phase.EXPLICIT:
        return state, []
    pending = frozenset(t for t in state.pending if t[0] != task_id)
    if pending == state.pending:
        return state, []
    if pending:
        return replace(state, pending=pending), []
    return replace(state, phase=Phase.IDLE, pending=pending, attempt=0,
                   next_at=now + state.config.implicit_interval), []


def on_forget(state: ReconcileState, task_id: str, now: float) -> Result:
    """The task is no longer known (e.g. expunged); stop waiting for it."""
    return on_status(state, task_id, now)


def on_timer(state: ReconcileState, now: float) -> Result:
    """Fire what is due at `now`: an explicit retry (with backoff) or a periodic implicit reconciliation."""
    if state.next_at is None or now < state.next_at or state.phase is Phase.STOPPED:
        return state, []
    if state.phase is Phase.EXPLICIT:
        attempt = state.attempt + 1
        new = replace(state, attempt=attempt, next_at=now + backoff(state.config, attempt))
        return new, [Reconcile(tuple(sorted(state.pending, key=lambda t: t[0])))]
    return replace(state, next_at=now + state.config.implicit_interval), [Reconcile(())]


def on_disconnected(state: ReconcileState) -> ReconcileState:
    """Not subscribed any more: nothing is sent until the next `on_subscribed`."""
    return replace(state, phase=Phase.STOPPED, next_at=None)
