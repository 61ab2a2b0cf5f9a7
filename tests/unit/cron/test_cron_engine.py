"""CronEngine over a MemoryStateStore: policies, dependencies, deletion, restore (FakeClock times, no sleeps)."""
from __future__ import annotations

import pytest

from mesosframe.errors import ValidationError
from mesosframe.state import MemoryStateStore
from schedulers.cron.engine import CronEngine, UnknownJobError
from schedulers.cron.job import Job
from schedulers.cron.runs import KillTask, LaunchTask, RunState

T0 = 1_717_243_200.0  # 2024-06-01T12:00:00Z
HOURLY = "R/2024-06-01T12:00:00Z/PT1H"


@pytest.fixture
def engine():
    return CronEngine(MemoryStateStore())


def launch_all(engine, effects, now):
    launched = [e for e in effects if isinstance(e, LaunchTask)]
    for effect in launched:
        engine.launching(effect.run_id, effect.task_id, "agent-1", now)
    return launched


def finish(engine, task_id, now, state="TASK_FINISHED"):
    return engine.on_status(task_id, state, now, "agent-1")


@pytest.mark.parametrize("policy, expected_second, kills", [
    ({"concurrent": False}, "SKIPPED", 0),
    ({"concurrent": True}, "QUEUED", 0),
    ({"concurrencyPolicy": "REPLACE"}, "QUEUED", 1),
])
def test_concurrency_policy_at_the_next_slot(engine, policy, expected_second, kills):
    engine.put_job(Job(name="j", command="sleep", schedule=HOURLY, **policy), T0 - 60)
    first = launch_all(engine, engine.tick(T0), T0)
    assert len(first) == 1
    effects = engine.tick(T0 + 3600)
    second = [r for r in engine.runs.values() if r.trigger_ms == int((T0 + 3600) * 1000)]
    skipped = [h for h in engine.history["j"] if h.state == "SKIPPED"]
    state = second[0].state.value if second else skipped[0].state
    assert state == expected_second
    assert sum(isinstance(e, KillTask) for e in effects) == kills


def test_disabled_job_skips_its_slots_visibly(engine):
    engine.put_job(Job(name="j", command="x", schedule=HOURLY, disabled=True), T0 - 60)
    assert engine.tick(T0) == []
    assert [(h.state, h.reason) for h in engine.history["j"]] == [("SKIPPED", "job disabled")]


def test_catch_up_after_downtime_runs_once_and_counts_coalesced(engine):
    engine.put_job(Job(name="j", command="x", schedule=HOURLY), T0 - 60)
    (launch,) = engine.tick(T0 + 5 * 3600 + 10)
    assert launch.task_id == f"ct:{int((T0 + 5 * 3600) * 1000)}:0:j"
    assert next(iter(engine.runs.values())).coalesced == 5
    assert engine.tick(T0 + 5 * 3600 + 20) == []
    engine.launching(launch.run_id, launch.task_id, "agent-1", T0 + 5 * 3600 + 20)
    finish(engine, launch.task_id, T0 + 5 * 3600 + 30)
    assert [(h.state, h.coalesced) for h in engine.history["j"]] == [("SUCCEEDED", 5)]


def test_cron_job_starts_from_its_creation_not_the_epoch(engine):
    engine.put_job(Job(name="c", command="x", schedule="*/30 * * * *"), T0 - 60)
    assert engine.next_wakeup(T0 - 60) == T0
    (launch,) = engine.tick(T0 + 1)
    assert launch.task_id == f"ct:{int(T0 * 1000)}:0:c"


def test_dependencies_fire_children_and_survive_restore():
    store = MemoryStateStore()
    engine = CronEngine(store)
    engine.put_job(Job(name="a", command="x", schedule=HOURLY), T0 - 60)
    engine.put_job(Job(name="b", command="x", schedule="R/2024-06-01T12:30:00Z/PT1H"), T0 - 60)
    engine.put_job(Job(name="c", command="x", parents=["a", "b"]), T0 - 60)
    (a,) = launch_all(engine, engine.tick(T0), T0)
    assert finish(engine, a.task_id, T0 + 5) == []  # b has not succeeded yet
    restored = CronEngine(store)  # a leader change between the two parents
    restored.restore(T0 + 1800)
    assert restored.deps.satisfied == {"c": frozenset({"a"})}
    (b,) = launch_all(restored, restored.tick(T0 + 1800), T0 + 1800)
    (c,) = finish(restored, b.task_id, T0 + 1810)
    assert c.task_id.split(":")[3] == "c"
    assert restored.deps.satisfied == {}


def test_soft_error_fires_children_and_retries_follow_the_job(engine):
    engine.put_job(Job(name="a", command="x", schedule=HOURLY, retries=0, softError=True), T0 - 60)
    engine.put_job(Job(name="b", command="x", parents=["a"]), T0 - 60)
    (a,) = launch_all(engine, engine.tick(T0), T0)
    children = finish(engine, a.task_id, T0 + 1, "TASK_FAILED")
    assert [e.task_id.split(":")[3] for e in children] == ["b"]
    job = engine.jobs["a"]
    assert (job.errorCount, job.errorsSinceLastSuccess, job.successCount) == (1, 1, 0)
    assert job.lastError == "2024-06-01T12:00:01.000Z"


def test_max_completion_time_kills_and_fails(engine):
    engine.put_job(Job(name="a", command="x", schedule=HOURLY, maxCompletionTime=30_000), T0 - 60)
    (a,) = launch_all(engine, engine.tick(T0), T0)
    finish(engine, a.task_id, T0 + 1, "TASK_RUNNING")
    assert engine.next_wakeup(T0 + 1) == T0 + 30
    assert engine.tick(T0 + 30) == [KillTask(a.task_id)]
    finish(engine, a.task_id, T0 + 31, "TASK_KILLED")
    assert [(h.state, h.reason) for h in engine.history["a"]] == [("FAILED", "timed out: maxCompletionTime exceeded")]


def test_manual_runs_do_not_use_up_repetitions(engine):
    engine.put_job(Job(name="a", command="x", schedule="R1/2024-06-01T13:00:00Z/PT1H"), T0 - 60)
    (manual,) = launch_all(engine, engine.run_now("a", T0, ("--x",)), T0)
    finish(engine, manual.task_id, T0 + 1)
    (scheduled,) = engine.tick(T0 + 3600)
    assert scheduled.task_id == f"ct:{int((T0 + 3600) * 1000)}:0:a"


def test_delete_rewires_children_as_chronos(engine):
    engine.put_job(Job(name="a", command="x", schedule=HOURLY), T0)
    engine.put_job(Job(name="b", command="x", parents=["a"]), T0)
    engine.put_job(Job(name="c", command="x", parents=["b"]), T0)
    engine.delete_job("b", T0)
    assert engine.jobs["c"].parents == ["a"]
    engine.delete_job("a", T0)
    assert (engine.jobs["c"].schedule, engine.jobs["c"].parents) == (HOURLY, [])
    with pytest.raises(UnknownJobError):
        engine.get_job("a")


def test_job_needs_schedule_or_parents_and_counters_are_server_side(engine):
    with pytest.raises(ValidationError, match="schedule"):
        engine.put_job(Job(name="x", command="x"), T0)
    engine.put_job(Job(name="a", command="x", schedule=HOURLY), T0)
    engine.mark_success("a", T0)
    updated = engine.put_job(Job(name="a", command="y", schedule=HOURLY, successCount=99), T0)
    assert (updated.successCount, updated.command) == (1, "y")


def test_history_is_bounded_and_old_ledger_records_are_pruned():
    store = MemoryStateStore()
    engine = CronEngine(store, keep_history=3)
    engine.put_job(Job(name="a", command="x", schedule="R/2024-06-01T12:00:00Z/PT1M", concurrent=True), T0 - 60)
    for minute in range(6):
        now = T0 + 60 * minute
        for launch in launch_all(engine, engine.tick(now), now):
            finish(engine, launch.task_id, now + 1)
    assert [h.state for h in engine.history["a"]] == ["SUCCEEDED"] * 3
    assert len(store.list("cron/runs/a")) == 3
    assert engine.runs == {} and all(r.state is not RunState.QUEUED for r in engine.ledger.load("a"))


def test_launching_refuses_runs_that_ended_or_foreign_task_ids(engine):
    engine.put_job(Job(name="a", command="x", schedule=HOURLY), T0 - 60)
    (launch,) = engine.tick(T0)
    assert not engine.launching(launch.run_id, "ct:1:0:a", None, T0)
    engine.kill("a", T0)  # killed before an offer came
    assert not engine.launching(launch.run_id, launch.task_id, None, T0)
    (manual,) = engine.run_now("a", T0 + 1)
    (again,) = engine.run_now("a", T0 + 1)
    assert again.run_id == f"a:{int((T0 + 1) * 1000) + 1}"
    assert engine.launching(manual.run_id, manual.task_id, None, T0 + 1)
    assert engine.launching(manual.run_id, manual.task_id, None, T0 + 1)  # idempotent


def test_slots_beyond_the_starting_deadline_are_recorded_missed():
    engine = CronEngine(MemoryStateStore(), keep_history=500)
    engine.put_job(Job(name="j", command="x", schedule="R/2024-06-01T12:00:00Z/PT1M",
                       startingDeadlineSeconds=120), T0 - 60)
    (launch,) = engine.tick(T0 + 3 * 3600 + 30)  # down for 3 h: only the last 2 minutes are inside the deadline
    assert launch.task_id == f"ct:{int((T0 + 3 * 3600) * 1000)}:0:j"
    assert engine.runs[launch.run_id].coalesced == 1  # the 02:59 slot
    missed = [h for h in engine.history["j"] if h.state == "MISSED"]
    assert len(missed) == 100 and missed[-1].slot == T0 + 3 * 3600 - 120
    assert "(79 older slots too)" in missed[0].reason
