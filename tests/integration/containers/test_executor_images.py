"""Custom executors inside a container image (ExecutorInfo.container: MESOS with a DOCKER image).

The image is busybox plus `lib`/`lib64` symlinks into `/usr`; the host's Python runtime comes in through
read-only HOST_PATH volumes (`/usr`, `sys.base_prefix`, the checkout with its venv), so the real pymesos-based
`examples/executor/progress_executor.py` runs inside and talks to the agent's executor API over the host
network. Tests that run containers are skipped, with the runtime probe's reasons, where the machine lacks
root, runc, namespaces or cgroup v1; the refusal and pure tests run everywhere.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mesosframe.local.agents import ContainerOptions
from mesosframe.local.cluster import LocalCluster
from mesosframe.local.containers import ContainerRuntime
from mesosframe.local.containers.cgroups import cgroup_layout
from mesosframe.local.executors import ExecutorLaunchSpec, ExecutorState, container_task
from mesosframe.testing.images import LayerBuilder, busybox_layer, image_config, write_image
import container_checks  # noqa: E402  (shared helpers beside this file)
from container_checks import container_options, leftovers, pymesos_driver  # noqa: E402  (shared helpers)

PROBE = ContainerRuntime().probe()
needs_runtime = pytest.mark.skipif(not PROBE.usable, reason="; ".join(PROBE.reasons))
ROOT = Path(__file__).resolve().parents[3]
FRAMEWORK = {"id": {"value": "fw-1"}, "name": "t", "roles": ["*"]}
TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_GONE"}
IMAGE = {"type": "MESOS", "mesos": {"image": {"type": "DOCKER", "docker": {"name": "pyhost"}}}}


def scalars(cpus: float, mem: float) -> list[dict]:
    return [{"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}]


def python_volumes() -> list[dict]:
    """Read-only HOST_PATH volumes that bring this interpreter, its venv and the checkout into the image."""
    paths = ["/usr", sys.base_prefix, str(ROOT), sys.prefix]
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return [{"container_path": p, "mode": "RO", "source": {"type": "HOST_PATH", "host_path": {"path": p}}}
            for p in kept]


def progress_executor(executor_id: str = "progress", mem: float = 64) -> dict:
    """The example executor in the image; first records its hostname and pid in $MESOS_SANDBOX."""
    script = ROOT / "examples" / "executor" / "progress_executor.py"
    command = (f'hostname > "$MESOS_SANDBOX/hostname"; echo $$ > "$MESOS_SANDBOX/pid"; '
               f"exec {sys.prefix}/bin/python {script}")
    return {"executor_id": {"value": executor_id}, "name": executor_id, "framework_id": FRAMEWORK["id"],
            "command": {"value": command, "environment": {"variables": [{"name": "PYTHONPATH", "value": str(ROOT)}]}},
            "container": {**IMAGE, "volumes": python_volumes()}, "resources": scalars(0.1, mem)}


def progress_task(task_id: str, steps: int, step_seconds: float, executor: dict) -> dict:
    data = base64.b64encode(json.dumps({"steps": steps, "step_seconds": step_seconds}).encode()).decode()
    return {"task_id": {"value": task_id}, "name": task_id, "agent_id": {"value": "S1"}, "data": data,
            "executor": executor, "resources": scalars(0.1, 32)}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("registry")
    links = LayerBuilder().symlink("lib", "usr/lib").symlink("lib64", "usr/lib64")
    write_image(directory, "pyhost:latest", [busybox_layer().to_bytes(), links.to_bytes()], image_config())
    return directory


@pytest.fixture
def options(store, tmp_path):
    with container_options(store, tmp_path, "exec-test", PROBE.usable) as made:
        yield made


@pytest.fixture
def no_interrupt(monkeypatch):
    """pymesos interrupts the main thread when its IO thread dies; keep that from killing the test run."""
    import pymesos.process
    monkeypatch.setattr(pymesos.process.thread, "interrupt_main", lambda *a: None)


class AgentHarness(container_checks.AgentHarness):
    timeout = 20.0      # executors start a Python interpreter inside the container


@pytest.fixture
def harness(tmp_path, options):
    made = AgentHarness(tmp_path, options)
    yield made
    if not made.loop.is_closed():
        made.stop()


def spec(info: dict) -> ExecutorLaunchSpec:
    return ExecutorLaunchSpec(executable="/host/python", argv=["/host/python", "-m", "executors.group"], env={},
                              cwd=Path("/sb"), stdout=Path("/sb/stdout"), stderr=Path("/sb/stderr"),
                              container_id="c1", executor_info=info, resources=tuple(scalars(1, 96)))


@pytest.mark.parametrize("info, command", [
    ({"type": "CUSTOM", "command": {"value": "run-me"}}, {"value": "run-me"}),
    ({"type": "CUSTOM", "command": {"shell": False, "arguments": ["x"]}}, {"shell": False, "arguments": ["x"]}),
    ({"type": "DEFAULT"}, {"shell": False, "value": "/host/python",
                           "arguments": ["/host/python", "-m", "executors.group"], "environment": {}}),
])
def test_container_task_command(info, command):
    task = container_task(spec({**info, "executor_id": {"value": "e"}, "container": IMAGE}))
    assert task["command"] == command
    assert task["container"] == IMAGE and task["resources"] == scalars(1, 96)


@pytest.mark.parametrize("with_options, expected", [(False, "--containers --image-store"), (True, "runc not found")])
def test_image_executors_refused_without_a_usable_runtime(tmp_path, store, with_options, expected):
    options = ContainerOptions(image_store=store, runc="/nonexistent/runc") if with_options else None
    harness = AgentHarness(tmp_path, options)
    try:
        harness.agent.launch_tasks(FRAMEWORK, [progress_task("t1", 1, 0.1, progress_executor())])
        final = harness.until_state("t1", TERMINAL)
        assert harness.master.states("t1") == ["TASK_FAILED"]
        assert final["reason"] == "REASON_CONTAINER_LAUNCH_FAILED" and final["source"] == "SOURCE_AGENT"
        assert "executors with a container image are not supported here" in final["message"]
        assert expected in final["message"]
        assert harness.agent.executors.state("fw-1", "progress") is None, "no executor was started"
    finally:
        harness.stop()


@pytest.mark.root
@needs_runtime
@pytest.mark.timeout(60)
class TestExecutorInImage:
    def start(self, harness, steps: int, step_seconds: float = 0.05, executor_id: str = "progress"):
        executor = progress_executor(executor_id)
        harness.agent.launch_tasks(FRAMEWORK, [progress_task("t1", steps, step_seconds, executor)])
        sandbox = harness.agent.executors.sandbox_of("fw-1", executor_id)   # known from launch on
        harness.until_state("t1", {"TASK_RUNNING"} | TERMINAL)
        return sandbox, sandbox.name

    def test_runs_a_task_isolated_and_is_destroyed_after_exit(self, harness, options):
        sandbox, container_id = self.start(harness, steps=3)
        limit = cgroup_layout().v1["memory"] / options.cgroup_root / container_id / "memory.limit_in_bytes"
        assert int(limit.read_text()) == (64 + 32) * 2**20, "executor + task memory"
        final = harness.until_state("t1", TERMINAL)
        assert final["state"] == "TASK_FINISHED" and final["message"] == "3 steps done"
        assert harness.master.states("t1", unique=True) == ["TASK_RUNNING", "TASK_FINISHED"]
        messages = [json.loads(args[3]) for args in harness.calls("executor_message")]
        assert {"task": "t1", "progress": 1.0} in messages
        assert (sandbox / "hostname").read_text().strip() not in ("", socket.gethostname())
        assert (sandbox / "pid").read_text().strip() == "1"
        harness.run_until(lambda: harness.calls("executor_exited"))   # it stops once its updates are acked
        assert harness.calls("executor_exited")[0][3] == 0
        harness.run_until(lambda: leftovers(options, container_id) == [])

    def test_executor_death_fails_its_tasks_and_destroys_the_container(self, harness, options):
        _, container_id = self.start(harness, steps=1000)
        state = json.loads(subprocess.run(options.runtime().runc_command("state", container_id),
                                          capture_output=True, text=True, timeout=10).stdout)
        os.kill(state["pid"], signal.SIGKILL)
        final = harness.until_state("t1", TERMINAL)
        assert (final["state"], final["reason"]) == ("TASK_LOST", "REASON_EXECUTOR_TERMINATED")
        harness.run_until(lambda: harness.calls("executor_exited"))
        harness.run_until(lambda: leftovers(options, container_id) == [])

    def test_shutdown_kills_its_tasks_and_destroys_the_container(self, harness, options):
        _, container_id = self.start(harness, steps=1000)
        harness.agent.shutdown_executor("fw-1", "progress")
        # the example's pymesos driver aborts right after its shutdown callback, usually before its TASK_KILLED
        assert harness.until_state("t1", TERMINAL)["state"] in ("TASK_KILLED", "TASK_LOST")
        harness.run_until(lambda: harness.agent.executors.state("fw-1", "progress") is None)
        harness.run_until(lambda: leftovers(options, container_id) == [])

    def test_agent_stop_leaves_nothing_behind(self, harness, options):
        _, container_id = self.start(harness, steps=1000)
        assert harness.agent.executors.state("fw-1", "progress") is ExecutorState.REGISTERED
        harness.agent.stop()
        assert leftovers(options, container_id) == [], "destroyed before stop() returns"
        harness.loop.run_until_complete(asyncio.wait_for(harness.agent.wait_stopped(), 20))
        harness.loop.close()

    def test_task_group_runs_under_the_default_executor_in_the_image(self, harness, options):
        executor = {"executor_id": {"value": "pod"}, "type": "DEFAULT", "framework_id": FRAMEWORK["id"],
                    "container": {**IMAGE, "volumes": python_volumes()}, "resources": scalars(0.1, 64)}
        tasks = [{"task_id": {"value": name}, "name": name, "agent_id": {"value": "S1"},
                  "resources": scalars(0.1, 16), "command": {"value": command}}
                 for name, command in (("inside", "test ! -e /etc/debian_version"), ("fails", "exit 3"))]
        assert Path("/etc/debian_version").exists(), "the host file the image lacks"
        harness.agent.launch_tasks(FRAMEWORK, tasks, executor)
        container_id = harness.agent.executors.sandbox_of("fw-1", "pod").name
        assert harness.until_state("inside", TERMINAL)["state"] == "TASK_FINISHED"
        assert harness.until_state("fails", TERMINAL)["state"] == "TASK_FAILED"
        harness.run_until(lambda: harness.calls("executor_exited"))
        harness.run_until(lambda: leftovers(options, container_id) == [])

    def test_missing_image_fails_the_launch(self, harness, options):
        executor = progress_executor()
        executor["container"] = {**executor["container"], "mesos": {"image": {"type": "DOCKER",
                                                                              "docker": {"name": "nothere"}}}}
        harness.agent.launch_tasks(FRAMEWORK, [progress_task("t1", 1, 0.1, executor)])
        final = harness.until_state("t1", TERMINAL)
        assert (final["state"], final["reason"]) == ("TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED")
        assert "nothere" in final["message"] and str(options.image_store) in final["message"]


@pytest.mark.root
@needs_runtime
@pytest.mark.timeout(90)
def test_through_local_cluster_and_pymesos(options, no_interrupt):
    """pymesos's scheduler driver launches a task on the example executor in its image via LocalCluster."""
    from executors.driver import _import_pymesos
    pymesos = _import_pymesos()

    class Framework(pymesos.Scheduler):
        def __init__(self):
            self.launched, self.lock = False, threading.Lock()
            self.states: list[dict] = []
            self.messages: list[dict] = []
            self.finished = threading.Event()

        def resourceOffers(self, driver, offers):
            for offer in offers:
                if self.launched:
                    driver.declineOffer(offer["id"], {"refuse_seconds": 60})
                    continue
                self.launched = True
                executor = dict(progress_executor(), framework_id=offer["framework_id"])
                task = dict(progress_task("p1", 2, 0.05, executor), agent_id=offer["agent_id"])
                driver.launchTasks(offer["id"], [task])

        def statusUpdate(self, driver, status):
            with self.lock:
                self.states.append(status)
            if status["state"] in TERMINAL:
                self.finished.set()

        def frameworkMessage(self, driver, executor_id, agent_id, data):
            with self.lock:
                self.messages.append(json.loads(base64.b64decode(data)))

    framework = Framework()
    with LocalCluster(agents=1, agent_resources="cpus:2;mem:1024;disk:1024", heartbeat_interval=1.0,
                      containers=options) as cluster:
        with pymesos_driver(framework, "executor-images", cluster):
            assert framework.finished.wait(60), framework.states
    final = framework.states[-1]
    assert (final["state"], final["message"]) == ("TASK_FINISHED", "2 steps done")
    assert {"task": "p1", "progress": 1.0} in framework.messages
