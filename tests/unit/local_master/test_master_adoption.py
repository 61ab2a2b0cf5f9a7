"""A newly elected master adopts the tasks that agents it never knew bring back, and keeps quiet about
unknown tasks during its re-registration grace (virtual time, no sleeps)."""
from __future__ import annotations

import pytest

from master_fakes import FakeLoop, RecordingSink
from mesosframe.core.clock import FakeClock
from mesosframe.local.agents import SimulatedAgent, parse_resources
from mesosframe.local.master import Master, MasterOptions
from mesosframe.local.master.state_json import master_state
from mesosframe.local.protocol import AgentInfo

RESOURCES = "cpus:2;mem:1024"


def _task(task_id: str, cpus: float = 0.5, mem: int = 128, **extra) -> dict:
    return {"task_id": {"value": task_id}, "agent_id": {"value": "a-S0"}, "name": task_id,
            "command": {"value": "x"}, "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}], **extra}


class Failover:
    """An old master `a` whose framework launched tasks on a simulated agent, and a new master `b` just
    elected (grace `grace` seconds) that has seen nothing yet."""

    def __init__(self, tasks=(("t1", 0.5), ("t2", 0.5)), grace: float = 10.0) -> None:
        self.clock = FakeClock()
        self.loop = FakeLoop(self.clock)
        self.a = self._master("a", grace)
        info = AgentInfo(agent_id="a-S0", hostname="127.0.0.1", resources=parse_resources(RESOURCES))
        self.agent = SimulatedAgent(self.a, info, loop=self.loop, clock=self.clock, heartbeat_interval=1.0)
        self.agent.start()
        self.loop.run()
        self.old = self.subscribe(self.a)
        offer = self.old.offers()[0]
        ops = [{"type": "LAUNCH", "launch": {"task_infos": [_task(t, cpus) for t, cpus in tasks]}}]
        self.call(self.a, self.old, "ACCEPT", {"offer_ids": [offer["id"]], "operations": ops})
        self.framework_id = self.old.framework_id
        self.b = self._master("b", grace)
        self.b.set_leading(False)
        self.b.set_leading(True)

    def _master(self, master_id: str, grace: float) -> Master:
        master = Master(MasterOptions(allocation_interval=1.0, agent_ping_timeout=60.0,
                                      agent_reregister_timeout=grace), loop=self.loop, clock=self.clock,
                        master_id=master_id)
        master.start()
        return master

    def subscribe(self, master: Master, framework_id: str | None = None, name: str = "n") -> RecordingSink:
        sink = RecordingSink()
        info = {"user": "u", "name": name, "failover_timeout": 60.0}
        call = {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}}
        if framework_id is not None:
            info["id"] = call["framework_id"] = {"value": framework_id}
        sink.framework_id, sink.stream_id = master.subscribe(call, sink)
        self.loop.run()
        return sink

    def call(self, master: Master, sink: RecordingSink, ctype: str, body: dict) -> None:
        master.handle({"type": ctype, "framework_id": {"value": sink.framework_id}, ctype.lower(): body},
                      sink.stream_id)
        self.loop.run()

    def reregister(self) -> None:
        self.b.register_agent(self.agent)
        self.loop.run()


def _offered_cpus(sink: RecordingSink) -> float:
    return sum(r["scalar"]["value"] for o in sink.offers() for r in o["resources"] if r["name"] == "cpus")


def test_agent_reports_task_infos_with_resources():
    env = Failover()
    infos = {info["task_id"]["value"]: (fid, info, status["state"])
             for fid, info, status in env.agent.reregister_task_infos()}
    assert sorted(infos) == ["t1", "t2"]
    fid, info, state = infos["t1"]
    assert fid == env.framework_id and state == "TASK_RUNNING"
    assert {r["name"] for r in info["resources"]} == {"cpus", "mem"}


def test_unknown_agent_tasks_are_adopted_under_a_recovered_framework():
    env = Failover()
    env.reregister()
    state = master_state(env.b)
    [framework] = state["frameworks"]
    assert framework["id"] == env.framework_id and not framework["connected"] and not framework["active"]
    assert sorted((t["id"], t["state"], t["slave_id"]) for t in framework["tasks"]) == [
        ("t1", "TASK_RUNNING", "a-S0"), ("t2", "TASK_RUNNING", "a-S0")]
    assert [s["id"] for s in state["slaves"]] == ["a-S0"]


def test_adopted_resources_are_not_offered_again():
    env = Failover()
    env.reregister()
    other = env.subscribe(env.b, name="other")
    assert _offered_cpus(other) == pytest.approx(1.0)        # 2 cpus minus the two adopted 0.5-cpu tasks


def test_resubscribe_with_the_recovered_id_keeps_the_tasks():
    env = Failover()
    env.reregister()
    sink = env.subscribe(env.b, env.framework_id)
    assert sink.framework_id == env.framework_id
    env.call(env.b, sink, "RECONCILE", {"tasks": []})
    assert sorted((s["task_id"]["value"], s["state"]) for s in sink.statuses()) == [
        ("t1", "TASK_RUNNING"), ("t2", "TASK_RUNNING")]
    fw = env.b.frameworks[env.framework_id]
    assert fw.connected and fw.info["name"] == "n"
    assert _offered_cpus(sink) == pytest.approx(1.0) and fw.allocated["cpus"] == 2000   # tasks + the offer


def test_framework_subscribed_before_the_agent_returns_gets_its_tasks_back():
    env = Failover()
    sink = env.subscribe(env.b, env.framework_id)
    env.reregister()
    assert sorted(env.b.frameworks[env.framework_id].tasks) == ["t1", "t2"]
    env.call(env.b, sink, "KILL", {"task_id": {"value": "t1"}})
    assert env.agent.task_state(env.framework_id, "t1") == "TASK_KILLED"


def test_terminal_tasks_are_not_adopted():
    env = Failover()
    env.call(env.a, env.old, "KILL", {"task_id": {"value": "t1"}})
    env.reregister()
    assert sorted(env.b.frameworks[env.framework_id].tasks) == ["t2"]


def test_executor_resources_are_charged_once_per_executor():
    env = Failover(tasks=())
    executor = {"executor_id": {"value": "e"}, "command": {"value": "x"},
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.25}}]}

    class Handle:
        info = env.agent.info

        def reregister_task_infos(self):
            return [("fw", _task(t, 0.25, executor=executor), {"task_id": {"value": t}, "state": "TASK_RUNNING"})
                    for t in ("x", "y")]

    env.b.register_agent(Handle())
    assert env.b.frameworks["fw"].allocated["cpus"] == 750     # 2 x 0.25 + the executor's 0.25 once
    assert env.b.agents["a-S0"].free["*"].scalars["cpus"] == 1250


@pytest.mark.parametrize("advance, agent_id, expected", [
    (0.0, None, []),                          # within the grace: no answer, the framework retries
    (0.0, "a-S0", []),                        # the named agent has not re-registered yet
    (11.0, None, ["TASK_LOST"]),              # after the grace: unknown (TASK_LOST without PARTITION_AWARE)
])
def test_explicit_reconcile_of_unknown_tasks_during_the_grace(advance, agent_id, expected):
    env = Failover()
    sink = env.subscribe(env.b, env.framework_id)
    env.loop.advance(advance, step=1.0)
    sink.take()
    entry = {"task_id": {"value": "t1"}, **({"agent_id": {"value": agent_id}} if agent_id else {})}
    env.call(env.b, sink, "RECONCILE", {"tasks": [entry]})
    assert [s["state"] for s in sink.statuses()] == expected


def test_known_tasks_are_answered_during_the_grace():
    env = Failover()
    sink = env.subscribe(env.b, env.framework_id)
    env.reregister()
    sink.take()
    env.call(env.b, sink, "RECONCILE", {"tasks": [{"task_id": {"value": "t2"}}, {"task_id": {"value": "zz"}}]})
    assert [(s["task_id"]["value"], s["state"]) for s in sink.statuses()] == [("t2", "TASK_RUNNING")]
    assert env.b.recovering


def test_a_master_that_was_never_elected_has_no_grace():
    env = Failover()
    assert not env.a.recovering and env.b.recovering
    env.loop.advance(10.5, step=1.0)
    assert not env.b.recovering
