"""End to end: LocalCluster (its process agents serve the executor API) + pymesos's scheduler driver
+ a custom executor (examples/executor) and a LAUNCH_GROUP pod under the bundled group executor."""
from __future__ import annotations

import inspect
import threading

import pytest

from executor_harness import ROOT
from executors.driver import _import_pymesos
from mesosframe.local.agents import ProcessAgent

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def wired(no_interrupt):
    """LocalCluster's ProcessAgent serves the executor API (ProcessAgent(executor_api=True), the default)."""
    assert "executor_api" in inspect.signature(ProcessAgent).parameters


def test_progress_example_through_local_cluster(wired, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "executor"))
    import run_progress
    assert run_progress.main(["--tasks", "2", "--steps", "2", "--timeout", "60"]) == 0
    out = capsys.readouterr().out
    assert out.count(": TASK_FINISHED 2 steps done") == 2
    assert '"progress": 1.0' in out and "all tasks finished" in out


class PodScheduler:
    """Launches one LAUNCH_GROUP of three tasks, one of which fails; records updates and FAILURE events."""

    def __init__(self) -> None:
        self.launched = False
        self.updates: list[tuple[str, str]] = []
        self.executor_lost: list[tuple[str, int]] = []
        self.done = threading.Event()

    def resourceOffers(self, driver, offers):
        offer = offers[0]
        for other in offers[1:]:
            driver.declineOffer(other["id"])
        if self.launched:
            driver.declineOffer(offer["id"], {"refuse_seconds": 3600})
            return
        self.launched = True
        cpus = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]
        executor = {"executor_id": {"value": "pod"}, "type": "DEFAULT", "framework_id": offer["framework_id"],
                    "resources": cpus}
        tasks = [{"task_id": {"value": name}, "name": name, "agent_id": offer["agent_id"], "resources": cpus,
                  "command": {"value": command}}
                 for name, command in (("a", "exec sleep 30"), ("b", "exec sleep 30"), ("c", "sleep 0.3; exit 2"))]
        driver.acceptOffers([offer["id"]], [{"type": "LAUNCH_GROUP", "launch_group": {
            "executor": executor, "task_group": {"tasks": tasks}}}])

    def statusUpdate(self, driver, update):
        self.updates.append((update["task_id"]["value"], update["state"]))

    def executorLost(self, driver, executor_id, agent_id, status):
        self.executor_lost.append((executor_id["value"], status))
        self.done.set()

    def frameworkMessage(self, driver, executor_id, agent_id, data):
        pass

    def error(self, driver, message):
        self.updates.append(("error", message))
        self.done.set()


def test_pod_failure_rule_and_executor_failure_event(wired):
    from mesosframe.local.cluster import LocalCluster
    pymesos = _import_pymesos()
    scheduler = type("PodScheduler", (PodScheduler, pymesos.interface.Scheduler), {})()
    with LocalCluster(agents=1) as cluster:
        driver = pymesos.MesosSchedulerDriver(scheduler, {"user": "", "name": "pod-test"}, cluster.master_address)
        driver.start()
        try:
            assert scheduler.done.wait(60), scheduler.updates
        finally:
            driver.stop()
            driver.join()
    final = {task: state for task, state in scheduler.updates}
    assert final == {"a": "TASK_KILLED", "b": "TASK_KILLED", "c": "TASK_FAILED"}, scheduler.updates
    assert scheduler.executor_lost == [("pod", 0)]
