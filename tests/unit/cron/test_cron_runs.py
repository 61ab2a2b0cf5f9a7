"""Run FSM, due-slot planning and concurrency admission (pure, table-driven)."""
from __future__ import annotations

import pytest

from schedulers.cron.job import ConcurrencyPolicy
from schedulers.cron.runs import (Admission, KillRequested, KillTask, Launched, LaunchTask, MarkedSuccess,
                                  RecordOutcome, Run, RunPolicy, RunState, RunTable, TaskUpdate, Tick, admit,
                                  apply, parse_task_id, plan_due, task_id_for)
from schedulers.cron.schedule import parse_schedule

T0 = 1_717_243_200.0  # 2024-06-01T12:00:00Z
RUN = Run("job", 1_717_243_200_000)
TASK0 = "ct:1717243200000:0:job"
TASK1 = "ct:1717243200000:1:job"


def launched(task=TASK0):
    return Launched(task, "agent-1")


def update(state, task=TASK0):
    return TaskUpdate(task, state, "agent-1")


# (policy, events with times, expected final state, attempt, effect kinds in order)
CASES = [
    ("happy path", RunPolicy(), [(0, launched()), (1, update("TASK_RUNNING")), (5, update("TASK_FINISHED"))],
     RunState.SUCCEEDED, 0, ["outcome+children"]),
    ("retry then success", RunPolicy(retries=2, retry_delay=60),
     [(0, launched()), (1, update("TASK_FAILED")), (30, Tick()), (61, Tick()), (62, launched(TASK1)),
      (63, update("TASK_FINISHED", TASK1))],
     RunState.SUCCEEDED, 1, ["launch", "outcome+children"]),
    ("retries exhausted", RunPolicy(retries=1, retry_delay=10),
     [(0, launched()), (1, update("TASK_LOST")), (11, Tick()), (12, launched(TASK1)),
      (13, update("TASK_FAILED", TASK1))],
     RunState.FAILED, 1, ["launch", "outcome"]),
    ("retries=0 never retries", RunPolicy(retries=0), [(0, launched()), (1, update("TASK_FAILED"))],
     RunState.FAILED, 0, ["outcome"]),
    ("softError fires children on final failure", RunPolicy(retries=0, soft_error=True),
     [(0, launched()), (1, update("TASK_ERROR"))], RunState.FAILED, 0, ["outcome+children"]),
    ("TASK_KILLED is not retried", RunPolicy(retries=3), [(0, launched()), (1, update("TASK_KILLED"))],
     RunState.KILLED, 0, ["outcome"]),
    ("maxCompletionTime kills, then FAILED without retry", RunPolicy(retries=3, max_completion=100),
     [(0, launched()), (1, update("TASK_RUNNING")), (99, Tick()), (100, Tick()), (101, update("TASK_KILLED"))],
     RunState.FAILED, 0, ["kill", "outcome"]),
    ("kill while running", RunPolicy(retries=3), [(0, launched()), (1, update("TASK_RUNNING")), (2, KillRequested()),
                                                 (3, update("TASK_FAILED"))],
     RunState.KILLED, 0, ["kill", "outcome"]),
    ("kill before launch", RunPolicy(), [(0, KillRequested())], RunState.KILLED, 0, ["outcome"]),
    ("mark success while running", RunPolicy(), [(0, launched()), (1, MarkedSuccess())],
     RunState.SUCCEEDED, 0, ["kill", "outcome+children"]),
    ("updates for another task are ignored", RunPolicy(), [(0, launched()), (1, update("TASK_FINISHED", TASK1))],
     RunState.STARTING, 0, []),
    ("terminal runs ignore events", RunPolicy(), [(0, launched()), (1, update("TASK_FINISHED")),
                                                  (2, update("TASK_FAILED")), (3, KillRequested())],
     RunState.SUCCEEDED, 0, ["outcome+children"]),
]


def kinds(effects):
    out = []
    for effect in effects:
        if isinstance(effect, LaunchTask):
            out.append("launch")
        elif isinstance(effect, KillTask):
            out.append("kill")
        elif isinstance(effect, RecordOutcome):
            out.append("outcome+children" if effect.fire_children else "outcome")
    return out


@pytest.mark.parametrize("name, policy, events, state, attempt, effects", CASES, ids=[c[0] for c in CASES])
def test_run_fsm(name, policy, events, state, attempt, effects):
    run, produced = RUN, []
    for offset, event in events:
        run, out = apply(run, event, T0 + offset, policy)
        produced += out
    assert (run.state, run.attempt) == (state, attempt)
    assert kinds(produced) == effects


def test_retry_launch_uses_the_next_deterministic_task_id_and_records_times():
    policy = RunPolicy(retries=1, retry_delay=5)
    run, _ = apply(RUN, launched(), T0, policy)
    run, _ = apply(run, update("TASK_FAILED"), T0 + 1, policy)
    assert run.state is RunState.RETRY_WAIT and run.retry_at == T0 + 6
    run, effects = apply(run, Tick(), T0 + 6, policy)
    assert effects == [LaunchTask(RUN.run_id, TASK1, 1)]
    run, _ = apply(run, launched(TASK1), T0 + 7, policy)
    run, _ = apply(run, update("TASK_FINISHED", TASK1), T0 + 9, policy)
    assert (run.started, run.ended, run.agent) == (T0, T0 + 9, "agent-1")


@pytest.mark.parametrize("job, trigger, attempt, arguments, expected", [
    ("job", 1, 0, (), "ct:1:0:job"),
    ("a.b-c_d", 1717243200000, 2, (), "ct:1717243200000:2:a.b-c_d"),
    ("job", 5, 1, ("--x", "a:b"), "ct:5:1:job:--x ab"),
])
def test_task_ids_are_deterministic_and_parse_back(job, trigger, attempt, arguments, expected):
    assert task_id_for(job, trigger, attempt, arguments) == expected
    assert parse_task_id(expected) == (job, trigger, attempt)


@pytest.mark.parametrize("task_id", ["", "ct:x:0:job", "mesos-task", "ct:1:0:", "xx:1:0:job"])
def test_foreign_task_ids_do_not_parse(task_id):
    assert parse_task_id(task_id) is None


HOURLY = parse_schedule("R/2024-06-01T00:00:00Z/PT1H", None, T0)


@pytest.mark.parametrize("cursor, now, deadline, run, coalesced, missed", [
    # nothing due yet
    (T0, T0 + 10, None, None, 0, 0),
    # one slot due, on time
    (T0, T0 + 3600, None, T0 + 3600, 0, 0),
    # three slots missed, no deadline: the latest runs once, two coalesce (Chronos 3)
    (T0, T0 + 3 * 3600 + 5, None, T0 + 3 * 3600, 2, 0),
    # a deadline of 30 min: the latest (5 s late) runs, older ones are MISSED
    (T0, T0 + 3 * 3600 + 5, 1800, T0 + 3 * 3600, 0, 2),
    # a deadline of 2 h: the latest runs, one older slot coalesces, the oldest is MISSED
    (T0, T0 + 3 * 3600 + 5, 7200, T0 + 3 * 3600, 1, 1),
    # exactly at the deadline still runs
    (T0, T0 + 3600 + 1800, 1800, T0 + 3600, 0, 0),
    # beyond the deadline: everything is MISSED, nothing runs
    (T0, T0 + 3 * 3600 + 3000, 1800, None, 0, 3),
    # a new job with a past start (cursor None): one catch-up run of the latest slot
    (None, T0 + 1, None, T0, 12, 0),
])
def test_plan_due(cursor, now, deadline, run, coalesced, missed):
    plan = plan_due(HOURLY, cursor, now, deadline)
    assert plan.run == run
    assert (plan.coalesced_count, plan.missed_count) == (coalesced, missed)
    assert (len(plan.coalesced), len(plan.missed)) == (coalesced, missed)
    if run is not None or missed:
        assert plan.cursor == max([s for s in [run, *plan.missed] if s is not None])


@pytest.mark.parametrize("deadline, coalesced, missed", [(None, 12 * 3600, 0), (600, 600, 12 * 3600 - 600)])
def test_plan_due_keeps_only_a_bounded_list_of_old_slots(deadline, coalesced, missed):
    every_second = parse_schedule("R/2024-06-01T00:00:00Z/PT1S", None, T0)
    plan = plan_due(every_second, None, T0, deadline, keep=10)
    assert plan.run == T0
    assert (plan.coalesced_count, plan.missed_count) == (coalesced, missed)
    assert len(plan.coalesced) == 10 and len(plan.missed) == (10 if missed else 0)
    if missed:
        assert plan.missed[-1] == T0 - 601 and plan.coalesced[0] == T0 - 10


@pytest.mark.parametrize("policy, active, expected", [
    (ConcurrencyPolicy.FORBID, [], Admission.START),
    (ConcurrencyPolicy.FORBID, [RUN], Admission.SKIP),
    (ConcurrencyPolicy.ALLOW, [RUN], Admission.START),
    (ConcurrencyPolicy.REPLACE, [RUN], Admission.REPLACE),
    (ConcurrencyPolicy.REPLACE, [], Admission.START),
])
def test_admission(policy, active, expected):
    assert admit(policy, active) is expected


@pytest.mark.parametrize("steps,retry,deadline", [
    ([], None, None),
    ([("a", 30.0, None), ("b", 20.0, 50.0)], 20.0, 50.0),
    ([("a", 30.0, None), ("b", 20.0, None), ("b", None, 40.0)], 30.0, 40.0),     # b's retry replaced
    ([("a", 30.0, None), ("b", 20.0, None), ("b", None, None)], 30.0, None),
    ([("a", 30.0, None), ("b", 20.0, 10.0), ("-b", None, None)], 30.0, None),    # b removed
    ([("a", 30.0, None), ("-a", None, None), ("a", 30.0, None)], 30.0, None),    # removed and back, same time
    ([("a", 30.0, None), ("a", 35.0, None), ("a", 30.0, None)], 30.0, None),     # back to an earlier time
])
def test_run_table_knows_the_earliest_retry_and_deadline(steps, retry, deadline):
    table = RunTable()
    for name, retry_at, due in steps:
        if name.startswith("-"):
            table.pop(name[1:])
        else:
            table[name] = Run(name, 0, retry_at=retry_at, deadline=due)
    assert (table.earliest("retry_at"), table.earliest("deadline")) == (retry, deadline)
    expected = [r.retry_at for r in table.values() if r.retry_at is not None]
    assert table.earliest("retry_at") == (min(expected) if expected else None)
