"""Master memory per simulated task (tracemalloc).

Measured: what the master allocates for N launched tasks that reached TASK_RUNNING (task records, agent and
framework indexes, latest status), with agents that do nothing (their memory is not counted). Baseline, in
the same run: the memory of the N TaskInfo JSON dicts the framework sent. Goal: <= 2 KB per task.
Run: `python bench/local_memory.py [--tasks 10000]`.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import os
import sys
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from local_offers import IdleAgent, EncodingSink  # noqa: E402

from mesosframe.core.clock import SystemClock  # noqa: E402
from mesosframe.local.master import Master, MasterOptions  # noqa: E402
from mesosframe.local.protocol import AgentInfo  # noqa: E402

AGENTS = 100
RESOURCES = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1000.0}},
             {"name": "mem", "type": "SCALAR", "scalar": {"value": 1_000_000.0}}]


def task_info(index: int, agent_id: str) -> dict:
    return {"task_id": {"value": f"app.instance-{index:06d}"}, "agent_id": {"value": agent_id},
            "name": f"app-{index}", "command": {"value": "sleep 3600"},
            "labels": {"labels": [{"key": "mesosframe.sim/healthy", "value": "true"}]},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.01}},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": 1.0}}]}


def launch_all(master: Master, framework_id: str, sink, tasks: int) -> None:
    """Accept every offer with an equal share of tasks, then report each task RUNNING."""
    per_agent = tasks // AGENTS
    offers = [o for o in list(master.offers.values())]
    index = 0
    for offer in offers:
        infos = [task_info(index + i, offer.agent_id) for i in range(per_agent)]
        index += per_agent
        master.handle({"type": "ACCEPT", "framework_id": {"value": framework_id},
                       "accept": {"offer_ids": [{"value": offer.offer_id}],
                                  "operations": [{"type": "LAUNCH", "launch": {"task_infos": infos}}]}},
                      sink.stream_id)
    for fw in master.frameworks.values():
        for task in list(fw.tasks.values()):
            uuid = base64.b64encode(os.urandom(16)).decode()
            master.status_update(task.agent_id, fw.framework_id, {
                "task_id": {"value": task.task_id}, "agent_id": {"value": task.agent_id},
                "state": "TASK_RUNNING", "source": "SOURCE_EXECUTOR", "healthy": True,
                "timestamp": 1.0, "uuid": uuid, "executor_id": {"value": task.task_id}})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    args = parser.parse_args()
    print(f"local_memory: {args.tasks} tasks on {AGENTS} agents ...", flush=True)
    loop = asyncio.new_event_loop()
    master = Master(MasterOptions(), loop=loop, clock=SystemClock(), master_id="mem")
    for i in range(AGENTS):
        master.register_agent(IdleAgent(AgentInfo(agent_id=f"mem-S{i}", hostname=f"h{i}", resources=RESOURCES)))
    sink = EncodingSink()
    _, sink.stream_id = master.subscribe(
        {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "b", "name": "b"}}}, sink)
    framework_id = next(iter(master.frameworks))
    master.allocator.allocate()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    launch_all(master, framework_id, sink, args.tasks)
    gc.collect()
    after = tracemalloc.take_snapshot()
    used = sum(s.size_diff for s in after.compare_to(before, "filename"))
    tracemalloc.stop()
    launched = len(master.frameworks[framework_id].tasks)
    assert launched == args.tasks, launched
    tracemalloc.start()
    infos = [task_info(i, "mem-S0") for i in range(args.tasks)]
    baseline = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del infos
    per_task, per_info = used / launched, baseline / args.tasks
    print(f"local_memory: tasks={launched} master={per_task:.0f} B/task TaskInfo-dict baseline="
          f"{per_info:.0f} B/task ratio={per_task / per_info:.2f}  (goal <= 2048 B/task)", flush=True)
    loop.close()


if __name__ == "__main__":
    main()
