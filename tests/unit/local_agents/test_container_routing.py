"""Which launcher takes a task, why image tasks are refused, and how a container's end maps to a status."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mesosframe.local.agents import ContainerLauncher, ContainerOptions, ContainerTaskRun, LaunchRejected
from mesosframe.local.agents.containerized import has_image
from mesosframe.local.containers import ExitStatus, Limitation

DOCKER_IMAGE = {"type": "DOCKER", "docker": {"name": "busybox"}}


def task(**extra) -> dict:
    return {"task_id": {"value": "t1"}, "command": {"value": "true"}, **extra}


@pytest.mark.parametrize("container, expected", [
    (None, False),
    ({"type": "MESOS"}, False),
    ({"type": "MESOS", "mesos": {}}, False),
    ({"type": "MESOS", "mesos": {"image": DOCKER_IMAGE}}, True),
    ({"type": "MESOS", "mesos": {"image": {"type": "APPC", "appc": {"name": "x"}}}}, True),
    ({"type": "DOCKER", "docker": {"image": "busybox"}}, False),   # the CommandLauncher refuses these
])
def test_has_image(container, expected):
    assert has_image(task(container=container) if container else task()) is expected


@pytest.mark.parametrize("options, the_task, executor, reason, says", [
    (None, task(container={"type": "MESOS", "mesos": {"image": DOCKER_IMAGE}}), None,
     "REASON_CONTAINER_LAUNCH_FAILED", "--containers --image-store"),
    (ContainerOptions(Path("/store"), runc="/nonexistent/runc"),
     task(container={"type": "MESOS", "mesos": {"image": DOCKER_IMAGE}}), None,
     "REASON_CONTAINER_LAUNCH_FAILED", "runc not found"),
    (None, task(container={"type": "MESOS", "mesos": {"image": DOCKER_IMAGE}}), {"executor_id": {"value": "e"}},
     "REASON_EXECUTOR_UNREGISTERED", "LAUNCH_GROUP"),
])
def test_check_refuses_with_reason_and_message(options, the_task, executor, reason, says, tmp_path):
    launcher = ContainerLauncher(options, tmp_path)
    with pytest.raises(LaunchRejected) as caught:
        launcher.check(the_task, executor)
    assert caught.value.reason == reason and says in caught.value.message


def test_probe_is_exposed_only_with_options(tmp_path):
    assert ContainerLauncher(None, tmp_path).probe is None
    probe = ContainerLauncher(ContainerOptions(Path("/store"), runc="/nonexistent/runc"), tmp_path).probe
    assert probe is not None and not probe.usable and any("runc not found" in r for r in probe.reasons)


class FakeContainer:
    """Just enough of `Container` for ContainerTaskRun.wait."""

    id, pid, running = "c1", 42, False

    def __init__(self, status: ExitStatus) -> None:
        self.status = status

    async def wait(self) -> ExitStatus:
        return self.status


MEMORY = Limitation("mem", "Memory limit exceeded: Requested: 16MB Maximum Used: 16MB",
                    "REASON_CONTAINER_LIMITATION_MEMORY")


@pytest.mark.parametrize("status, code, limitation", [
    (ExitStatus(0), 0, None),
    (ExitStatus(3), 3, None),
    (ExitStatus(137, signal=9), -9, None),
    (ExitStatus(143, signal=15, killed=True), -15, None),
    (ExitStatus(137, signal=9, limitation=MEMORY), -9, (MEMORY.reason, MEMORY.message)),
])
def test_container_end_maps_like_a_process_exit(status, code, limitation):
    loop = asyncio.new_event_loop()
    try:
        run = ContainerTaskRun(FakeContainer(status), loop)
        assert run.limitation() is None, "no limitation before wait()"
        assert loop.run_until_complete(run.wait()) == code
        assert run.limitation() == limitation and run.pid == 42
    finally:
        loop.close()
