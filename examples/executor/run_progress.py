"""Run tasks under the custom `progress_executor.py` and print the progress messages it sends.

    python examples/executor/run_progress.py --tasks 3            # embedded local cluster
    python examples/executor/run_progress.py --master 10.0.0.5:5050

All tasks go to one executor (same ExecutorInfo) on the first offer that fits them; the scheduler prints every
framework message and every terminal state, and exits when all tasks have ended. It uses pymesos's scheduler
driver directly, to show the executor side of the protocol without the mesosframe core.
"""
from __future__ import annotations

import base64
import json
import os
import pathlib
import sys
import threading

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))            # examples/_cluster.py
sys.path.insert(0, str(HERE.parent.parent))     # mesosframe, executors

from _cluster import master_from, parser  # noqa: E402
from executors.driver import _import_pymesos  # noqa: E402

TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE"}


def executor_info() -> dict:
    command = f"exec {sys.executable} {HERE / 'progress_executor.py'}"
    return {"executor_id": {"value": "progress"}, "type": "CUSTOM", "name": "progress executor",
            "command": {"value": command, "environment": {"variables": [
                {"name": "PYTHONPATH", "value": str(HERE.parent.parent)}]}},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}}]}


class ProgressScheduler:
    """pymesos Scheduler callbacks for the example."""

    def __init__(self, count: int, steps: int) -> None:
        self.pending = [f"progress-{i}" for i in range(count)]
        self.left = set(self.pending)
        self.steps = steps
        self.finished = threading.Event()
        self.failed: list[str] = []

    def resourceOffers(self, driver, offers):
        for offer in offers:
            if not self.pending:
                driver.declineOffer(offer["id"], {"refuse_seconds": 3600})
                continue
            tasks = [{"task_id": {"value": task_id}, "name": task_id, "agent_id": offer["agent_id"],
                      "executor": executor_info(),
                      "data": base64.b64encode(json.dumps({"steps": self.steps, "step_seconds": 0.2})
                                               .encode()).decode(),
                      "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]}
                     for task_id in self.pending]
            self.pending = []
            driver.launchTasks(offer["id"], tasks)

    def statusUpdate(self, driver, update):
        task_id, state = update["task_id"]["value"], update["state"]
        if state in TERMINAL and task_id in self.left:
            print(f"{task_id}: {state} {update.get('message', '')}".rstrip(), flush=True)
            self.left.discard(task_id)
            if state != "TASK_FINISHED":
                self.failed.append(task_id)
            if not self.left:
                self.finished.set()

    def frameworkMessage(self, driver, executor_id, agent_id, data):
        print("message:", base64.b64decode(data).decode(), flush=True)

    def error(self, driver, message):
        print("error:", message, flush=True)
        self.failed.append(message)
        self.finished.set()


def main(argv=None) -> int:
    p = parser(__doc__)
    p.add_argument("--tasks", type=int, default=3)
    p.add_argument("--steps", type=int, default=4)
    args = p.parse_args(argv)
    pymesos = _import_pymesos()
    # pymesos calls every Scheduler callback; its base class gives no-op defaults for the ones not used here
    scheduler_class = type("ProgressScheduler", (ProgressScheduler, pymesos.interface.Scheduler), {})
    scheduler = scheduler_class(args.tasks, args.steps)
    with master_from(args.master, args.verbose) as master:
        framework = {"user": os.environ.get("USER", ""), "name": "progress-example", "failover_timeout": 0.0}
        driver = pymesos.MesosSchedulerDriver(scheduler, framework, master, use_addict=False)
        driver.start()
        done = scheduler.finished.wait(args.timeout)
        driver.stop()
        driver.join()
    ok = done and not scheduler.failed
    print("all tasks finished" if ok else f"not done: {scheduler.failed or 'timeout'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
