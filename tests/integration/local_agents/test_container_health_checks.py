"""Health checks of image tasks on a ProcessAgent: the checks run in the host's network namespace, which the
agent's containers share. Skipped, with the runtime probe's reasons, where containers cannot run."""
from __future__ import annotations

import os
import socket

import pytest

from mesosframe.local.agents import ContainerOptions
from mesosframe.local.containers import ContainerRuntime
from mesosframe.testing.images import build_busybox_image

PROBE = ContainerRuntime().probe()
pytestmark = [pytest.mark.root, pytest.mark.skipif(not PROBE.usable, reason="; ".join(PROBE.reasons))]
FRAMEWORK = {"id": {"value": "fw-1"}, "name": "t", "roles": ["web"]}
REASON = "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def options(tmp_path):
    store = tmp_path / "registry"
    store.mkdir()
    build_busybox_image(store, "busybox:latest")
    options = ContainerOptions(image_store=store, rootfs_cache=tmp_path / "rootfs-cache",
                               runc_root=tmp_path / "runc", cgroup_root=f"mesosframe-health-test-{os.getpid()}")
    yield options
    options.runtime().remove_cgroup_root()


def test_http_check_reaches_a_server_in_a_container(options, make_agent_harness):   # agent stops first
    harness = make_agent_harness(containers=options)
    port = free_port()
    task = {"task_id": {"value": "web"}, "name": "web", "agent_id": {"value": "S1"},
            "command": {"value": f"echo ok > /tmp/index.html; exec busybox httpd -f -p 127.0.0.1:{port} -h /tmp"},
            "container": {"type": "MESOS", "mesos": {"image": {"type": "DOCKER", "docker": {"name": "busybox"}}}},
            "resources": [{"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}],
            "health_check": {"type": "HTTP", "http": {"port": port}, "delay_seconds": 0, "interval_seconds": 0.1,
                             "timeout_seconds": 1, "grace_period_seconds": 15}}
    harness.agent.launch_tasks(FRAMEWORK, [task])
    harness.run_until(lambda: any(s.get("reason") == REASON for _, _, s in harness.master.updates), timeout=20)
    [update] = [s for _, _, s in harness.master.updates if s.get("reason") == REASON]
    assert (update["state"], update["healthy"]) == ("TASK_RUNNING", True)
    harness.agent.kill_task("fw-1", "web")
    assert harness.until_terminal("web", timeout=15)["state"] == "TASK_KILLED"
