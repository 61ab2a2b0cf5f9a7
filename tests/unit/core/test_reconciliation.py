from __future__ import annotations

import pytest

from mesosframe.core import reconciliation as r
from mesosframe.core.effects import Reconcile

CFG = r.ReconcileConfig(base=1.0, cap=8.0, implicit_interval=900.0)
START = r.ReconcileState(config=CFG)
TASKS = [("t2", "a1"), ("t1", None)]


@pytest.mark.parametrize("attempt,delay", [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (4, 8.0), (50, 8.0)])
def test_truncated_exponential_backoff(attempt, delay):
    assert r.backoff(CFG, attempt) == delay


def test_subscribe_starts_explicit_reconciliation_of_known_tasks():
    state, effects = r.on_subscribed(START, TASKS, now=100.0)
    assert state.phase is r.Phase.EXPLICIT and state.next_at == 101.0
    assert effects == [Reconcile((("t1", None), ("t2", "a1")))]


def test_subscribe_without_tasks_does_implicit_and_goes_idle():
    state, effects = r.on_subscribed(START, [], now=100.0)
    assert state.phase is r.Phase.IDLE and effects == [Reconcile(())]
    assert state.next_at == 1000.0


def test_retries_with_backoff_until_every_task_is_fresh():
    state, _ = r.on_subscribed(START, TASKS, now=0.0)
    fired = []
    now = 0.0
    for _ in range(6):
        now = state.next_at
        state, effects = r.on_timer(state, now)
        fired.append((now, effects[0].tasks))
    assert [t for t, _ in fired] == [1.0, 3.0, 7.0, 15.0, 23.0, 31.0]
    state, _ = r.on_status(state, "t1", now)
    state, effects = r.on_timer(state, state.next_at, answered={"t1"}.__contains__)
    assert effects == [Reconcile((("t2", "a1"),))] and state.waiting == 1
    state, _ = r.on_status(state, "t2", 50.0)
    assert state.phase is r.Phase.IDLE and state.pending == frozenset() and state.next_at == 950.0


@pytest.mark.parametrize("statuses,phase,waiting", [
    # (task id, first status of it since reconciliation started) in arrival order
    ([("t1", True)], r.Phase.EXPLICIT, 1),
    ([("t1", True), ("t1", False), ("t1", False)], r.Phase.EXPLICIT, 1),     # repeats are not answers
    ([("t1", True), ("t2", True)], r.Phase.IDLE, 0),
    ([("other", True), ("t2", True)], r.Phase.EXPLICIT, 1),                   # a task not asked about
    ([("t2", False), ("t1", True)], r.Phase.EXPLICIT, 1),
])
def test_each_task_counts_once(statuses, phase, waiting):
    state, _ = r.on_subscribed(START, TASKS, now=0.0)
    for task_id, first in statuses:
        state, effects = r.on_status(state, task_id, 1.0, first)
        assert effects == []
    assert (state.phase, state.waiting) == (phase, waiting)


def test_a_retry_finding_every_task_answered_goes_idle_without_asking():
    state, _ = r.on_subscribed(START, TASKS, now=0.0)
    state, _ = r.on_status(state, "t1", 0.5, first=False)    # counted as not first: the count is off by one
    state, effects = r.on_timer(state, 1.0, answered=lambda task_id: True)
    assert effects == [] and state.phase is r.Phase.IDLE and state.next_at == 901.0


def test_ten_thousand_answers_cost_no_copies_of_the_pending_set():
    tasks = [(f"t{i}", "a") for i in range(10_000)]
    state, _ = r.on_subscribed(START, tasks, now=0.0)
    pending = state.pending
    for task_id, _ in tasks[:-1]:
        state, _ = r.on_status(state, task_id, 1.0)
        assert state.pending is pending            # shared, not rebuilt per status
    state, _ = r.on_status(state, tasks[-1][0], 1.0)
    assert state.phase is r.Phase.IDLE


def test_timer_before_deadline_does_nothing():
    state, _ = r.on_subscribed(START, TASKS, now=0.0)
    assert r.on_timer(state, 0.5) == (state, [])


def test_idle_does_periodic_implicit_reconciliation():
    state, _ = r.on_subscribed(START, [], now=0.0)
    state, effects = r.on_timer(state, 900.0)
    assert effects == [Reconcile(())] and state.next_at == 1800.0


def test_unrelated_status_and_disconnect():
    state, _ = r.on_subscribed(START, TASKS, now=0.0)
    assert r.on_status(state, "other", 1.0)[0] == state
    stopped = r.on_disconnected(state)
    assert stopped.phase is r.Phase.STOPPED and r.on_timer(stopped, 1e9) == (stopped, [])
