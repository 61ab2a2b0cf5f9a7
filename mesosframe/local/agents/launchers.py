"""Task launchers: how a ProcessAgent turns a TaskInfo into a process tree.

A `TaskLauncher` first `check`s that it can run a task (raising `LaunchRejected` with a Mesos reason and a
message saying what is not supported), then `launch`es it and returns a `TaskRun`: the started task, with
`pid`, `wait()` (exit status; negative = killed by that signal, as asyncio reports it), `signal(signum)`
for its whole process tree, `limitation()` (a resource limit that ended it, read after `wait()`),
`destroy()` (async: release everything it holds; always awaited once it ended) and `abort()` (sync: kill
everything at once, for `stop()`/`crash()`). The agent owns sandbox, fetching, status updates and kill
timing; a launcher owns only "start this and let me signal, wait for and destroy it". `ContainerLauncher`
(`containerized.py`: images run by runc) is the other launcher.

`CommandLauncher` runs CommandInfo as the command executor does: `shell: true` (the default) runs
`/bin/sh -c value`; `shell: false` execs `value` with `arguments` as the full argv, including argv[0].
"""
from __future__ import annotations

import os
import pwd
import signal
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from mesosframe.errors import MesosframeError
from mesosframe.local.sessions import SessionProcess, spawn_session

__all__ = ["LaunchRejected", "LaunchSpec", "TaskRun", "ProcessTaskRun", "TaskLauncher", "CommandLauncher",
           "command_argv", "resolve_user"]


class LaunchRejected(MesosframeError):
    """The task cannot be launched here; it fails with `reason` (a TaskStatus.Reason name) and `message`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class LaunchSpec:
    """Everything needed to start a task's main process: `executable` is exec'ed (searched on PATH) with
    `argv` (argv[0] included). `user` is None to keep the agent's user."""
    executable: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    stdout: Path
    stderr: Path
    user: str | None = None
    container_id: str = ""


class TaskRun(ABC):
    """A started task; see the module docstring."""

    pid: int

    @abstractmethod
    async def wait(self) -> int:
        """Wait until the task's main process exits; its status (negative: killed by that signal)."""

    @abstractmethod
    def signal(self, signum: int) -> None:
        """Send `signum` to every process of the task; no error if they are gone."""

    def limitation(self) -> tuple[str, str] | None:
        """(TaskStatus reason, message) when a resource limit ended the task; valid after `wait()`."""
        return None

    async def destroy(self) -> None:
        """Release what the task holds once its main process ended (or to end it); idempotent."""
        self.signal(signal.SIGKILL)

    def abort(self) -> None:
        """Kill everything of the task now, without waiting (agent stop or crash); `destroy()` follows."""
        self.signal(signal.SIGKILL)


class ProcessTaskRun(SessionProcess, TaskRun):
    """A host process that leads its own session and process group; signals go to the whole group."""


class TaskLauncher(ABC):
    """Starts tasks of the kinds it supports; see the module docstring."""

    @abstractmethod
    def check(self, task: dict, executor: dict | None) -> None:
        """Raise `LaunchRejected` if this launcher cannot run `task` (with the LAUNCH_GROUP `executor`)."""

    @abstractmethod
    def command(self, task: dict) -> tuple[str, list[str]]:
        """(executable, argv) of the task's main process."""

    @abstractmethod
    async def launch(self, task: dict, spec: LaunchSpec) -> TaskRun:
        """Start `task` as described by `spec`. Raises OSError, ValueError or LaunchRejected if it cannot."""

    def host_user(self, task: dict, framework: dict) -> str | None:
        """The host user to run the task as and to own its sandbox (see `resolve_user`); None: the agent's."""
        return resolve_user(task, framework)


class CommandLauncher(TaskLauncher):
    """Runs a task's CommandInfo directly on the host (no container, no custom executor)."""

    def check(self, task: dict, executor: dict | None) -> None:
        if executor is not None:
            raise LaunchRejected("REASON_EXECUTOR_UNREGISTERED",
                                 "LAUNCH_GROUP (task groups with the default executor) is not supported "
                                 "by mesosframe's process agent yet")
        if "executor" in task:
            raise LaunchRejected("REASON_EXECUTOR_UNREGISTERED",
                                 "Custom executors (TaskInfo.executor) are not supported by mesosframe's "
                                 "process agent yet; give the task a CommandInfo instead")
        container = task.get("container")
        if container:
            if container.get("type", "MESOS") != "MESOS":
                raise LaunchRejected("REASON_CONTAINER_LAUNCH_FAILED",
                                     f"Container type {container.get('type')!r} is not supported by "
                                     "mesosframe's process agent")
            if container.get("mesos", {}).get("image"):
                raise LaunchRejected("REASON_CONTAINER_LAUNCH_FAILED",
                                     "Container images (container.mesos.image) are not supported by "
                                     "mesosframe's process agent yet")
        command = task.get("command")
        if not command or not command.get("value"):
            raise LaunchRejected("REASON_TASK_INVALID", "Task has no command value to run")

    def command(self, task: dict) -> tuple[str, list[str]]:
        return command_argv(task["command"])

    async def launch(self, task: dict, spec: LaunchSpec) -> TaskRun:
        return ProcessTaskRun(await spawn_session(spec))


def command_argv(command: dict) -> tuple[str, list[str]]:
    """CommandInfo -> (executable, argv). `shell: true`: `/bin/sh` with `sh -c value`. `shell: false`:
    `value` with `arguments` as the full argv (argv[0] included), or `[value]` when there are none."""
    value = command["value"]
    if command.get("shell", True):
        return "/bin/sh", ["sh", "-c", value]
    return value, list(command.get("arguments") or [value])


def resolve_user(task: dict, framework: dict) -> str | None:
    """The user to run the task as: CommandInfo.user, else FrameworkInfo.user; applied only when the agent
    runs as root and that user differs from the agent's (otherwise None: run as the agent's user).
    Raises LaunchRejected if the user does not exist on this host."""
    user = task.get("command", {}).get("user") or framework.get("user")
    if not user or os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise LaunchRejected("REASON_CONTAINER_LAUNCH_FAILED",
                             f"Failed to launch container: user {user!r} does not exist on this agent") from None
    return None if entry.pw_uid == os.geteuid() else user
