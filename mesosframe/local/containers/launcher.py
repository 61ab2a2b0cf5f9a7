"""The narrow interface for agents: TaskInfo in, running Container out; ExitStatus to TaskStatus fields.

    name = docker_image_name(task)          # None: not an image task (run it on the host as before)
    container = await launch_task(runtime, store, task, sandbox=..., bundle=..., container_id=...,
                                  runtime_env={"MESOS_TASK_ID": ...})
    status = await container.wait()
    update = task_status_fields(status)     # {"state": "TASK_FAILED", "reason": ..., "message": ...}
    await container.destroy()

Errors from `launch_task` are all ContainerError: the agent sends TASK_FAILED with
REASON_CONTAINER_LAUNCH_FAILED and the error's message (which names the image and store when the image is
missing). `launch_failure_fields(error)` builds those fields.
"""
from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mesosframe.local.containers.errors import ContainerError
from mesosframe.local.containers.runtime import Container, ContainerRuntime, ExitStatus
from mesosframe.local.containers.spec import ContainerSpec, ContainerSpecError
from mesosframe.local.containers.store import ImageStore

LAUNCH_FAILED = "REASON_CONTAINER_LAUNCH_FAILED"


def docker_image_name(task: Mapping[str, Any]) -> str | None:
    """The Docker image of a MESOS-container task, or None when the task runs without an image.

    Raises ContainerSpecError for image types other than DOCKER (APPC) and for DOCKER-type containers,
    which belong to the Docker containerizer.
    """
    container = task.get("container") or {}
    if not container:
        return None
    kind = container.get("type", "MESOS")
    if kind != "MESOS":
        raise ContainerSpecError(f"container type {kind!r} is not supported (only MESOS with a DOCKER image)")
    image = (container.get("mesos") or {}).get("image")
    if not image:
        return None
    if image.get("type") != "DOCKER":
        raise ContainerSpecError(f"image type {image.get('type')!r} is not supported (only DOCKER)")
    name = (image.get("docker") or {}).get("name")
    if not name:
        raise ContainerSpecError("DOCKER image without a name")
    return str(name)


async def launch_task(runtime: ContainerRuntime, store: ImageStore, task: Mapping[str, Any], *, sandbox: Path,
                      bundle: Path, container_id: str, runtime_env: Mapping[str, str] | None = None) -> Container:
    """Resolve the task's image, extract it (cached, in a thread), build the spec and launch the container."""
    name = docker_image_name(task)
    if name is None:
        raise ContainerSpecError("the task has no DOCKER image to run")
    image = await asyncio.to_thread(store.resolve, name)
    rootfs = await asyncio.to_thread(store.rootfs, image)
    spec = ContainerSpec.from_task_info(task, image.config, Path(sandbox), container_id, runtime_env)
    return await runtime.launch(spec, rootfs, Path(bundle))


def task_status_fields(status: ExitStatus) -> dict[str, str]:
    """TaskStatus `state`, `message` and, when there is one, `reason` for how a container ended."""
    if status.limitation is not None:
        return {"state": "TASK_FAILED", "reason": status.limitation.reason, "message": status.message}
    if status.killed:
        return {"state": "TASK_KILLED", "message": status.message}
    if status.exit_code == 0:
        return {"state": "TASK_FINISHED", "message": status.message}
    return {"state": "TASK_FAILED", "message": status.message}


def launch_failure_fields(error: ContainerError) -> dict[str, str]:
    """TaskStatus fields for a container that could not be launched."""
    return {"state": "TASK_FAILED", "reason": LAUNCH_FAILED, "message": f"Failed to launch container: {error}"}
