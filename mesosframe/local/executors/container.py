"""Executors inside a container image: `ContainerExecutorLauncher` runs an ExecutorInfo whose `container` is
type MESOS with a DOCKER image through the Unified Containers runtime (`mesosframe.local.containers`, runc).

As in Mesos, the executor process gets its own PID, mount, UTS and IPC namespaces, the image as its root
filesystem, the host sandbox at `/mnt/mesos/sandbox` (`MESOS_SANDBOX`), the ExecutorInfo's
`container.volumes`, and CPU/memory limits from the resources of the executor plus those of the tasks it
starts with (tasks given to it later do not grow the limits). The network is the host's, so the executor
reaches the agent's executor API at `MESOS_AGENT_ENDPOINT` (127.0.0.1). The executor command follows the
container rules of `containers.command` (a CUSTOM executor's CommandInfo; `shell: false` without a `value`
runs the image's Entrypoint/Cmd); the DEFAULT executor runs the agent's Python and bundled group executor,
which exist inside only if the image or its volumes provide them.

The run's `pid` is the container's init (PID 1 inside); `signal` goes to it through `runc kill` (its death
ends every process of the PID namespace); `release()` destroys the container (runc state, cgroups, rootfs)
after it exited, `destroy()` does the same at once, blocking, for agent stop.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from mesosframe.local.agents.containerized import destroy_now
from mesosframe.local.agents.launchers import LaunchSpec
from mesosframe.local.containers import Container, ContainerError, ContainerRuntime, ExitStatus, ImageStore, launch_task
from mesosframe.local.executors.launch import ExecutorLaunchSpec, ExecutorLauncher, ExecutorRun

log = logging.getLogger("mesosframe.local.executors.container")

__all__ = ["ContainerExecutorLauncher", "ContainerExecutorRun", "ExecutorImageError", "container_task"]


class ExecutorImageError(ContainerError):
    """The executor's container could not be launched (bad image, spec or runc failure)."""


def container_task(spec: ExecutorLaunchSpec) -> dict:
    """The TaskInfo-shaped JSON that `containers.launch_task` runs for an executor: its container, the
    summed resources, and its CommandInfo (CUSTOM with a value or image entrypoint) or, for the DEFAULT
    executor, the host-built argv exec'ed as is."""
    info = spec.executor_info
    command = dict(info.get("command") or {})
    if info.get("type", "CUSTOM") == "DEFAULT" or not (command.get("value") or command.get("shell") is False):
        command = {"shell": False, "value": spec.executable, "arguments": list(spec.argv),
                   "environment": command.get("environment") or {}}
    return {"task_id": info.get("executor_id", {}), "command": command,
            "container": info.get("container") or {}, "resources": list(spec.resources)}


class ContainerExecutorRun(ExecutorRun):
    """An executor running as a container's init process (see the module docstring)."""

    def __init__(self, container: Container, loop: asyncio.AbstractEventLoop) -> None:
        self.container = container
        self.pid = container.pid
        self.status: ExitStatus | None = None
        self._loop = loop
        self._signals: set[asyncio.Task] = set()
        self._destroyed = False

    async def wait(self) -> int:
        """runc reports signal N as 128+N; this returns -N then, as for host processes."""
        self.status = await self.container.wait()
        return -self.status.signal if self.status.signal is not None else self.status.exit_code

    def signal(self, signum: int) -> None:
        """Fire-and-forget `runc kill` to the container's init; nothing once it exited or the loop closed."""
        if self._destroyed or not self.container.running or self._loop.is_closed():
            return
        sender = self._loop.create_task(self.container.signal(signum))
        self._signals.add(sender)
        sender.add_done_callback(self._signals.discard)

    def destroy(self) -> None:
        """Blocking: kill and delete the container, its cgroups and rootfs now (agent stop)."""
        if not self._destroyed:
            self._destroyed = True
            destroy_now(self.container)

    async def release(self) -> None:
        """After the executor exited: `runc delete`, cgroups and rootfs removed (errors are logged)."""
        if self._destroyed:
            return
        self._destroyed = True
        try:
            await self.container.destroy()
        except ContainerError as exc:
            log.warning("executor_container_destroy_failed id=%s error=%s", self.container.id, exc)


class ContainerExecutorLauncher(ExecutorLauncher):
    """Starts executors in containers of images from `store`; OCI bundles go to `bundle_root/<container id>`.
    The runtime must be usable (`runtime.probe()`): the agent checks that before routing executors here."""

    def __init__(self, runtime: ContainerRuntime, store: ImageStore, bundle_root: Path) -> None:
        self.runtime = runtime
        self.store = store
        self.bundle_root = Path(bundle_root)

    async def launch(self, spec: LaunchSpec) -> ExecutorRun:
        """Launch the executor's container; returns once its process runs. Raises ExecutorImageError."""
        if not isinstance(spec, ExecutorLaunchSpec) or not spec.container_id:
            raise ExecutorImageError("a container executor needs an ExecutorLaunchSpec with a container id")
        env = {name: value for name, value in spec.env.items() if name != "MESOS_SANDBOX"}
        try:
            container = await launch_task(self.runtime, self.store, container_task(spec), sandbox=spec.cwd,
                                          bundle=self.bundle_root / spec.container_id,
                                          container_id=spec.container_id, runtime_env=env)
        except ExecutorImageError:
            raise
        except ContainerError as exc:
            raise ExecutorImageError(str(exc)) from exc
        log.info("executor_container_started id=%s pid=%s", container.id, container.pid)
        return ContainerExecutorRun(container, asyncio.get_running_loop())
