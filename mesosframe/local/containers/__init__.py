"""The Unified Containers runtime for local agents: Docker/OCI images run with runc.

For agents, `launch_task` / `task_status_fields` / `launch_failure_fields` (see `launcher`) wrap the steps:

    store = ImageStore("/var/lib/images")               # Mesos --docker_registry=<dir> layout
    image = store.resolve("busybox:latest")             # ImageNotFoundError names image and store
    rootfs = store.rootfs(image)                        # cached, extracted layers (blocking: use to_thread)
    spec = ContainerSpec.from_task_info(task, image.config, sandbox, container_id, runtime_env)
    runtime = ContainerRuntime()
    runtime.probe().require()                           # RuntimeUnavailableError says why not
    container = await runtime.launch(spec, rootfs, bundle_dir)
    status = await container.wait()                     # ExitStatus; .limitation for memory OOM kills
    await container.kill(grace_period)                  # SIGTERM, then SIGKILL
    await container.destroy()                           # always: runc delete, cgroups, rootfs

Mapping to TaskStatus (`task_status_fields`, `launch_failure_fields`): `status.limitation` -> TASK_FAILED with
`status.limitation.reason` (REASON_CONTAINER_LIMITATION_MEMORY); ContainerError during resolve/launch ->
TASK_FAILED with REASON_CONTAINER_LAUNCH_FAILED; `status.killed` -> TASK_KILLED; exit code 0 -> TASK_FINISHED.
"""
from __future__ import annotations

from mesosframe.local.containers.command import resolve_argv
from mesosframe.local.containers.errors import (
    CommandResolutionError,
    ContainerError,
    ContainerLaunchError,
    ImageFormatError,
    ImageNotFoundError,
    RuntimeUnavailableError,
    UnsafeArchiveError,
)
from mesosframe.local.containers.image import Image, ImageConfig
from mesosframe.local.containers.launcher import (
    docker_image_name,
    launch_failure_fields,
    launch_task,
    task_status_fields,
)
from mesosframe.local.containers.reference import ImageReference, InvalidImageReferenceError
from mesosframe.local.containers.rootfs import PreparedRootfs, prepare_rootfs
from mesosframe.local.containers.runtime import Container, ContainerRuntime, ExitStatus, Limitation, ProbeResult
from mesosframe.local.containers.spec import SANDBOX_PATH, ContainerSpec, ContainerSpecError, Volume
from mesosframe.local.containers.store import ImageStore

__all__ = [
    "SANDBOX_PATH", "CommandResolutionError", "Container", "ContainerError", "ContainerLaunchError",
    "ContainerRuntime", "ContainerSpec", "ContainerSpecError", "ExitStatus", "Image", "ImageConfig",
    "ImageFormatError", "ImageNotFoundError", "ImageReference", "ImageStore", "InvalidImageReferenceError",
    "Limitation", "PreparedRootfs", "ProbeResult", "RuntimeUnavailableError", "UnsafeArchiveError", "Volume",
    "docker_image_name", "launch_failure_fields", "launch_task", "prepare_rootfs", "resolve_argv",
    "task_status_fields",
]
