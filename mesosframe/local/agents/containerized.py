"""ContainerLauncher: runs tasks with a Docker image (`container.type: MESOS`, `mesos.image.type: DOCKER`) in
real containers, through the Unified Containers runtime (`mesosframe.local.containers`, runc).

The agent is started with `ContainerOptions(image_store=DIR)` (Mesos's `--docker_registry=<dir>`; on the
command line `mesosframe local --containers --image-store DIR`). Without options, or when the runtime's
probe finds it unusable (no root, runc, namespaces or cgroup v1), image tasks are refused with TASK_FAILED,
REASON_CONTAINER_LAUNCH_FAILED and a message saying why (the probe's reasons).

Inside the container `MESOS_SANDBOX` is `/mnt/mesos/sandbox` (the host sandbox, bind-mounted); the other
variables are those of process tasks, without the agent's own environment (the image's comes instead).
The OCI bundle of each container lives in `<work_dir>/containers/<container id>`, outside the sandbox.
How a container ended maps like a process's exit (runc reports a signal N as status 128+N, so an exit status
above 128 reads as that signal), except that a memory-limit kill is TASK_FAILED with
REASON_CONTAINER_LIMITATION_MEMORY (`ContainerTaskRun.limitation`).
"""
from __future__ import annotations

import asyncio
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mesosframe.local.agents.launchers import LaunchRejected, LaunchSpec, TaskLauncher, TaskRun
from mesosframe.local.containers import (
    Container, ContainerError, ContainerRuntime, ExitStatus, ImageStore, PreparedRootfs, ProbeResult,
    docker_image_name, launch_failure_fields, launch_task,
)
from mesosframe.local.containers.cgroups import ContainerCgroup, cgroup_layout

log = logging.getLogger("mesosframe.local.agents.containers")

__all__ = ["ContainerOptions", "ContainerLauncher", "ContainerTaskRun", "destroy_now", "has_image", "LAUNCH_FAILED"]

LAUNCH_FAILED = "REASON_CONTAINER_LAUNCH_FAILED"
NOT_ENABLED = ("Failed to launch container: this agent runs without container support; start it with "
               "`mesosframe local --containers --image-store DIR` to run tasks with an image")


@dataclass(frozen=True)
class ContainerOptions:
    """How an agent runs image tasks. `image_store`: the directory of `docker save` tarballs and OCI
    layouts; `rootfs_cache`: where extracted images are cached (None: the store's default, in the temp dir);
    `runc`, `runc_root` (runc's state directory), `cgroup_root` (parent cgroup name) and `rootfs_backend`
    (`overlay`, `copy`, None = overlay when possible) go to `ContainerRuntime`."""
    image_store: Path
    rootfs_cache: Path | None = None
    runc: str = "runc"
    runc_root: Path = Path("/run/mesosframe-runc")
    cgroup_root: str = "mesosframe"
    rootfs_backend: str | None = None

    def runtime(self) -> ContainerRuntime:
        return ContainerRuntime(self.runc, self.runc_root, self.cgroup_root, self.rootfs_backend)

    def store(self) -> ImageStore:
        return ImageStore(self.image_store, self.rootfs_cache)


def has_image(task: dict) -> bool:
    """Whether the task asks for a container image (`container.mesos.image`), i.e. belongs to this launcher."""
    container = task.get("container") or {}
    return bool((container.get("mesos") or {}).get("image"))


class ContainerTaskRun(TaskRun):
    """A running container. `signal` is fire-and-forget (`runc kill` runs on the loop); `wait` maps runc's
    128+N exit to -N as for processes; `abort` destroys the container at once, blocking (runc delete, cgroups,
    rootfs mount), so that nothing is left even if the loop ends right after an agent's `stop()`."""

    def __init__(self, container: Container, loop: asyncio.AbstractEventLoop) -> None:
        self.container = container
        self.pid = int(container.pid or 0)
        self.status: ExitStatus | None = None
        self._loop = loop
        self._signals: set[asyncio.Task] = set()
        self._aborted = False

    async def wait(self) -> int:
        self.status = await self.container.wait()
        return -self.status.signal if self.status.signal is not None else self.status.exit_code

    def signal(self, signum: int) -> None:
        if not self.container.running or self._loop.is_closed():
            return
        sender = self._loop.create_task(self.container.signal(signum))
        self._signals.add(sender)
        sender.add_done_callback(self._signals.discard)

    def limitation(self) -> tuple[str, str] | None:
        if self.status is None or self.status.limitation is None:
            return None
        return self.status.limitation.reason, self.status.limitation.message

    async def destroy(self) -> None:
        try:
            await self.container.destroy()
        except ContainerError as exc:
            if not self._aborted:
                raise
            log.debug("container_destroy_after_abort id=%s error=%s", self.container.id, exc)

    def abort(self) -> None:
        self._aborted = True
        destroy_now(self.container)


def destroy_now(container: Container) -> None:
    """Destroy `container` at once, blocking: SIGKILL and `runc delete --force` (which waits until its
    processes are gone), its cgroups, its rootfs mount. For agent stop/crash, when the loop may end next;
    failures are logged, not raised."""
    runtime = container.runtime
    try:
        subprocess.run(runtime.runc_command("delete", "--force", container.id), timeout=15,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        ContainerCgroup(cgroup_layout(), runtime.cgroup_root, container.id).destroy()
        rootfs = container.bundle / "rootfs"
        PreparedRootfs(rootfs, container.bundle, "overlay", mounted=os.path.ismount(rootfs)).release()
    except (OSError, subprocess.SubprocessError, ContainerError) as exc:
        log.warning("container_abort_failed id=%s error=%s", container.id, exc)


class ContainerLauncher(TaskLauncher):
    """Launches image tasks in containers (see the module docstring). `options=None`: refuses them all."""

    def __init__(self, options: ContainerOptions | None, bundle_root: Path) -> None:
        self.options = options
        self.bundle_root = Path(bundle_root)
        self.runtime = options.runtime() if options else None
        self.store = options.store() if options else None
        self.probe: ProbeResult | None = self.runtime.probe() if self.runtime else None

    @property
    def usable(self) -> bool:
        return self.probe is not None and self.probe.usable

    def refusal(self) -> str | None:
        """Why image tasks are refused here, or None when they can run."""
        if self.probe is None:
            return NOT_ENABLED
        if not self.probe.usable:
            return ("Failed to launch container: the container runtime is unavailable on this agent: "
                    + "; ".join(self.probe.reasons))
        return None

    def executor_refusal(self, executor: dict, tasks: list[dict]) -> str | None:
        """Why an executor (or its tasks) cannot get the container images they ask for; None if they can
        (then an executor with an image runs in it: `mesosframe.local.executors.ContainerExecutorLauncher`)."""
        if any(has_image(task) for task in tasks):
            return ("Failed to launch container: tasks with their own container image under an executor "
                    "(nested containers) are not supported by mesosframe's process agent")
        if not has_image(executor):
            return None
        refusal = self.refusal()
        if refusal is not None:
            return ("Failed to launch container: executors with a container image are not supported here: "
                    + refusal.removeprefix("Failed to launch container: "))
        try:
            docker_image_name(executor)
        except ContainerError as exc:
            return launch_failure_fields(exc)["message"]
        return None

    def release(self) -> None:
        """Remove the runtime's parent cgroups if no container is left in them (agent stop)."""
        if self.usable:
            try:
                self.runtime.remove_cgroup_root()
            except OSError as exc:
                log.warning("cgroup_root_not_removed error=%s", exc)

    def check(self, task: dict, executor: dict | None) -> None:
        if executor is not None or "executor" in task:
            raise LaunchRejected("REASON_EXECUTOR_UNREGISTERED",
                                 "Custom executors and LAUNCH_GROUP are not supported with container images "
                                 "by mesosframe's process agent; give the task a CommandInfo instead")
        refusal = self.refusal()
        if refusal is not None:
            raise LaunchRejected(LAUNCH_FAILED, refusal)
        try:
            docker_image_name(task)
        except ContainerError as exc:
            raise LaunchRejected(LAUNCH_FAILED, launch_failure_fields(exc)["message"]) from None

    def command(self, task: dict) -> tuple[str, list[str]]:
        """The image name stands for the executable in messages; the argv comes from the image and task."""
        return docker_image_name(task) or "", []

    def host_user(self, task: dict, framework: dict) -> str | None:
        return None   # the user applies inside the container (CommandInfo.user, else the image's)

    async def launch(self, task: dict, spec: LaunchSpec) -> TaskRun:
        assert self.runtime is not None and self.store is not None, "check() refuses tasks without a runtime"
        env = {name: value for name, value in spec.env.items() if name != "MESOS_SANDBOX"}
        try:
            container = await launch_task(self.runtime, self.store, task, sandbox=spec.cwd,
                                          bundle=self.bundle_root / spec.container_id,
                                          container_id=spec.container_id, runtime_env=env)
        except ContainerError as exc:
            log.info("container_launch_failed id=%s error=%s", spec.container_id, exc)
            raise LaunchRejected(LAUNCH_FAILED, launch_failure_fields(exc)["message"]) from None
        return ContainerTaskRun(container, asyncio.get_running_loop())
