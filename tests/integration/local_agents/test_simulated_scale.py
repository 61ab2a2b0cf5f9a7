"""10,000 simulated agents and 10,000 tasks on one real loop: cheap to launch, one heartbeat timer."""
from __future__ import annotations

import asyncio
import time
import tracemalloc

from mesosframe.core.clock import SystemClock
from mesosframe.local.agents import SimulatedAgent
from mesosframe.local.agents.recording import RecordingMaster
from mesosframe.local.protocol import AgentInfo

N = 10_000
FRAMEWORK = {"id": {"value": "fw-1"}}


def test_ten_thousand_agents_and_tasks():
    loop = asyncio.new_event_loop()
    try:
        master = RecordingMaster(auto_ack=True)
        clock = SystemClock()
        agents = [SimulatedAgent(master, AgentInfo(f"S{i}", f"sim-{i}.local", kind="simulated"), loop=loop,
                                 clock=clock, heartbeat_interval=0.2) for i in range(N)]
        for agent in agents:
            agent.start()
        tasks = [{"task_id": {"value": f"t{i}"}, "name": "t", "labels": {"labels": [
            {"key": "mesosframe.sim/duration", "value": "0.1"}]}} for i in range(N)]
        started = time.process_time()
        for agent, task in zip(agents, tasks):
            agent.launch_tasks(FRAMEWORK, [task])
        launch_cpu = time.process_time() - started
        print(f"\nlaunch_cpu_s={launch_cpu:.3f}")
        assert launch_cpu < 1.5        # ~0.2 s on an idle 2-core machine; margin for a shared one
        live_timers = sum(not handle.cancelled() for handle in loop._scheduled)
        assert live_timers == N + 1          # one end timer per task + one heartbeat timer (updates acked)
        loop.run_until_complete(asyncio.sleep(0.5))
        assert len(master.updates) == 2 * N
        assert {s["state"] for _, _, s in master.updates[N:]} == {"TASK_FINISHED"}
        assert all(agent.task_count == 0 for agent in agents)             # terminal + acked -> forgotten
        assert 2 <= master.heartbeats["S0"] <= 3 and master.heartbeats[f"S{N - 1}"] == master.heartbeats["S0"]
        for agent in agents:
            agent.stop()
        assert not loop._scheduled or all(h.cancelled() for h in loop._scheduled)
    finally:
        loop.close()


def test_per_agent_and_per_task_memory_is_small():
    loop = asyncio.new_event_loop()
    try:
        master = RecordingMaster()
        master.status_update = lambda *args: None
        clock = SystemClock()
        infos = [AgentInfo(f"S{i}", f"sim-{i}") for i in range(1000)]
        tasks = [{"task_id": {"value": f"t{i}"}, "name": "t"} for i in range(1000)]
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        agents = [SimulatedAgent(master, info, loop=loop, clock=clock) for info in infos]
        for agent in agents:
            agent.start()
        after_agents = tracemalloc.get_traced_memory()[0]
        for agent, task in zip(agents, tasks):
            agent.launch_tasks(FRAMEWORK, [task])
        after_tasks = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        per_agent, per_task = (after_agents - before) / 1000, (after_tasks - after_agents) / 1000
        print(f"\nbytes_per_agent={per_agent:.0f} bytes_per_task={per_task:.0f}")
        assert per_agent < 2000 and per_task < 3000     # task incl. its pending update and retry timer
        for agent in agents:
            agent.stop()
    finally:
        loop.close()
