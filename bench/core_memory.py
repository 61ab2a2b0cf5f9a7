"""Memory per task tracked by the core: N tasks launched through the Engine (FakeDriver-free, pure path)
and marked RUNNING; bytes allocated per task, measured with tracemalloc. Baseline: the same N tasks as
plain dicts of the TaskInfo JSON a naive framework would keep. Goal: <= 2 KB per task.

    python bench/core_memory.py [--tasks 10000]
"""
from __future__ import annotations

import argparse
import gc
import tracemalloc

from mesosframe.core.engine import Engine, EngineConfig
from mesosframe.core.events import OffersReceived, Subscribed, TaskStatusUpdated
from mesosframe.core.plugin import Demand, SchedulerPlugin
from mesosframe.tasks.builder import build_task_info
from mesosframe.tasks.spec import TaskSpec

SPEC = TaskSpec(name="t", command="sleep 1000", cpus=0.01, mem=1)


class Many(SchedulerPlugin):
    name = "bench"

    def __init__(self, n: int) -> None:
        self.keys = [f"t{i}" for i in range(n)]

    def demand(self, now):
        return [Demand(k, SPEC) for k in self.keys]

    def on_status(self, task, now):
        pass


def offer(i: int) -> dict:
    return {"id": {"value": f"O{i}"}, "agent_id": {"value": f"A{i}"}, "hostname": f"h{i}",
            "framework_id": {"value": "F"},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1000.0}, "role": "*"},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": 1e6}, "role": "*"}]}


def engine_bytes(n: int) -> int:
    plugin = Many(n)
    engine = Engine("bench", [plugin], config=EngineConfig(max_tasks_per_offer=n))
    engine.recover(None, [])
    engine.handle(Subscribed("F"), 0.0)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    engine.handle(OffersReceived(tuple(offer(i) for i in range(4))), 1.0)
    for task_id, record in list(engine.records.items()):
        engine.handle(TaskStatusUpdated({"task_id": {"value": task_id}, "state": "TASK_RUNNING",
                                         "agent_id": {"value": record.agent_id}}), 2.0)
    plugin.keys = []          # the plugin's own demand list is not the core's memory
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert len(engine.records) == n
    return sum(stat.size_diff for stat in after.compare_to(before, "filename"))


def naive_bytes(n: int) -> int:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    kept = {f"t{i}": build_task_info(SPEC, f"t{i}", "A0") for i in range(n)}
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert len(kept) == n
    return sum(stat.size_diff for stat in after.compare_to(before, "filename"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tasks", type=int, default=10_000)
    n = p.parse_args().tasks
    ours, naive = engine_bytes(n) / n, naive_bytes(n) / n
    print(f"core: {ours:.0f} bytes per tracked task (goal <= 2048)")
    print(f"baseline (TaskInfo dicts kept): {naive:.0f} bytes per task")
    print(f"ratio: {naive / ours:.2f}x less memory than keeping TaskInfos")


if __name__ == "__main__":
    main()
