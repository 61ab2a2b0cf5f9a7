"""A custom executor: runs several tasks as threads of one process and reports their progress to the
scheduler with framework messages.

A task's `data` is base64 of JSON `{"steps": 5, "step_seconds": 0.2}`. Each step sends the framework message
`{"task": id, "progress": k/steps}`; the last one ends the task with TASK_FINISHED. A KILL stops the task at
the next step (TASK_KILLED). A framework message `"report"` from the scheduler is answered with the progress
of every task. The agent starts it as `python examples/executor/progress_executor.py` (ExecutorInfo.command)
with the mesosframe checkout on PYTHONPATH.
"""
from __future__ import annotations

import base64
import json
import logging
import sys
import threading

from executors.driver import load_driver_class

log = logging.getLogger("examples.progress_executor")


class ProgressExecutor:
    """pymesos Executor callbacks. They run on the driver's IO thread, so each only starts or flags work."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.progress: dict[str, float] = {}
        self.stopping: dict[str, threading.Event] = {}
        self.done = threading.Event()

    def registered(self, driver, executor_info, framework_info, agent_info):
        log.info("registered on agent %s", agent_info["hostname"])

    def reregistered(self, driver, agent_info):
        log.info("re-registered")

    def disconnected(self, driver):
        log.warning("disconnected; unacknowledged updates are re-sent after re-subscribing")

    def launchTask(self, driver, task):
        task_id = task["task_id"]["value"]
        config = json.loads(base64.b64decode(task.get("data") or base64.b64encode(b"{}")))
        with self.lock:
            self.progress[task_id] = 0.0
            self.stopping[task_id] = threading.Event()
        threading.Thread(target=self.run, args=(driver, task_id, int(config.get("steps", 5)),
                                                float(config.get("step_seconds", 0.2))), daemon=True).start()

    def launchTaskGroup(self, driver, tasks):
        for task in tasks:
            self.launchTask(driver, task)

    def killTask(self, driver, task_id):
        with self.lock:
            event = self.stopping.get(task_id["value"])
        if event is not None:
            event.set()

    def frameworkMessage(self, driver, data):
        if base64.b64decode(data) == b"report":
            with self.lock:
                report = dict(self.progress)
            send_message(driver, {"report": report})

    def shutdown(self, driver):
        with self.lock:
            events = list(self.stopping.values())
        for event in events:
            event.set()

    def error(self, driver, message):
        log.error("error: %s", message)

    def run(self, driver, task_id: str, steps: int, step_seconds: float) -> None:
        update(driver, task_id, "TASK_RUNNING")
        stop = self.stopping[task_id]
        for step in range(1, steps + 1):
            if stop.wait(step_seconds):
                update(driver, task_id, "TASK_KILLED", "stopped at step %d of %d" % (step, steps))
                break
            with self.lock:
                self.progress[task_id] = step / steps
            send_message(driver, {"task": task_id, "progress": step / steps})
        else:
            update(driver, task_id, "TASK_FINISHED", "%d steps done" % steps)
        with self.lock:
            self.stopping.pop(task_id, None)
            if not self.stopping:
                self.done.set()


def update(driver, task_id: str, state: str, message: str = "") -> None:
    driver.sendStatusUpdate({"task_id": {"value": task_id}, "state": state, "message": message})


def send_message(driver, payload: dict) -> None:
    driver.sendFrameworkMessage(base64.b64encode(json.dumps(payload).encode()).decode())


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    executor = ProgressExecutor()
    driver = load_driver_class()(executor)
    driver.start()
    # Stop once every task has ended and its updates were acknowledged, or when the driver stops itself.
    while driver.is_running():
        if executor.done.wait(0.2) and not driver.unacknowledged():
            driver.stop()
            break
    driver.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
