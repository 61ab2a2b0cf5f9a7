"""The master's logic on virtual time: FakeClock, a fake loop, recording sinks and SimulatedAgents."""
from __future__ import annotations

import base64

import pytest

from master_fakes import FakeLoop, RecordingSink
from mesosframe.core.clock import FakeClock
from mesosframe.local.agents import SimulatedAgent, parse_resources
from mesosframe.local.master import CallError, Master, MasterOptions
from mesosframe.local.protocol import AgentInfo


class Env:
    """A master with simulated agents on virtual time."""

    def __init__(self, agents=("cpus:2;mem:1024",), retry=(0.5, 2.0), **options) -> None:
        self.clock = FakeClock()
        self.loop = FakeLoop(self.clock)
        opts = dict(allocation_interval=1.0, agent_ping_timeout=3.0, agent_removal_timeout=30.0)
        opts.update(options)
        self.master = Master(MasterOptions(**opts), loop=self.loop, clock=self.clock, master_id="m")
        self.master.start()
        self.agents = []
        for index, resources in enumerate(agents):
            info = AgentInfo(agent_id=f"m-S{index}", hostname="127.0.0.1", resources=parse_resources(resources))
            agent = SimulatedAgent(self.master, info, loop=self.loop, clock=self.clock, heartbeat_interval=1.0,
                                   status_update_retry=retry)
            agent.start()
            self.agents.append(agent)
        self.loop.run()

    def subscribe(self, capabilities=(), **info):
        sink = RecordingSink()
        framework_info = {"user": "u", "name": "n",
                          "capabilities": [{"type": c} for c in capabilities], **info}
        call = {"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info}}
        if "id" in info:
            call["framework_id"] = info["id"]
        sink.framework_id, sink.stream_id = self.master.subscribe(call, sink)
        assert sink.framework_id == sink.events[0]["subscribed"]["framework_id"]["value"]
        self.loop.run()
        return sink

    def call(self, sink, ctype, body=None):
        call = {"type": ctype, "framework_id": {"value": sink.framework_id}}
        if body is not None:
            call[ctype.lower()] = body
        status = self.master.handle(call, sink.stream_id)
        self.loop.run()
        return status

    def launch(self, sink, offer, *tasks, filters=None):
        body = {"offer_ids": [offer["id"]], "operations": [{"type": "LAUNCH", "launch": {"task_infos": list(tasks)}}]}
        if filters is not None:
            body["filters"] = filters
        return self.call(sink, "ACCEPT", body)

    def ack(self, sink, status):
        return self.call(sink, "ACKNOWLEDGE", {"agent_id": status["agent_id"], "task_id": status["task_id"],
                                               "uuid": status["uuid"]})


def task(task_id, offer, cpus=0.5, mem=128, **extra):
    return {"task_id": {"value": task_id}, "agent_id": offer["agent_id"], "name": task_id,
            "command": {"value": "x"}, "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}], **extra}


def test_offer_ids_and_single_offer_per_agent():
    env = Env(agents=("cpus:2;mem:1024", "cpus:1;mem:512"))
    sink = env.subscribe()
    offers = sink.offers()
    assert [o["id"]["value"] for o in offers] == ["m-O1", "m-O2"]
    assert sink.framework_id == "m-0000"
    env.loop.advance(3)
    assert len(sink.offers()) == 2          # outstanding offers are not offered again


def test_drf_gives_the_next_agent_to_the_lowest_share():
    env = Env(agents=("cpus:4;mem:4096",))
    big = env.subscribe()
    offer = big.offers()[0]
    env.launch(big, offer, task("hog", offer, cpus=3, mem=3000))
    small = env.subscribe()
    env.loop.advance(6)       # the remainder of the first agent: big's refuse filter is 5 s
    info = AgentInfo(agent_id="m-S9", hostname="h", resources=parse_resources("cpus:4;mem:4096"))
    SimulatedAgent(env.master, info, loop=env.loop, clock=env.clock).start()
    env.loop.run()
    assert "m-S9" in [o["agent_id"]["value"] for o in small.offers()]
    assert "m-S9" not in [o["agent_id"]["value"] for o in big.offers()]


# declined resources come back with the next periodic pass (allocation_interval 1 s), as in Mesos: recovery
# never triggers a pass (MESOS-3078), and a filter lasts at least one interval (MESOS-4302)
@pytest.mark.parametrize("refuse,earliest,latest", [(None, 5.0, 6.0), (0.5, 1.0, 2.0), (0, 0.05, 1.0),
                                                     (10, 10.0, 11.0), (1e12, None, None)])
def test_decline_filters_for_refuse_seconds(refuse, earliest, latest):
    env = Env()
    sink = env.subscribe()
    offer = sink.offers()[0]
    body = {"offer_ids": [offer["id"]]}
    if refuse is not None:
        body["filters"] = {"refuse_seconds": refuse}
    sink.take()
    start = env.clock.monotonic()
    env.call(sink, "DECLINE", body)
    while not sink.offers() and env.clock.monotonic() - start < 15:
        env.loop.advance(0.05)
    elapsed = env.clock.monotonic() - start
    if earliest is None:                       # capped at a year, still far beyond 15 s
        assert sink.offers() == []
    else:
        assert earliest - 1e-6 <= elapsed <= latest + 1e-6


def test_accept_remainder_filtered_but_freed_resources_reoffered():
    env = Env()
    sink = env.subscribe()
    offer = sink.offers()[0]
    quick = task("quick", offer, labels={"labels": [{"key": "mesosframe.sim/duration", "value": "1"}]})
    env.launch(sink, offer, quick, filters={"refuse_seconds": 100})
    env.ack(sink, sink.statuses()[-1])         # TASK_RUNNING
    sink.take()
    env.loop.advance(2)     # the task finished: more than the refused remainder is free again
    offered = sink.offers()
    assert len(offered) == 1
    cpus = next(r for r in offered[0]["resources"] if r["name"] == "cpus")
    assert cpus["scalar"]["value"] == 2.0


def test_suppress_and_revive():
    env = Env()
    sink = env.subscribe()
    env.call(sink, "SUPPRESS", {})
    env.call(sink, "DECLINE", {"offer_ids": [sink.offers()[0]["id"]], "filters": {"refuse_seconds": 0}})
    sink.take()
    env.loop.advance(5)
    assert sink.offers() == []
    assert env.call(sink, "REVIVE", {}) == 202
    assert len(sink.offers()) == 1


def test_offer_timeout_rescinds():
    env = Env(offer_timeout=2.0)
    sink = env.subscribe()
    offer_id = sink.offers()[0]["id"]
    env.loop.advance(2.01)
    assert sink.of("RESCIND") == [{"type": "RESCIND", "rescind": {"offer_id": offer_id}}]
    env.loop.advance(1.0)
    assert len(sink.offers()) == 2


def test_gpu_agents_only_for_gpu_frameworks():
    env = Env(agents=("cpus:2;mem:1024;gpus:1",))
    plain = env.subscribe()
    assert plain.offers() == []
    gpu = env.subscribe(["GPU_RESOURCES"])
    assert len(gpu.offers()) == 1


def test_multi_role_allocation_info_and_reserved_resources():
    env = Env(agents=("cpus:2;mem:1024;cpus(web):1",))
    web = env.subscribe(["MULTI_ROLE"], roles=["web"])
    offer = web.offers()[0]
    assert offer["allocation_info"] == {"role": "web"}
    roles = sorted((r["role"], r["scalar"]["value"]) for r in offer["resources"] if r["name"] == "cpus")
    assert roles == [("*", 2.0), ("web", 1.0)]
    assert all(r["allocation_info"] == {"role": "web"} for r in offer["resources"])


def test_status_update_redelivery_and_per_task_ordering():
    env = Env(retry=(0.5, 2.0))
    sink = env.subscribe()
    offer = sink.offers()[0]
    env.launch(sink, offer, task("t", offer, labels={"labels": [{"key": "mesosframe.sim/duration", "value": "1"}]}))
    first = sink.statuses()
    assert [s["state"] for s in first] == ["TASK_RUNNING"]
    env.loop.advance(2.0)            # ack withheld: RUNNING is re-sent, FINISHED waits behind it
    states = [s["state"] for s in sink.statuses()]
    assert states.count("TASK_RUNNING") >= 2 and "TASK_FINISHED" not in states
    assert {s["uuid"] for s in sink.statuses()} == {first[0]["uuid"]}
    env.ack(sink, first[0])
    env.loop.run()
    assert sink.statuses()[-1]["state"] == "TASK_FINISHED"


def test_implicit_reconcile_reports_terminal_until_acknowledged_then_forgets():
    env = Env()
    sink = env.subscribe()
    offer = sink.offers()[0]
    env.launch(sink, offer, task("t", offer, labels={"labels": [{"key": "mesosframe.sim/duration", "value": "0"}]}))
    env.ack(sink, sink.statuses()[-1])
    finished = sink.statuses()[-1]
    assert finished["state"] == "TASK_FINISHED"
    sink.take()
    env.call(sink, "RECONCILE", {"tasks": []})
    assert [(s["state"], s["source"]) for s in sink.statuses()] == [("TASK_FINISHED", "SOURCE_MASTER")]
    env.ack(sink, finished)
    sink.take()
    env.call(sink, "RECONCILE", {"tasks": []})
    assert sink.statuses() == []
    assert [t.task_id for t in env.master.frameworks["m-0000"].completed] == ["t"]


def test_kill_unknown_task_reconciles_it():
    env = Env()
    sink = env.subscribe(["PARTITION_AWARE"])
    env.call(sink, "KILL", {"task_id": {"value": "ghost"}, "agent_id": {"value": "m-S0"}})
    status = sink.statuses()[0]
    assert (status["state"], status["message"]) == ("TASK_GONE", "Reconciliation: Task is unknown to the agent")


def test_kill_with_task_killing_state():
    env = Env()
    sink = env.subscribe(["TASK_KILLING_STATE"])
    offer = sink.offers()[0]
    env.launch(sink, offer, task("t", offer))
    env.ack(sink, sink.statuses()[-1])
    env.call(sink, "KILL", {"task_id": {"value": "t"}})
    killing = sink.statuses()[-1]
    assert killing["state"] == "TASK_KILLING"
    env.ack(sink, killing)
    assert sink.statuses()[-1]["state"] == "TASK_KILLED"


@pytest.mark.parametrize("timeout,alive_at", [(0.0, None), (10.0, 9.0)])
def test_failover_timeout(timeout, alive_at):
    env = Env()
    sink = env.subscribe(failover_timeout=timeout)
    offer = sink.offers()[0]
    env.launch(sink, offer, task("t", offer))
    env.master.stream_closed(sink.framework_id, sink.stream_id)
    env.loop.run()
    if alive_at is not None:
        env.loop.advance(alive_at)
        assert env.agents[0].task_state(sink.framework_id, "t") == "TASK_RUNNING"
        env.loop.advance(timeout - alive_at + 0.1)
    assert sink.framework_id not in env.master.frameworks
    assert env.agents[0].task_count == 0
    with pytest.raises(CallError) as err:
        env.call(sink, "REVIVE", {})
    assert (err.value.status, err.value.text) == (400, "Framework cannot be found")


@pytest.mark.parametrize("aware,states", [
    (False, ["TASK_LOST"]),
    (True, ["TASK_UNREACHABLE", "TASK_GONE"]),
])
def test_agent_loss_then_removal(aware, states):
    env = Env()
    sink = env.subscribe(["PARTITION_AWARE"] if aware else [])
    offer = sink.offers()[0]
    env.launch(sink, offer, task("t", offer))
    env.ack(sink, sink.statuses()[-1])
    sink.take()
    env.agents[0].pause_heartbeats()
    env.loop.advance(5)
    assert sink.of("FAILURE") == [{"type": "FAILURE", "failure": {"agent_id": {"value": "m-S0"}}}]
    env.loop.advance(31)
    master_states = [s["state"] for s in sink.statuses() if s["source"] == "SOURCE_MASTER"]
    assert master_states == states
    assert "m-S0" not in env.master.agents


def test_agent_returns_before_removal_and_tasks_are_running_again():
    env = Env()
    sink = env.subscribe(["PARTITION_AWARE"])
    offer = sink.offers()[0]
    env.launch(sink, offer, task("t", offer))
    env.ack(sink, sink.statuses()[-1])
    env.master.agent_exited("m-S0")
    assert sink.statuses()[-1]["state"] == "TASK_UNREACHABLE"
    env.agents[0].pause_heartbeats()
    env.agents[0].resume_heartbeats()
    env.loop.run()
    sink.take()
    env.call(sink, "RECONCILE", {"tasks": [{"task_id": {"value": "t"}}]})
    assert sink.statuses()[0]["state"] == "TASK_RUNNING"


def test_second_subscribe_fails_over_the_first_stream():
    env = Env()
    first = env.subscribe(failover_timeout=60)
    second = env.subscribe(failover_timeout=60, id={"value": first.framework_id})
    assert first.events[-1] == {"type": "ERROR", "error": {"message": "Framework failed over"}}
    assert first.closed and not second.closed
    with pytest.raises(CallError):
        env.call(first, "REVIVE", {})
    assert env.call(second, "REVIVE", {}) == 202


def test_acknowledge_goes_to_the_agent_with_raw_uuid():
    env = Env()
    sink = env.subscribe()
    offer = sink.offers()[0]
    env.launch(sink, offer, task("t", offer))
    status = sink.statuses()[-1]
    assert env.agents[0].pending_updates(sink.framework_id, "t")
    env.ack(sink, status)
    assert env.agents[0].pending_updates(sink.framework_id, "t") == []
    assert len(base64.b64decode(status["uuid"])) == 16


def test_unsupported_operation_with_id_gets_operation_error():
    env = Env()
    sink = env.subscribe()
    offer = sink.offers()[0]
    env.call(sink, "ACCEPT", {"offer_ids": [offer["id"]], "operations": [
        {"type": "RESERVE", "id": {"value": "op1"}, "reserve": {"resources": []}}]})
    status = sink.of("UPDATE_OPERATION_STATUS")[0]["update_operation_status"]["status"]
    assert status["state"] == "OPERATION_ERROR" and status["operation_id"] == {"value": "op1"}


def test_launch_group_shares_fate():
    env = Env()
    sink = env.subscribe()
    offer = sink.offers()[0]
    executor = {"type": "DEFAULT", "executor_id": {"value": "e"}, "framework_id": {"value": sink.framework_id},
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]}
    good, bad = task("a", offer), task("b", offer, cpus=50)
    for t in (good, bad):
        del t["command"]
    env.call(sink, "ACCEPT", {"offer_ids": [offer["id"]], "operations": [
        {"type": "LAUNCH_GROUP", "launch_group": {"executor": executor, "task_group": {"tasks": [good, bad]}}}]})
    statuses = sink.statuses()
    assert [(s["task_id"]["value"], s["state"], s["reason"]) for s in statuses] == [
        ("a", "TASK_ERROR", "REASON_TASK_GROUP_INVALID"), ("b", "TASK_ERROR", "REASON_TASK_GROUP_INVALID")]


def test_custom_executor_resources_are_charged_once_and_listed_in_offers():
    env = Env(agents=("cpus:2;mem:1024",))
    sink = env.subscribe()
    offer = sink.offers()[0]
    executor = {"executor_id": {"value": "ex"}, "command": {"value": "run-executor"},
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}}]}
    first, second = task("a", offer, executor=executor), task("b", offer, executor=executor)
    for t in (first, second):
        del t["command"]
    env.launch(sink, offer, first, second, filters={"refuse_seconds": 0})
    env.loop.advance(1.0)                  # the remainder comes back with the next periodic pass
    again = sink.offers()[-1]
    cpus = next(r for r in again["resources"] if r["name"] == "cpus")["scalar"]["value"]
    assert cpus == 0.5                     # 2 - 0.5 (a) - 0.5 (b) - 0.5 (executor, once)
    assert again["executor_ids"] == [{"value": "ex"}]


def test_messages_both_ways_and_executor_failure():
    env = Env()
    sink = env.subscribe()
    env.master.executor_message("m-S0", sink.framework_id, "ex", b"hi")
    env.master.executor_exited("m-S0", sink.framework_id, "ex", 137)
    assert sink.of("MESSAGE") == [{"type": "MESSAGE", "message": {
        "agent_id": {"value": "m-S0"}, "executor_id": {"value": "ex"}, "data": "aGk="}}]
    assert sink.of("FAILURE")[0]["failure"] == {"agent_id": {"value": "m-S0"}, "executor_id": {"value": "ex"},
                                                "status": 137}
    got = []
    env.agents[0].framework_message = lambda fid, eid, data: got.append((fid, eid, data))
    assert env.call(sink, "MESSAGE", {"agent_id": {"value": "m-S0"}, "executor_id": {"value": "ex"},
                                      "data": "aGk="}) == 202
    assert got == [(sink.framework_id, "ex", b"hi")]


def test_agent_loss_rescinds_offers_and_explicit_reconcile_says_unreachable():
    env = Env()
    sink = env.subscribe(["PARTITION_AWARE"])
    offer_id = sink.offers()[0]["id"]
    env.master.agent_exited("m-S0")
    assert {"type": "RESCIND", "rescind": {"offer_id": offer_id}} in sink.events
    sink.take()
    env.call(sink, "RECONCILE", {"tasks": [{"task_id": {"value": "x"}, "agent_id": {"value": "m-S0"}}]})
    status = sink.statuses()[0]
    assert (status["state"], status["message"]) == ("TASK_UNREACHABLE", "Reconciliation: Task is unreachable")
    assert status["unreachable_time"]["nanoseconds"] == int(env.clock.now() * 1e9)


@pytest.mark.parametrize("change,message", [
    ({"user": "someone-else"}, "Updating 'FrameworkInfo.user' is unsupported"),
    ({"roles": ["a"]}, "Failed to validate scheduler::Call: "
                       "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"),
])
def test_update_framework_refusals(change, message):
    env = Env()
    sink = env.subscribe()
    info = {"user": "u", "name": "n", "id": {"value": sink.framework_id}, **change}
    with pytest.raises(CallError) as err:
        env.call(sink, "UPDATE_FRAMEWORK", {"framework_info": info})
    assert (err.value.status, err.value.text) == (400, message)


def test_update_framework_suppresses_roles():
    env = Env()
    sink = env.subscribe()
    info = {"user": "u", "name": "n", "id": {"value": sink.framework_id}}
    assert env.call(sink, "UPDATE_FRAMEWORK", {"framework_info": info, "suppressed_roles": ["*"]}) == 200
    env.call(sink, "DECLINE", {"offer_ids": [sink.offers()[0]["id"]], "filters": {"refuse_seconds": 0}})
    sink.take()
    env.loop.advance(3)
    assert sink.offers() == []


def test_crashed_agent_restarting_reports_its_tasks_gone_and_frees_resources():
    env = Env(agents=("cpus:2;mem:1024",))
    sink = env.subscribe(["PARTITION_AWARE"])
    offer = sink.offers()[0]
    env.launch(sink, offer, task("t", offer, cpus=2), filters={"refuse_seconds": 0})
    env.ack(sink, sink.statuses()[-1])
    fw = env.master.frameworks[sink.framework_id]
    assert fw.allocated["cpus"] == 2000
    env.agents[0].crash()
    env.agents[0].start()
    env.loop.run()
    gone = sink.statuses()[-1]
    assert (gone["task_id"]["value"], gone["state"], gone["source"]) == ("t", "TASK_GONE", "SOURCE_MASTER")
    assert fw.allocated.get("cpus", 0) == sink.offers()[-1]["resources"][0]["scalar"]["value"] * 1000 == 2000
    assert "t" not in fw.tasks


def test_drf_counters_follow_offers_tasks_and_their_end():
    env = Env(agents=("cpus:2;mem:1024",))
    sink = env.subscribe()
    offer = sink.offers()[0]
    fw = env.master.frameworks[sink.framework_id]
    assert fw.allocated == {"cpus": 2000, "mem": 1024000}          # the offer
    quick = task("q", offer, cpus=0.5, mem=128, labels={"labels": [{"key": "mesosframe.sim/duration", "value": "1"}]})
    env.launch(sink, offer, quick, filters={"refuse_seconds": 100})
    assert fw.allocated == {"cpus": 500, "mem": 128000}            # only the task; the rest refused
    env.ack(sink, sink.statuses()[-1])
    env.loop.advance(2.0)
    assert fw.allocated.get("cpus") == 2000                         # task ended; whole agent re-offered
    assert len(env.master.offers) == 1
