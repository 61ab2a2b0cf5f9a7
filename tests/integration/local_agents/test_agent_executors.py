"""ProcessAgent with the v1 executor API: LAUNCH_GROUP under the bundled default executor over real HTTP,
custom executors refused when the API is off, executor tasks with images refused, the port in AgentInfo."""
from __future__ import annotations

import pytest

FRAMEWORK = {"id": {"value": "fw-1"}, "name": "t", "roles": ["web"]}
CPUS = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]
IMAGE = {"type": "MESOS", "mesos": {"image": {"type": "DOCKER", "docker": {"name": "busybox"}}}}

pytestmark = pytest.mark.timeout(60)


def task(task_id: str, command: str, **extra) -> dict:
    return {"task_id": {"value": task_id}, "name": task_id, "agent_id": {"value": "S1"}, "resources": CPUS,
            "command": {"value": command}, **extra}


def default_executor(executor_id: str = "pod", **extra) -> dict:
    return {"executor_id": {"value": executor_id}, "type": "DEFAULT", "framework_id": {"value": "fw-1"},
            "resources": CPUS, **extra}


def test_start_serves_the_executor_api_on_the_agent_port(harness):
    port = harness.agent.info.port
    assert port not in (0, 5051)
    assert harness.agent.executors.endpoint == f"127.0.0.1:{port}"


def test_launch_group_runs_under_the_default_executor(harness):
    tasks = [task("a", "echo hi > out"), task("b", "exit 3")]
    harness.agent.launch_tasks(FRAMEWORK, tasks, default_executor())
    final_a = harness.until_terminal("a", timeout=30)
    final_b = harness.until_terminal("b", timeout=30)
    assert final_a["state"] == "TASK_FINISHED" and "TASK_RUNNING" in harness.master.states("a")
    assert final_b["state"] == "TASK_FAILED"
    assert final_a["executor_id"] == {"value": "pod"} and final_a["source"] == "SOURCE_EXECUTOR"
    harness.run_until(lambda: harness.agent.task_count == 0, timeout=30)   # acknowledged, then forgotten


def test_kill_reaches_the_executor(harness):
    harness.agent.launch_tasks(FRAMEWORK, [task("s", "exec sleep 30")], default_executor())
    harness.run_until(lambda: "TASK_RUNNING" in harness.master.states("s"), timeout=30)
    harness.agent.kill_task("fw-1", "s")
    assert harness.until_terminal("s", timeout=30)["state"] == "TASK_KILLED"


def test_custom_executors_refused_when_the_api_is_off(make_agent_harness):
    harness = make_agent_harness(executor_api=False)
    custom = task("t1", "true", executor={"executor_id": {"value": "e1"}, "command": {"value": "x"}})
    harness.agent.launch_tasks(FRAMEWORK, [custom])
    harness.agent.launch_tasks(FRAMEWORK, [task("t2", "true")], default_executor())
    for task_id in ("t1", "t2"):
        final = harness.until_terminal(task_id)
        assert harness.master.states(task_id) == ["TASK_FAILED"]
        assert final["reason"] == "REASON_EXECUTOR_UNREGISTERED" and "not supported" in final["message"]
    assert harness.agent.executors is None and harness.agent.info.port == 5051


@pytest.mark.parametrize("executor_extra, task_extra", [({"container": IMAGE}, {}), ({}, {"container": IMAGE})])
def test_executor_tasks_with_images_are_refused(harness, executor_extra, task_extra):
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", "true", **task_extra)], default_executor(**executor_extra))
    final = harness.until_terminal("t1")
    assert harness.master.states("t1") == ["TASK_FAILED"]
    assert final["reason"] == "REASON_CONTAINER_LAUNCH_FAILED" and "not supported" in final["message"]
    assert harness.agent.executors.state("fw-1", "pod") is None, "no executor was started"
