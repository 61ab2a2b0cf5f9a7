"""Reliable delivery on a real loop: unacknowledged updates are re-sent in order; partitions hold them."""
from __future__ import annotations

FRAMEWORK = {"id": {"value": "fw-1"}}
TRUE_TASK = {"task_id": {"value": "t1"}, "name": "t1", "command": {"value": "true"}}


def test_unacknowledged_updates_are_redelivered_in_order(make_agent_harness):
    harness = make_agent_harness(auto_ack=False, retry=(0.05, 0.1))
    master = harness.master
    harness.agent.launch_tasks(FRAMEWORK, [TRUE_TASK])
    harness.run_until(lambda: master.states("t1").count("TASK_STARTING") >= 3)
    assert set(master.states("t1")) == {"TASK_STARTING"}          # nothing overtakes the head
    for expected in ("TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"):
        harness.run_until(lambda: master.last("t1")["state"] == expected)
        master.ack(master.last("t1"))
    assert master.states("t1", unique=True) == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    assert harness.agent.task_count == 0
    count = len(master.updates)
    harness.run_for(0.3)
    assert len(master.updates) == count                          # all acknowledged: silence


def test_partition_holds_updates_until_healed(make_agent_harness):
    harness = make_agent_harness(auto_ack=True, retry=(0.05, 0.1))
    harness.agent.pause_heartbeats()
    harness.agent.launch_tasks(FRAMEWORK, [TRUE_TASK])
    harness.run_until(lambda: harness.agent.task_state("fw-1", "t1") == "TASK_FINISHED")
    assert harness.master.updates == []
    harness.agent.resume_heartbeats()
    harness.until_terminal("t1")
    assert harness.master.states("t1", unique=True) == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    assert [name for name, _ in harness.master.calls] == ["register_agent", "register_agent"]
