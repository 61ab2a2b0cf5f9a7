"""End to end through LocalCluster and pymesos's driver: process and simulated agents, updates, kill, acks."""
from __future__ import annotations

import queue
import threading
import time

import pytest

pymesos = pytest.importorskip("pymesos")

from mesosframe.local.cluster import LocalCluster  # noqa: E402

RESOURCES = "cpus:2;mem:1024;disk:1024;ports:[31000-31010]"


def task_info(task_id, agent_id, **extra):
    return {"task_id": {"value": task_id}, "agent_id": {"value": agent_id}, "name": task_id,
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}], **extra}


class Framework(pymesos.Scheduler):
    """Launches each planned task on the first offer from its agent; records every status update."""

    def __init__(self, plans: dict[str, list[dict]]) -> None:
        self.plans = plans               # agent_id -> TaskInfos still to launch there
        self.updates: queue.Queue = queue.Queue()
        self.seen: dict[str, list[dict]] = {}
        self.lock = threading.Lock()

    def resourceOffers(self, driver, offers):
        for offer in offers:
            tasks = self.plans.pop(offer["agent_id"]["value"], None)
            if tasks:
                driver.launchTasks(offer["id"], tasks)
            else:
                driver.declineOffer(offer["id"], {"refuse_seconds": 1})

    def statusUpdate(self, driver, status):
        with self.lock:
            self.seen.setdefault(status["task_id"]["value"], []).append(status)

    def states(self, task_id):
        with self.lock:
            return [s["state"] for s in self.seen.get(task_id, [])]

    def wait(self, task_id, state, timeout=15.0):
        deadline = time.monotonic() + timeout
        while state not in self.states(task_id):
            assert time.monotonic() < deadline, f"{task_id}: {self.states(task_id)}"
            time.sleep(0.02)


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(agents=1, simulated_agents=1, agent_resources=RESOURCES, heartbeat_interval=1.0,
                      status_update_retry=(1.0, 2.0)) as cluster:
        yield cluster


def test_tasks_on_process_and_simulated_agents(cluster):
    process_agent, simulated_agent = cluster.agents
    pid, sid = process_agent.info.agent_id, simulated_agent.info.agent_id
    plans = {
        pid: [task_info("p-ok", pid, command={"value": 'echo "task=$MESOS_TASK_ID"'}),
              task_info("p-sleep", pid, command={"value": "sleep 60"},
                        kill_policy={"grace_period": {"nanoseconds": 500_000_000}})],
        sid: [task_info("s-done", sid, command={"value": "ignored"}, labels={"labels": [
            {"key": "mesosframe.sim/duration", "value": "0.2"}]})],
    }
    framework = Framework(plans)
    driver = pymesos.MesosSchedulerDriver(
        framework, {"user": "root", "name": "agents-e2e", "capabilities": [{"type": "TASK_KILLING_STATE"}]},
        cluster.master_address, use_addict=False, implicit_acknowledgements=True)
    driver.start()
    try:
        framework.wait("p-ok", "TASK_FINISHED")
        framework.wait("s-done", "TASK_FINISHED")
        framework.wait("p-sleep", "TASK_RUNNING")
        driver.killTask({"value": "p-sleep"})
        framework.wait("p-sleep", "TASK_KILLED")
        assert framework.states("p-ok") == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
        assert framework.states("s-done") == ["TASK_RUNNING", "TASK_FINISHED"]
        assert framework.states("p-sleep") == ["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]
        finished = framework.seen["p-ok"][-1]
        assert finished["message"] == "Command exited with status 0"
        assert finished["source"] == "SOURCE_EXECUTOR" and finished["executor_id"] == {"value": "p-ok"}
        container = finished["container_status"]["container_id"]["value"]
        sandbox = (process_agent.work_dir / "slaves" / pid / "frameworks" / driver.framework_id / "executors"
                   / "p-ok" / "runs" / container)
        assert (sandbox / "stdout").read_text() == "task=p-ok\n"
        # the driver acknowledged every update: the agents forget terminal tasks and re-send nothing
        deadline = time.monotonic() + 5
        while cluster.run(lambda: process_agent.task_count + simulated_agent.task_count) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        assert cluster.run(lambda: process_agent.task_count + simulated_agent.task_count) == 0
    finally:
        driver.stop()
        driver.join()


def test_partitioned_agent_delivers_held_updates_after_healing():
    with LocalCluster(agents=0, simulated_agents=1, agent_resources=RESOURCES, heartbeat_interval=1.0,
                      agent_heartbeat_interval=0.1, agent_ping_timeout=0.5,
                      status_update_retry=(0.5, 1.0)) as cluster:
        agent = cluster.agents[0]
        aid = agent.info.agent_id
        framework = Framework({aid: [task_info("s-1", aid, command={"value": "x"}, labels={"labels": [
            {"key": "mesosframe.sim/duration", "value": "1.5"}]})]})
        driver = pymesos.MesosSchedulerDriver(
            framework, {"user": "root", "name": "partition", "capabilities": [{"type": "PARTITION_AWARE"}]},
            cluster.master_address, use_addict=False, implicit_acknowledgements=True)
        driver.start()
        try:
            framework.wait("s-1", "TASK_RUNNING")
            cluster.run(agent.pause_heartbeats)
            framework.wait("s-1", "TASK_UNREACHABLE")                 # the master gave up on the agent
            deadline = time.monotonic() + 5
            while cluster.run(agent.task_state, driver.framework_id, "s-1") != "TASK_FINISHED":
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert "TASK_FINISHED" not in framework.states("s-1")     # held back by the partition
            cluster.run(agent.resume_heartbeats)
            framework.wait("s-1", "TASK_FINISHED")
            assert framework.states("s-1") == ["TASK_RUNNING", "TASK_UNREACHABLE", "TASK_FINISHED"]
        finally:
            driver.stop()
            driver.join()
