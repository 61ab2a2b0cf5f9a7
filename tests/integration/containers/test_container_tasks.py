"""Image tasks through a ProcessAgent (RecordingMaster fake): real containers, status mapping, kills, cleanup.

The tests that run containers are skipped, with the runtime probe's reasons, where the machine lacks root,
runc, namespaces or cgroup v1; the refusal tests run everywhere.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from mesosframe.local.agents import ContainerOptions
from mesosframe.local.containers import ContainerRuntime
from mesosframe.local.cluster import LocalCluster
from mesosframe.local.containers.cgroups import cgroup_layout
from mesosframe.testing.images import build_busybox_image
from container_checks import (AgentHarness, container_options, leftovers,  # noqa: E402  (shared helpers)
                              pymesos_driver)

PROBE = ContainerRuntime().probe()
needs_runtime = [pytest.mark.root, pytest.mark.skipif(not PROBE.usable, reason="; ".join(PROBE.reasons))]
FRAMEWORK = {"id": {"value": "fw-1"}, "name": "t", "roles": ["web"]}
KILLING_FRAMEWORK = {**FRAMEWORK, "capabilities": [{"type": "TASK_KILLING_STATE"}]}
TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST"}


def image_task(task_id: str, command: str, *, image: str = "busybox", mem: float = 32, volumes=None,
               **extra) -> dict:
    container = {"type": "MESOS", "mesos": {"image": {"type": "DOCKER", "docker": {"name": image}}}}
    if volumes:
        container["volumes"] = volumes
    return {"task_id": {"value": task_id}, "name": task_id, "agent_id": {"value": "S1"},
            "command": {"value": command}, "container": container,
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}], **extra}


def grace(seconds: float) -> dict:
    return {"grace_period": {"nanoseconds": int(seconds * 1e9)}}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("registry")
    build_busybox_image(directory, "busybox:latest")
    return directory


@pytest.fixture
def options(store, tmp_path):
    with container_options(store, tmp_path, "agent-test", PROBE.usable) as made:
        yield made


@pytest.fixture
def harness(tmp_path, options):
    made = AgentHarness(tmp_path, options)
    yield made
    if not made.loop.is_closed():
        made.stop()


@pytest.mark.parametrize("with_options", [False, True])
def test_agent_without_runtime_refuses_image_tasks(tmp_path, store, caplog, with_options):
    options = ContainerOptions(image_store=store, runc="/nonexistent/runc") if with_options else None
    caplog.set_level(logging.INFO, logger="mesosframe.local.agents.process")
    harness = AgentHarness(tmp_path, options)
    try:
        harness.agent.launch_tasks(FRAMEWORK, [image_task("t1", "true")])
        final = harness.until_state("t1", TERMINAL)
        assert harness.master.states("t1") == ["TASK_FAILED"]
        assert final["reason"] == "REASON_CONTAINER_LAUNCH_FAILED" and final["source"] == "SOURCE_AGENT"
        if with_options:
            assert harness.agent.container_probe is not None and not harness.agent.container_probe.usable
            assert "runc not found" in final["message"]
            assert "containers_unavailable" in caplog.text and "runc not found" in caplog.text
        else:
            assert harness.agent.container_probe is None
            assert "--containers --image-store" in final["message"]
            assert "containers_disabled" in caplog.text
    finally:
        harness.stop()


class TestContainers:
    pytestmark = needs_runtime

    def test_isolation_sandbox_and_environment(self, harness):
        script = ("hostname; echo pid=$$; echo $MESOS_SANDBOX $MESOS_TASK_ID $MESOS_FRAMEWORK_ID; "
                  "echo written > $MESOS_SANDBOX/from-container")
        harness.agent.launch_tasks(FRAMEWORK, [image_task("t1", script)])
        final = harness.until_state("t1", TERMINAL)
        assert harness.master.states("t1") == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"], final
        sandbox = harness.sandbox("t1")
        hostname, pid, env = (sandbox / "stdout").read_text().splitlines()
        assert hostname != socket.gethostname() and hostname == harness.container_id("t1")
        assert pid == "pid=1"
        assert env == "/mnt/mesos/sandbox t1 fw-1"
        assert (sandbox / "from-container").read_text() == "written\n"
        assert isinstance(final["container_status"]["executor_pid"], int)
        assert final["message"] == "Command exited with status 0"

    def test_plain_tasks_still_run_on_the_host(self, harness):
        harness.agent.launch_tasks(FRAMEWORK, [{"task_id": {"value": "p1"}, "name": "p1",
                                                "agent_id": {"value": "S1"}, "command": {"value": "hostname"}}])
        assert harness.until_state("p1", TERMINAL)["state"] == "TASK_FINISHED"
        assert (harness.sandbox("p1") / "stdout").read_text().strip() == socket.gethostname()

    @pytest.mark.parametrize("command, state, message", [
        ("exit 3", "TASK_FAILED", "Command exited with status 3"),
        ("echo out; exit 0", "TASK_FINISHED", "Command exited with status 0"),
    ])
    def test_exits_map_as_for_processes(self, harness, command, state, message):
        harness.agent.launch_tasks(FRAMEWORK, [image_task("t1", command)])
        final = harness.until_state("t1", TERMINAL)
        assert (final["state"], final["message"], final.get("reason")) == (state, message, None)

    def test_memory_hog_fails_with_memory_limitation(self, harness):
        harness.agent.launch_tasks(FRAMEWORK, [image_task("t1", 'x=0123456789; while true; do x="$x$x"; done',
                                                          mem=16)])
        final = harness.until_state("t1", TERMINAL, timeout=30)
        assert final["state"] == "TASK_FAILED"
        assert final["reason"] == "REASON_CONTAINER_LIMITATION_MEMORY"
        assert "Memory limit exceeded" in final["message"]

    def test_read_only_volume_cannot_be_written(self, harness, tmp_path):
        host = tmp_path / "ro"
        host.mkdir()
        (host / "given").write_text("hello\n")
        volumes = [{"container_path": "/ro", "host_path": str(host), "mode": "RO"}]
        script = "cat /ro/given; if touch /ro/new 2>/dev/null; then echo writable; else echo refused; fi"
        harness.agent.launch_tasks(FRAMEWORK, [image_task("t1", script, volumes=volumes)])
        assert harness.until_state("t1", TERMINAL)["state"] == "TASK_FINISHED"
        assert (harness.sandbox("t1") / "stdout").read_text() == "hello\nrefused\n"
        assert not (host / "new").exists()

    def test_missing_image_names_image_and_store(self, harness, options):
        harness.agent.launch_tasks(FRAMEWORK, [image_task("t1", "true", image="nosuch:1")])
        final = harness.until_state("t1", TERMINAL)
        assert harness.master.states("t1") == ["TASK_FAILED"]
        assert final["reason"] == "REASON_CONTAINER_LAUNCH_FAILED" and final["source"] == "SOURCE_AGENT"
        assert "'nosuch:1' not found" in final["message"] and str(options.image_store) in final["message"]

    def test_kill_with_grace_lets_a_term_handler_finish(self, harness):
        script = "trap 'echo got-term > $MESOS_SANDBOX/term; exit 0' TERM; while true; do sleep 0.05; done"
        harness.agent.launch_tasks(KILLING_FRAMEWORK, [image_task("t1", script)])
        harness.until_state("t1", {"TASK_RUNNING"})
        harness.agent.kill_task("fw-1", "t1", grace(10))
        final = harness.until_state("t1", TERMINAL)
        assert harness.master.states("t1") == ["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]
        assert final["message"] == "Command exited with status 0"
        assert (harness.sandbox("t1") / "term").read_text() == "got-term\n"

    def test_kill_escalates_to_sigkill_after_the_grace(self, harness):
        harness.agent.launch_tasks(FRAMEWORK, [image_task("t1", "sleep 30", kill_policy=grace(0.2))])
        harness.until_state("t1", {"TASK_RUNNING"})
        started = time.monotonic()
        harness.agent.kill_task("fw-1", "t1")
        final = harness.until_state("t1", TERMINAL)
        assert final["state"] == "TASK_KILLED" and final["message"] == "Command terminated with signal Killed"
        assert 0.2 <= time.monotonic() - started < 5, "sleep as PID 1 ignores SIGTERM; SIGKILL follows the grace"
        assert leftovers(harness.options, harness.container_id("t1")) == []

    def test_stop_leaves_nothing_behind(self, harness):
        harness.agent.launch_tasks(FRAMEWORK, [image_task("t1", "sleep 30")])
        harness.until_state("t1", {"TASK_RUNNING"})
        container_id, pid = harness.container_id("t1"), harness.agent.pid_of("fw-1", "t1")
        harness.agent.stop()   # no loop turn needed: the cluster may close its loop right after stop()
        assert not os.path.exists(f"/proc/{pid}/cmdline") or not Path(f"/proc/{pid}/cmdline").read_bytes(), \
            "stop() kills the container at once"
        assert leftovers(harness.options, container_id) == []
        assert not (harness.agent.work_dir / "containers" / container_id / "rootfs").exists()
        assert not (cgroup_layout().v1["memory"] / harness.options.cgroup_root).exists(), "empty root removed"
        harness.stop()
        assert leftovers(harness.options, container_id) == []


@pytest.mark.timeout(90)
@pytest.mark.skipif(not PROBE.usable, reason="; ".join(PROBE.reasons))
@pytest.mark.root
def test_through_local_cluster_and_pymesos(options):
    """Image tasks launched by pymesos's driver through `LocalCluster(containers=options)`."""
    pymesos = pytest.importorskip("pymesos")

    class Framework(pymesos.Scheduler):
        def __init__(self):
            self.launched, self.seen, self.lock = False, {}, threading.Lock()

        def resourceOffers(self, driver, offers):
            for offer in offers:
                if self.launched:
                    driver.declineOffer(offer["id"], {"refuse_seconds": 60})
                    continue
                self.launched = True
                agent_id = offer["agent_id"]
                tasks = [dict(image_task("hello", "hostname; echo pid=$$"), agent_id=agent_id),
                         dict(image_task("hog", 'x=0123456789; while true; do x="$x$x"; done', mem=16),
                              agent_id=agent_id),
                         dict(image_task("sleeper", "sleep 60"), agent_id=agent_id)]
                driver.launchTasks(offer["id"], tasks)

        def statusUpdate(self, driver, status):
            with self.lock:
                self.seen.setdefault(status["task_id"]["value"], []).append(status)

        def wait(self, task_id, states, timeout=30.0):
            deadline = time.monotonic() + timeout
            while True:
                with self.lock:
                    found = [s for s in self.seen.get(task_id, []) if s["state"] in states]
                if found:
                    return found[-1]
                assert time.monotonic() < deadline, f"{task_id}: {self.seen.get(task_id)}"
                time.sleep(0.02)

    framework = Framework()
    with LocalCluster(agents=1, agent_resources="cpus:4;mem:1024;disk:1024", heartbeat_interval=1.0,
                      containers=options) as cluster:
        agent = cluster.agents[0]
        with pymesos_driver(framework, "containers-e2e", cluster) as driver:
            hello = framework.wait("hello", TERMINAL)
            hog = framework.wait("hog", TERMINAL)
            framework.wait("sleeper", {"TASK_RUNNING"})
            container_id = framework.seen["sleeper"][-1]["container_status"]["container_id"]["value"]
            framework_id = driver.framework_id
        assert hello["state"] == "TASK_FINISHED", hello
        sandbox = (agent.work_dir / "slaves" / agent.info.agent_id / "frameworks" / framework_id
                   / "executors" / "hello" / "runs" / hello["container_status"]["container_id"]["value"])
        hostname, pid = (sandbox / "stdout").read_text().split()
        assert hostname != socket.gethostname() and pid == "pid=1"
        assert (hog["state"], hog["reason"]) == ("TASK_FAILED", "REASON_CONTAINER_LIMITATION_MEMORY")
        cluster.run(agent.stop)
        asyncio.run_coroutine_threadsafe(agent.wait_stopped(), cluster.loop).result(20)
        assert leftovers(options, container_id) == []
