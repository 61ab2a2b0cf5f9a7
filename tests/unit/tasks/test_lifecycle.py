from __future__ import annotations

import pytest

from mesosframe.core.effects import KillTask, TaskEnded
from mesosframe.errors import RecordFormatError
from mesosframe.model.task import TaskRecord
from mesosframe.tasks.lifecycle import (ALLOWED, TERMINAL, Goal, KillRequested, StatusObserved, TaskState, apply,
                                        can_transition)

S = TaskState


def rec(state: S = S.STAGING, goal: Goal = Goal.RUNNING) -> TaskRecord:
    return TaskRecord("t1", "p", "n", state=state.value, goal=goal.value, agent_id="a1")


@pytest.mark.parametrize("old,new,moves", [
    (S.STAGING, S.STARTING, True),
    (S.STAGING, S.RUNNING, True),
    (S.STARTING, S.RUNNING, True),
    (S.RUNNING, S.STARTING, False),
    (S.RUNNING, S.STAGING, False),
    (S.RUNNING, S.KILLING, True),
    (S.KILLING, S.RUNNING, False),
    (S.KILLING, S.KILLED, True),
    (S.RUNNING, S.UNREACHABLE, True),
    (S.UNREACHABLE, S.RUNNING, True),
    (S.UNREACHABLE, S.GONE, True),
    (S.UNKNOWN, S.RUNNING, True),
    (S.LOST, S.RUNNING, True),               # a partitioned agent came back
    (S.GONE_BY_OPERATOR, S.RUNNING, True),
    (S.FINISHED, S.RUNNING, False),          # terminal states are final
    (S.FAILED, S.RUNNING, False),
    (S.KILLED, S.FAILED, False),
    (S.DROPPED, S.RUNNING, False),
    (S.GONE, S.RUNNING, False),
    (S.ERROR, S.STAGING, False),
])
def test_transition_table(old, new, moves):
    assert can_transition(old, new) is moves
    after, _ = apply(rec(old), StatusObserved(new, "a1"), now=10.0)
    assert TaskState(after.state) is (new if moves else old)
    assert after.reconciled_at == 10.0   # every answer is fresh, even a stale one


def test_every_state_has_a_row_and_terminal_set_matches_mesos():
    assert set(ALLOWED) == set(TaskState)
    assert {s.name for s in TERMINAL} == {"FINISHED", "FAILED", "KILLED", "ERROR", "LOST", "DROPPED", "GONE",
                                          "GONE_BY_OPERATOR"}
    assert not S.UNREACHABLE.is_terminal and not S.UNKNOWN.is_terminal and not S.KILLING.is_terminal


@pytest.mark.parametrize("state,effects", [
    (S.FINISHED, [TaskEnded("t1", "p", "FINISHED")]),
    (S.FAILED, [TaskEnded("t1", "p", "FAILED")]),
    (S.RUNNING, []),
])
def test_terminal_status_ends_task(state, effects):
    after, got = apply(rec(S.STARTING), StatusObserved(state, "a1", reason="R"), now=5.0)
    assert got == effects
    assert after.updated_at == 5.0 and after.reason == "R"


def test_kill_sets_goal_and_kills_unless_terminal():
    after, effects = apply(rec(S.RUNNING), KillRequested(), now=1.0)
    assert after.goal == Goal.STOPPED.value and TaskState(after.state) is S.RUNNING
    assert effects == [KillTask("t1", "a1")]
    after, effects = apply(rec(S.FINISHED), KillRequested(), now=1.0)
    assert effects == [] and after.goal == "STOPPED"


def test_goal_stopped_kills_again_when_task_shows_up_running():
    _, effects = apply(rec(S.STAGING, Goal.STOPPED), StatusObserved(S.RUNNING, "a1"), now=1.0)
    assert effects == [KillTask("t1", "a1")]
    _, effects = apply(rec(S.RUNNING, Goal.STOPPED), StatusObserved(S.KILLING, "a1"), now=1.0)
    assert effects == []


def test_health_is_recorded_on_running_only():
    after, _ = apply(rec(S.STARTING), StatusObserved(S.RUNNING, "a1", healthy=True), now=1.0)
    assert after.healthy is True
    after2, _ = apply(after, StatusObserved(S.RUNNING, "a1", healthy=False), now=2.0)
    assert after2.healthy is False
    after3, _ = apply(after2, StatusObserved(S.FAILED, "a1"), now=3.0)
    assert after3.healthy is None


@pytest.mark.parametrize("wire,state", [("TASK_RUNNING", S.RUNNING), ("TASK_GONE_BY_OPERATOR", S.GONE_BY_OPERATOR),
                                        ("KILLING", S.KILLING)])
def test_wire_names(wire, state):
    assert TaskState.from_wire(wire) is state
    assert state.wire == "TASK_" + state.value


def test_record_json_round_trip_and_newer_version_refused():
    r = rec(S.RUNNING)
    assert TaskRecord.from_json(r.to_json()) == r
    with pytest.raises(RecordFormatError):
        TaskRecord.from_json({**r.to_json(), "version": 99})
    with pytest.raises(RecordFormatError):
        TaskRecord.from_json({"version": 1, "plugin": "p"})


@pytest.mark.parametrize("state,goal,kills", [
    (S.RUNNING, Goal.STOPPED, True),       # reconciliation says still running: the kill was lost, send it again
    (S.STAGING, Goal.STOPPED, True),
    (S.KILLING, Goal.STOPPED, False),      # the kill is under way
    (S.RUNNING, Goal.RUNNING, False),
])
def test_a_repeated_state_of_a_task_to_stop_kills_it_again(state, goal, kills):
    _, effects = apply(rec(state, goal), StatusObserved(state, "a1"), now=1.0)
    assert effects == ([KillTask("t1", "a1")] if kills else [])


def test_a_record_keeps_its_ports_and_attributes_and_older_records_read_without_them():
    r = TaskRecord(task_id="t1", plugin="p", name="n", ports=(31000, 31005), attributes={"rack": "r1"})
    data = r.to_json()
    assert data["ports"] == [31000, 31005] and data["attributes"] == {"rack": "r1"}
    assert TaskRecord.from_json(data) == r
    older = {k: v for k, v in data.items() if k not in ("ports", "attributes")}
    assert TaskRecord.from_json(older) == TaskRecord(task_id="t1", plugin="p", name="n")
    with pytest.raises(RecordFormatError):
        TaskRecord.from_json({**data, "ports": ["http"]})
