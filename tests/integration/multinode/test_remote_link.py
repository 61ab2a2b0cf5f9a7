"""The agent link on loopback: a master with `mount`, simulated agents behind `RemoteMasterPort`, a
framework talking to the master's logic directly. No root needed."""
from __future__ import annotations

import asyncio
import time

from mesosframe.core.clock import SystemClock
from mesosframe.local.agents import SimulatedAgent, parse_resources
from mesosframe.local.master import Master, MasterHttp, MasterOptions
from mesosframe.local.protocol import AgentInfo
from mesosframe.local.remote import Backoff, RemoteMasterPort, mount
from mesosframe.testing.zookeeper import free_port
from tests.recording_sink import RecordingSink


class Sink(RecordingSink):
    """A framework's events, with its status updates per task."""
    framework_id = stream_id = ""

    def updates(self, task_id: str) -> list[dict]:
        return [e["update"]["status"] for e in self.events
                if e["type"] == "UPDATE" and e["update"]["status"]["task_id"]["value"] == task_id]

    def offers(self) -> list[dict]:
        return [o for e in self.events if e["type"] == "OFFERS" for o in e["offers"]["offers"]]


class CountingBackoff(Backoff):
    """Backoff(0.05, 0.3) that counts the waits it was asked for."""

    def __init__(self) -> None:
        super().__init__(0.05, 0.3)
        self.waits = 0

    def next_delay(self) -> float:
        self.waits += 1
        return super().next_delay()


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


class Env:
    """A master on 127.0.0.1 that can be restarted on the same port (a failover with a fixed address)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.master: Master | None = None
        self.http: MasterHttp | None = None
        self.link = None

    async def start_master(self) -> Master:
        loop = asyncio.get_running_loop()
        self.master = Master(MasterOptions(port=self.port, allocation_interval=0.1, agent_ping_timeout=2.0),
                             loop=loop, clock=SystemClock())
        self.http = MasterHttp(self.master)
        self.link = mount(self.http.app, self.master, ping_interval=0.3)
        assert mount(self.http.app, self.master) is self.link        # idempotent
        await self.http.start("127.0.0.1", self.port)
        self.master.start()
        return self.master

    async def stop_master(self) -> None:
        self.master.stop()
        await self.http.stop()

    def agent(self, agent_id: str, loop, backoff: Backoff | None = None) -> tuple[SimulatedAgent, RemoteMasterPort]:
        port = RemoteMasterPort(f"127.0.0.1:{self.port}", loop=loop, request_timeout=1.0, stream_timeout=2.0,
                                backoff=backoff or Backoff(0.05, 0.3))
        info = AgentInfo(agent_id=agent_id, hostname="127.0.0.1", resources=parse_resources("cpus:2;mem:1024"),
                         kind="simulated")
        agent = SimulatedAgent(port, info, loop=loop, clock=SystemClock(), heartbeat_interval=0.3,
                               status_update_retry=(0.5, 2.0))
        return agent, port

    def subscribe(self) -> Sink:
        sink = Sink()
        call = {"type": "SUBSCRIBE", "subscribe": {"framework_info": {
            "user": "u", "name": "remote-test", "capabilities": [{"type": "PARTITION_AWARE"}]}}}
        sink.framework_id, sink.stream_id = self.master.subscribe(call, sink)
        return sink

    def call(self, sink: Sink, kind: str, body: dict) -> int:
        return self.master.handle({"type": kind, "framework_id": {"value": sink.framework_id},
                                   kind.lower(): body}, sink.stream_id)

    def launch(self, sink: Sink, offer: dict, task_id: str) -> None:
        task = {"task_id": {"value": task_id}, "agent_id": offer["agent_id"], "name": task_id,
                "command": {"value": "sleep"}, "resources": [
                    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}},
                    {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}}]}
        self.call(sink, "ACCEPT", {"offer_ids": [offer["id"]],
                                   "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}]})

    def ack(self, sink: Sink, status: dict) -> None:
        self.call(sink, "ACKNOWLEDGE", {"agent_id": status["agent_id"], "task_id": status["task_id"],
                                        "uuid": status["uuid"]})


def test_agent_joins_runs_a_task_and_updates_are_acknowledged_end_to_end():
    async def scenario() -> None:
        env = Env(free_port())
        master = await env.start_master()
        agent, port = env.agent("remote-a", asyncio.get_running_loop())
        agent.start()
        await until(lambda: "remote-a" in master.agents)
        assert port.connected_to == f"127.0.0.1:{env.port}" and port.registrations == 1
        sink = env.subscribe()
        await until(lambda: sink.offers())
        offer = sink.offers()[0]
        assert offer["hostname"] == "127.0.0.1" and offer["agent_id"]["value"] == "remote-a"
        env.launch(sink, offer, "t1")
        await until(lambda: sink.updates("t1"))
        running = sink.updates("t1")[0]
        assert running["state"] == "TASK_RUNNING"
        assert agent.pending_updates(sink.framework_id, "t1") != []
        env.ack(sink, running)
        await until(lambda: agent.pending_updates(sink.framework_id, "t1") == [])
        beats = master.agents["remote-a"].last_seen
        await until(lambda: master.agents["remote-a"].last_seen > beats)       # heartbeats over the link
        env.call(sink, "KILL", {"task_id": {"value": "t1"}})
        await until(lambda: sink.updates("t1")[-1]["state"] == "TASK_KILLED")
        agent.stop()
        await port.close()
        await until(lambda: master.agents["remote-a"].state == "unreachable")   # dropped stream: agent_exited
        await env.stop_master()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_agent_reregisters_with_its_live_tasks_after_the_master_restarts():
    async def scenario() -> None:
        env = Env(free_port())
        master = await env.start_master()
        agent, port = env.agent("remote-b", asyncio.get_running_loop())
        agent.start()
        await until(lambda: "remote-b" in master.agents)
        sink = env.subscribe()
        await until(lambda: sink.offers())
        env.launch(sink, sink.offers()[0], "t2")
        await until(lambda: sink.updates("t2"))
        env.ack(sink, sink.updates("t2")[0])
        await env.stop_master()
        assert agent.task_state(sink.framework_id, "t2") == "TASK_RUNNING"      # tasks outlive the master
        new_master = await env.start_master()
        await until(lambda: "remote-b" in new_master.agents and port.registrations >= 2)   # both sides (see below)
        assert port.registrations == 2
        handle = new_master.agents["remote-b"].handle
        assert [(f, s["task_id"]["value"], s["state"]) for f, s in handle.reregister_tasks()] == [
            (sink.framework_id, "t2", "TASK_RUNNING")]
        agent.stop()
        await port.close()
        await env.stop_master()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_a_second_registration_with_the_same_id_replaces_the_first_stream():
    async def scenario() -> None:
        env = Env(free_port())
        master = await env.start_master()
        loop = asyncio.get_running_loop()
        first, first_port = env.agent("remote-c", loop)
        first.start()
        await until(lambda: "remote-c" in env.link.handles)
        old = env.link.handles["remote-c"]
        first_port._break("test: drop the stream")     # the agent reconnects at once, same id
        await until(lambda: env.link.handles.get("remote-c") not in (None, old))
        assert old.sink.closed and master.agents["remote-c"].state == "active"
        await asyncio.sleep(0.5)
        assert master.agents["remote-c"].state == "active"   # the replaced stream did not report the agent lost
        first.stop()
        await first_port.close()
        await env.stop_master()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_a_deposed_master_releases_its_agents_and_redirects_them_to_the_leader():
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        first, second = Env(free_port()), Env(free_port())
        old_master = await first.start_master()
        new_master = await second.start_master()
        new_master.set_leading(False, ("127.0.0.1", first.port))
        backoff = CountingBackoff()
        agent, port = first.agent("remote-d", loop, backoff)  # its fixed master address is the first one
        agent.start()
        await until(lambda: "remote-d" in old_master.agents and port.registrations == 1)
        waits = backoff.waits
        new_master.set_leading(True)
        old_master.set_leading(False, ("127.0.0.1", second.port))
        # stream closed by the ping loop, 307, re-register; the master knows the agent as soon as the register
        # call arrives, a moment before the agent has read the answer and REGISTERED: wait for both
        await until(lambda: "remote-d" in new_master.agents and port.registrations >= 2)
        assert port.connected_to == f"127.0.0.1:{second.port}" and port.registrations == 2
        assert backoff.waits == waits + 1       # one wait before asking the old master; its 307 is followed at once
        assert "remote-d" not in first.link.handles
        agent.stop()
        await port.close()
        await first.stop_master()
        await second.stop_master()

    asyncio.run(asyncio.wait_for(scenario(), 30))
