"""A run's end, its job's counters, the dependency state and its children's records are one transaction: a leader
that dies while writing them leaves none, and the next leader fires the fan-out exactly once."""
from __future__ import annotations

import pytest

from mesosframe.errors import StoreUnavailableError
from mesosframe.state import MemoryStateStore
from schedulers.cron.engine import CronEngine
from schedulers.cron.job import Job
from schedulers.cron.runs import LaunchTask

NOW = 1_700_000_000.0


class DyingStore(MemoryStateStore):
    """Shares `data` with a healthy store; every transaction fails (the leader died before it committed)."""

    def _commit(self, operations):
        raise StoreUnavailableError("leader killed")


def running_parent(store) -> tuple[CronEngine, str]:
    engine = CronEngine(store)
    engine.put_job(Job(name="p", command="x", schedule="R/2023-11-14T22:13:30Z/PT60S"), NOW)
    for child in ("c1", "c2"):
        engine.put_job(Job(name=child, command="x", parents=["p"]), NOW)
    (launch,) = engine.tick(NOW + 10)
    assert engine.launching(launch.run_id, launch.task_id, "a1", NOW + 10)
    engine.on_status(launch.task_id, "TASK_RUNNING", NOW + 11)
    return engine, launch.task_id


def test_a_leader_dying_at_the_outcome_write_leaves_nothing_and_the_next_fires_once():
    data: dict = {}
    engine, task_id = running_parent(MemoryStateStore(data=data))
    dying = CronEngine(DyingStore(data=data))
    dying.restore(NOW + 12)
    dying.recover({task_id: "TASK_RUNNING"}, NOW + 12)
    with pytest.raises(StoreUnavailableError):
        dying.on_status(task_id, "TASK_FINISHED", NOW + 13)
    healthy = MemoryStateStore(data=data)
    assert healthy.list("cron/runs/c1") == [] and healthy.list("cron/runs/c2") == []
    assert healthy.get("cron/jobs/p").value["job"]["successCount"] == 0

    second = CronEngine(healthy)
    second.restore(NOW + 14)
    effects = second.recover({task_id: "TASK_FINISHED"}, NOW + 14)
    assert sorted(e.run_id.split(":")[0] for e in effects if isinstance(e, LaunchTask)) == ["c1", "c2"]
    assert second.jobs["p"].successCount == 1

    third = CronEngine(healthy)                        # and once more: the fan-out is not repeated
    third.restore(NOW + 15)
    again = third.recover({task_id: "TASK_FINISHED"}, NOW + 15)
    assert sorted(e.run_id.split(":")[0] for e in again) == ["c1", "c2"]     # the same queued runs, relaunched
    assert {e.run_id for e in again} == {e.run_id for e in effects}
    assert len(healthy.list("cron/runs/c1")) == 1 and len(healthy.list("cron/runs/c2")) == 1
    assert third.jobs["p"].successCount == 1


def test_children_of_one_success_get_distinct_records_even_in_the_same_millisecond():
    engine, task_id = running_parent(MemoryStateStore())
    engine.put_job(Job(name="c1", command="x", parents=["p"], concurrent=True), NOW + 12)
    engine.run_now("c1", NOW + 13)                     # a manual run at the very millisecond of the fan-out
    effects = engine.on_status(task_id, "TASK_FINISHED", NOW + 13)
    assert len({e.run_id for e in effects}) == 2
    assert len(engine.store.list("cron/runs/c1")) == 2
