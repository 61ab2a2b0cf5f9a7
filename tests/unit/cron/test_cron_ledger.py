"""Exactly-once slot ledger: recovery table, CAS fencing, and "leader killed at any point" sequences."""
from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from mesosframe.errors import VersionConflictError
from mesosframe.state import MemoryStateStore
from schedulers.cron.engine import CronEngine
from schedulers.cron.job import Job
from schedulers.cron.ledger import SlotLedger, SlotTakenError, recover, run_from_json, run_to_json
from schedulers.cron.runs import KillTask, LaunchTask, Run, RunKind, RunPolicy, RunState, parse_task_id

T0 = 1_717_243_200.0  # 2024-06-01T12:00:00Z, a slot of the hourly job below
SLOT_MS = int(T0 * 1000)
TASK = f"ct:{SLOT_MS}:0:j"
POLICY = RunPolicy(retries=1, retry_delay=60)


def run_in(state: RunState, **changes) -> Run:
    task = {} if state is RunState.QUEUED else {"task_id": TASK, "started": T0}
    return dataclasses.replace(Run("j", SLOT_MS, state=state, **task), **changes)


@pytest.mark.parametrize("state, observed, now, deadline, expected_state, expected_effects", [
    (RunState.SUCCEEDED, None, T0 + 10, None, RunState.SUCCEEDED, []),
    (RunState.FAILED, "TASK_RUNNING", T0 + 10, None, RunState.FAILED, []),
    (RunState.QUEUED, None, T0 + 10, None, RunState.QUEUED, [LaunchTask("j:" + str(SLOT_MS), TASK, 0)]),
    (RunState.QUEUED, None, T0 + 10, 60, RunState.QUEUED, [LaunchTask("j:" + str(SLOT_MS), TASK, 0)]),
    (RunState.QUEUED, None, T0 + 100, 60, RunState.MISSED, []),
    (RunState.STARTING, None, T0 + 30, 60, RunState.STARTING, [LaunchTask("j:" + str(SLOT_MS), TASK, 0)]),
    (RunState.STARTING, None, T0 + 100, 60, RunState.MISSED, []),
    (RunState.STARTING, "TASK_RUNNING", T0 + 100, 60, RunState.RUNNING, []),
    (RunState.STARTING, "TASK_STAGING", T0 + 10, None, RunState.RUNNING, []),
    (RunState.STARTING, "TASK_FINISHED", T0 + 10, None, RunState.SUCCEEDED, ["outcome"]),
    (RunState.RUNNING, "TASK_RUNNING", T0 + 10, None, RunState.RUNNING, []),
    (RunState.RUNNING, None, T0 + 10, None, RunState.RETRY_WAIT, []),
    (RunState.RUNNING, "TASK_FAILED", T0 + 10, None, RunState.RETRY_WAIT, []),
    (RunState.RUNNING, "TASK_FINISHED", T0 + 10, None, RunState.SUCCEEDED, ["outcome"]),
])
def test_recovery_table(state, observed, now, deadline, expected_state, expected_effects):
    run, effects = recover(run_in(state), observed, now, POLICY, deadline)
    assert run.state is expected_state
    assert [e if isinstance(e, LaunchTask) else "outcome" for e in effects] == expected_effects


def test_recovery_resumes_a_due_retry_with_the_next_task_id():
    waiting = run_in(RunState.RETRY_WAIT, retry_at=T0 + 60)
    assert recover(waiting, None, T0 + 30, POLICY, None) == (waiting, [])
    run, effects = recover(waiting, None, T0 + 60, POLICY, None)
    assert run.state is RunState.QUEUED and effects == [LaunchTask(f"j:{SLOT_MS}", f"ct:{SLOT_MS}:1:j", 1)]


def test_run_records_round_trip():
    run = run_in(RunState.RUNNING, arguments=("-v",), kind=RunKind.MANUAL, agent="a1", coalesced=3)
    assert run_from_json(run_to_json(run)) == run


def test_a_slot_cannot_be_claimed_twice_and_a_stale_writer_is_fenced():
    store = MemoryStateStore()
    first, second = SlotLedger(store), SlotLedger(store)
    first.claim([run_in(RunState.QUEUED)])
    with pytest.raises(SlotTakenError):
        second.claim([run_in(RunState.QUEUED)])
    (loaded,) = second.load("j")
    second.save(dataclasses.replace(loaded, state=RunState.STARTING, task_id=TASK))
    with pytest.raises(VersionConflictError):
        first.save(run_in(RunState.STARTING))


class FakeMaster:
    """What Mesos would do with launches: a task id can be launched once; tasks run until finished."""

    def __init__(self) -> None:
        self.tasks: dict[str, str] = {}
        self.launches: Counter[str] = Counter()

    def launch(self, task_id: str) -> None:
        self.launches[task_id] += 1
        assert task_id not in self.tasks, f"task {task_id} launched twice"
        self.tasks[task_id] = "TASK_RUNNING"

    def finish(self, task_id: str) -> None:
        self.tasks[task_id] = "TASK_FINISHED"


def hourly_engine(store: MemoryStateStore, deadline: float | None) -> CronEngine:
    engine = CronEngine(store)
    engine.put_job(Job(name="j", command="true", schedule="R/2024-06-01T12:00:00Z/PT1H", concurrent=True,
                       startingDeadlineSeconds=deadline), T0 - 60)
    return engine


def carry_out(engine: CronEngine, master: FakeMaster, effects: list, now: float) -> None:
    for effect in effects:
        if isinstance(effect, LaunchTask):
            engine.launching(effect.run_id, effect.task_id, "agent-1", now)
            master.launch(effect.task_id)
        elif isinstance(effect, KillTask):
            master.tasks[effect.task_id] = "TASK_KILLED"


def leader_steps(engine: CronEngine, master: FakeMaster, now: float):
    """The first leader's work on the slot at `now`, one step per yield (a crash may come after any)."""
    (launch,) = engine.tick(now)
    yield "claimed"
    engine.launching(launch.run_id, launch.task_id, "agent-1", now)
    yield "persisted STARTING"
    master.launch(launch.task_id)
    yield "launched"
    engine.on_status(launch.task_id, "TASK_RUNNING", now + 1, "agent-1")
    yield "running persisted"
    master.finish(launch.task_id)
    yield "finished on agent"
    engine.on_status(launch.task_id, "TASK_FINISHED", now + 2, "agent-1")
    yield "finished persisted"


CRASH_POINTS = ["claimed", "persisted STARTING", "launched", "running persisted", "finished on agent",
                "finished persisted"]


@pytest.mark.parametrize("crash_after", CRASH_POINTS)
@pytest.mark.parametrize("finishes_while_down", [False, True])
@pytest.mark.parametrize("downtime, deadline", [(30, 1800), (5400, 7200), (5400, 600)])
def test_leader_killed_at_any_point(crash_after, finishes_while_down, downtime, deadline):
    store, master = MemoryStateStore(), FakeMaster()
    first = hourly_engine(store, deadline)
    for step in leader_steps(first, master, T0):
        if step == crash_after:
            break
    if finishes_while_down:
        for task_id, state in master.tasks.items():
            if state == "TASK_RUNNING":
                master.finish(task_id)

    now = T0 + downtime
    second = CronEngine(store)
    second.restore(now)
    observed = {task_id: master.tasks.get(task_id) for task_id in second.active_task_ids()}
    carry_out(second, master, second.recover(observed, now), now)
    carry_out(second, master, second.tick(now), now)
    for _ in range(3):  # drive everything to completion
        for task_id, state in list(master.tasks.items()):
            if state == "TASK_RUNNING":
                master.finish(task_id)
            carry_out(second, master, second.on_status(task_id, master.tasks[task_id], now + 5, "agent-1"), now + 5)

    # no slot twice: one task per slot, each launched once
    per_slot = Counter(parse_task_id(task_id)[1] for task_id in master.launches)
    assert all(count == 1 for count in master.launches.values())
    assert all(count == 1 for count in per_slot.values())
    # none lost within the deadline: every slot due by `now` ran, or is MISSED only if beyond the deadline
    states = {record.slot: record.state for record in second.history["j"]}
    for slot in (T0, T0 + 3600):
        if slot > now:
            continue
        launched = slot == T0 and crash_after not in ("claimed", "persisted STARTING")
        if launched or now - slot <= deadline:
            assert states.get(slot) == "SUCCEEDED", (slot, states)
        else:
            assert states.get(slot) == "MISSED", (slot, states)
    assert second.jobs["j"].successCount == sum(1 for s in states.values() if s == "SUCCEEDED")
    assert not second.runs


def test_a_queued_slot_found_beyond_its_deadline_after_failover_is_missed_not_run():
    store, master = MemoryStateStore(), FakeMaster()
    first = hourly_engine(store, 60)
    first.tick(T0)  # claimed, then the leader dies
    second = CronEngine(store)
    second.restore(T0 + 600)
    assert second.recover({}, T0 + 600) == []
    assert [r.state for r in second.history["j"]] == ["MISSED"]
    assert not master.launches
