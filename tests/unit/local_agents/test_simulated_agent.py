"""SimulatedAgent on a fake loop: label-driven behaviour, kills, acks, heartbeats and failure switches."""
from __future__ import annotations

import base64

import pytest

from mesosframe.local.agents import SimulatedAgent
from mesosframe.local.agents.heartbeats import HeartbeatPool
from mesosframe.local.protocol import AgentInfo

FRAMEWORK = {"id": {"value": "fw-1"}, "name": "test"}
KILLING_FRAMEWORK = {"id": {"value": "fw-1"}, "capabilities": [{"type": "TASK_KILLING_STATE"}]}


def task(task_id, **labels):
    info = {"task_id": {"value": task_id}, "name": task_id, "agent_id": {"value": "S1"}, "command": {"value": "x"}}
    if labels:
        info["labels"] = {"labels": [{"key": f"mesosframe.sim/{k}", "value": v} for k, v in labels.items()]}
    return info


@pytest.fixture
def agent(master, loop, clock):
    agent = SimulatedAgent(master, AgentInfo("S1", "sim-1.local"), loop=loop, clock=clock,
                           heartbeat_interval=5.0, status_update_retry=(1.0, 8.0))
    agent.start()
    yield agent
    agent.stop()


def ack_all(master):
    for _, fid, status in list(master.updates):
        master.ack(status)


@pytest.mark.parametrize("labels, after, states, message", [
    ({}, 1000, ["TASK_RUNNING"], None),
    ({"duration": "2"}, 1.9, ["TASK_RUNNING"], None),
    ({"duration": "2"}, 2, ["TASK_RUNNING", "TASK_FINISHED"], "Command exited with status 0"),
    ({"duration": "2", "exit_code": "3"}, 2, ["TASK_RUNNING", "TASK_FAILED"], "Command exited with status 3"),
    ({"fail_after": "1", "duration": "5"}, 1, ["TASK_RUNNING", "TASK_FAILED"], "Command exited with status 1"),
    ({"fail_after": "9", "duration": "5"}, 9, ["TASK_RUNNING", "TASK_FINISHED"], "Command exited with status 0"),
    ({"fail_after": "0.5"}, 0.5, ["TASK_RUNNING", "TASK_FAILED"], "Command exited with status 1"),
])
def test_label_behaviour(agent, master, loop, labels, after, states, message):
    agent.launch_tasks(FRAMEWORK, [task("t1", **labels)])
    ack_all(master)
    loop.advance(after)
    ack_all(master)
    assert master.states("t1", unique=True) == states
    assert master.last("t1").get("message") == message


@pytest.mark.parametrize("value, healthy", [("true", True), ("false", False), ("TRUE", True)])
def test_healthy_label_is_reported_on_running(agent, master, value, healthy):
    agent.launch_tasks(FRAMEWORK, [task("t1", healthy=value)])
    assert master.last("t1")["healthy"] is healthy


@pytest.mark.parametrize("labels, path", [
    ({"duration": "soon"}, "labels.mesosframe.sim/duration"),
    ({"fail_after": "-1"}, "labels.mesosframe.sim/fail_after"),
    ({"exit_code": "1.5"}, "labels.mesosframe.sim/exit_code"),
    ({"healthy": "maybe"}, "labels.mesosframe.sim/healthy"),
])
def test_bad_labels_fail_the_task(agent, master, labels, path):
    agent.launch_tasks(FRAMEWORK, [task("t1", **labels)])
    status = master.last("t1")
    assert status["state"] == "TASK_FAILED" and status["reason"] == "REASON_TASK_INVALID"
    assert path in status["message"]


def test_update_shape(agent, master, clock):
    agent.launch_tasks(FRAMEWORK, [task("t1")])
    agent_id, framework_id, status = master.updates[0]
    assert (agent_id, framework_id) == ("S1", "fw-1")
    assert status["task_id"] == {"value": "t1"} and status["agent_id"] == {"value": "S1"}
    assert status["source"] == "SOURCE_EXECUTOR" and status["timestamp"] == clock.now()
    assert len(base64.b64decode(status["uuid"])) == 16


@pytest.mark.parametrize("framework, states", [
    (FRAMEWORK, ["TASK_RUNNING", "TASK_KILLED"]),
    (KILLING_FRAMEWORK, ["TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]),
])
def test_kill(agent, master, framework, states):
    agent.launch_tasks(framework, [task("t1", duration="10")])
    agent.kill_task("fw-1", "t1")
    ack_all(master)
    ack_all(master)
    ack_all(master)
    assert master.states("t1") == states
    assert master.last("t1")["message"] == "Command terminated with signal Terminated"
    assert agent.task_state("fw-1", "t1") is None          # terminal + acked -> forgotten


def test_kill_of_unknown_or_finished_task_is_ignored(agent, master, loop):
    agent.kill_task("fw-1", "nope")
    agent.launch_tasks(FRAMEWORK, [task("t1", duration="1")])
    loop.advance(1)
    agent.kill_task("fw-1", "t1")
    ack_all(master)
    ack_all(master)
    assert master.states("t1", unique=True) == ["TASK_RUNNING", "TASK_FINISHED"]


def test_unacknowledged_updates_are_resent_in_order(agent, master, loop):
    agent.launch_tasks(FRAMEWORK, [task("t1", duration="0.5")])
    loop.advance(3.5)                       # RUNNING at 0, 1, 3 (backoff 1, 2); FINISHED waits
    assert master.states("t1") == ["TASK_RUNNING"] * 3
    master.ack(master.updates[-1][2])       # any copy carries the same uuid
    assert master.states("t1")[-1] == "TASK_FINISHED"
    assert agent.task_state("fw-1", "t1") == "TASK_FINISHED"
    master.ack(master.updates[-1][2])
    assert agent.task_state("fw-1", "t1") is None and agent.task_count == 0


def test_reregister_tasks_reports_latest_status(agent, master):
    agent.launch_tasks(FRAMEWORK, [task("a"), task("b", duration="1")])
    agent.kill_task("fw-1", "b")
    tasks = {status["task_id"]["value"]: (fid, status["state"]) for fid, status in agent.reregister_tasks()}
    assert tasks == {"a": ("fw-1", "TASK_RUNNING"), "b": ("fw-1", "TASK_KILLED")}


def test_shutdown_framework_forgets_tasks_silently(agent, master, loop):
    agent.launch_tasks(FRAMEWORK, [task("a", duration="1")])
    agent.launch_tasks({"id": {"value": "fw-2"}}, [task("b")])
    agent.shutdown_framework("fw-1")
    count = len(master.updates)
    loop.advance(30)
    assert [s["task_id"]["value"] for _, _, s in master.updates[count:]] == ["b"] * (len(master.updates) - count)
    assert agent.task_state("fw-1", "a") is None and agent.task_state("fw-2", "b") == "TASK_RUNNING"


def test_heartbeats_every_interval(agent, master, loop):
    loop.advance(5 * 4 + 1)
    assert master.heartbeats["S1"] == 4


def test_pause_and_resume_heartbeats_simulate_a_partition(agent, master, loop):
    agent.pause_heartbeats()
    agent.launch_tasks(FRAMEWORK, [task("t1")])
    loop.advance(60)
    assert master.heartbeats.get("S1", 0) == 0 and master.updates == []
    agent.resume_heartbeats()
    assert master.calls.count(("register_agent", ("S1",))) == 2
    assert master.states("t1") == ["TASK_RUNNING"]
    loop.advance(5)
    assert master.heartbeats["S1"] == 1


def test_crash_is_silent_and_start_comes_back_empty(agent, master, loop):
    agent.launch_tasks(FRAMEWORK, [task("t1", duration="1")])
    agent.crash()
    count = len(master.updates)
    loop.advance(60)
    assert len(master.updates) == count and master.heartbeats.get("S1", 0) == 0
    assert ("agent_exited", ("S1",)) not in master.calls
    agent.start()
    assert agent.reregister_tasks() == [] and agent.heartbeating


def test_many_agents_share_one_heartbeat_timer(master, loop, clock):
    agents = [SimulatedAgent(master, AgentInfo(f"S{i}", f"sim-{i}"), loop=loop, clock=clock,
                             heartbeat_interval=7.0) for i in range(50)]
    for agent in agents:
        agent.start()
    assert loop.pending() == 1
    loop.advance(7)
    assert all(master.heartbeats[f"S{i}"] == 1 for i in range(50))
    for agent in agents:
        agent.stop()
    assert loop.pending() == 0
    assert not HeartbeatPool.is_member(loop, master, 7.0, "S0")


def test_shutdown_executor_kills_the_task_and_messages_are_dropped(agent, master):
    agent.launch_tasks(FRAMEWORK, [task("t1")])
    agent.framework_message("fw-1", "t1", b"hello")
    agent.shutdown_executor("fw-1", "t1")
    assert master.states("t1") == ["TASK_RUNNING"]            # KILLED waits behind the unacked RUNNING
    master.ack(master.updates[0][2])
    assert master.states("t1") == ["TASK_RUNNING", "TASK_KILLED"]
    assert not [name for name, _ in master.calls if name == "executor_message"]


def test_agent_id_assigned_by_the_master_is_used(master, loop, clock):
    class AssigningMaster(type(master)):
        def register_agent(self, agent):
            agent.info.agent_id = agent.info.agent_id or "assigned-S0"
            super().register_agent(agent)

    assigning = AssigningMaster()
    agent = SimulatedAgent(assigning, AgentInfo("", "sim"), loop=loop, clock=clock)
    agent.start()
    agent.launch_tasks(FRAMEWORK, [task("t1")])
    agent_id, _, status = assigning.updates[0]
    assert agent_id == "assigned-S0" and status["agent_id"] == {"value": "assigned-S0"}
    loop.advance(5)
    assert assigning.heartbeats == {"assigned-S0": 1}
    agent.stop()


def test_take_status_queues_an_executors_update_reliably(agent, master, loop):
    status = {"task_id": {"value": "e-task"}, "state": "TASK_RUNNING", "source": "SOURCE_EXECUTOR",
              "uuid": base64.b64encode(b"u" * 16).decode(), "timestamp": 1.0}
    agent.take_status("fw-1", status)
    assert master.updates[-1][2] is status and agent.task_state("fw-1", "e-task") == "TASK_RUNNING"
    loop.advance(1)
    assert master.states("e-task") == ["TASK_RUNNING", "TASK_RUNNING"]      # re-sent until acknowledged
    agent.acknowledge("fw-1", "e-task", b"u" * 16)
    loop.advance(10)
    assert len(master.states("e-task")) == 2
    assert agent.reregister_tasks()[-1] == ("fw-1", status)
