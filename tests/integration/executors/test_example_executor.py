"""examples/executor/progress_executor.py as a real process under ExecutorHost."""
from __future__ import annotations

import base64
import json
import sys

import pytest

from executor_harness import FRAMEWORK, ROOT, wait_for

pytestmark = pytest.mark.timeout(60)

EXECUTOR = {"executor_id": {"value": "progress"}, "type": "CUSTOM",
            "command": {"value": f"exec {sys.executable} {ROOT / 'examples/executor/progress_executor.py'}"}}


def task(task_id: str, steps: int) -> dict:
    data = base64.b64encode(json.dumps({"steps": steps, "step_seconds": 0.05}).encode()).decode()
    return {"task_id": {"value": task_id}, "name": task_id, "executor": EXECUTOR, "data": data}


def test_tasks_in_one_process_report_progress_and_finish(harness_factory):
    h = harness_factory()
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [task("p1", 2), task("p2", 3)], False)
    assert h.wait_state("p1", "TASK_FINISHED")["message"] == "2 steps done"
    assert h.wait_state("p2", "TASK_FINISHED")["message"] == "3 steps done"
    progress = [json.loads(m[3]) for m in h.master.messages]
    assert {"task": "p2", "progress": 1.0} in progress
    assert sorted(p["progress"] for p in progress if p.get("task") == "p1") == [0.5, 1.0]
    wait_for(lambda: h.master.exited, what="the executor exits when its tasks are done")
    assert h.master.exited == [("agent-1", "fw-1", "progress", 0)]
