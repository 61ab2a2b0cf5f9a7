from __future__ import annotations

import pytest

from mesosframe.local.containers import ImageNotFoundError
from mesosframe.local.containers.launcher import docker_image_name, launch_failure_fields, task_status_fields
from mesosframe.local.containers.runtime import ExitStatus, Limitation
from mesosframe.local.containers.spec import ContainerSpecError

DOCKER = {"type": "DOCKER", "docker": {"name": "busybox:1"}}


@pytest.mark.parametrize("container, expected", [
    (None, None),
    ({"type": "MESOS"}, None),
    ({"type": "MESOS", "mesos": {"image": DOCKER}}, "busybox:1"),
    ({"mesos": {"image": DOCKER}, "volumes": []}, "busybox:1"),
])
def test_docker_image_name(container, expected):
    task = {"name": "t"} if container is None else {"name": "t", "container": container}
    assert docker_image_name(task) == expected


@pytest.mark.parametrize("container, message", [
    ({"type": "DOCKER", "docker": {"image": "x"}}, "container type 'DOCKER'"),
    ({"type": "MESOS", "mesos": {"image": {"type": "APPC", "appc": {"name": "x"}}}}, "image type 'APPC'"),
    ({"type": "MESOS", "mesos": {"image": {"type": "DOCKER", "docker": {}}}}, "without a name"),
])
def test_docker_image_name_refuses(container, message):
    with pytest.raises(ContainerSpecError, match=message):
        docker_image_name({"container": container})


MEM = Limitation("mem", "Memory limit exceeded: Requested: 16MB Maximum Used: 16MB", "REASON_CONTAINER_LIMITATION_MEMORY")


@pytest.mark.parametrize("status, fields", [
    (ExitStatus(0), {"state": "TASK_FINISHED", "message": "Command exited with status 0"}),
    (ExitStatus(2), {"state": "TASK_FAILED", "message": "Command exited with status 2"}),
    (ExitStatus(137, 9, killed=True), {"state": "TASK_KILLED", "message": "Command terminated with signal SIGKILL"}),
    (ExitStatus(137, 9, MEM), {"state": "TASK_FAILED", "reason": "REASON_CONTAINER_LIMITATION_MEMORY",
                               "message": MEM.message}),
    (ExitStatus(137, 9, MEM, killed=True), {"state": "TASK_FAILED", "reason": "REASON_CONTAINER_LIMITATION_MEMORY",
                                            "message": MEM.message}),
])
def test_task_status_fields(status, fields):
    assert task_status_fields(status) == fields


def test_launch_failure_fields_carry_the_error():
    fields = launch_failure_fields(ImageNotFoundError("nosuch:1", "/images"))
    assert fields["state"] == "TASK_FAILED" and fields["reason"] == "REASON_CONTAINER_LAUNCH_FAILED"
    assert "nosuch:1" in fields["message"] and "/images" in fields["message"]
