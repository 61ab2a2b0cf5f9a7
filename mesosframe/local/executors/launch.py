"""How the executor host starts an executor: the pluggable `ExecutorLauncher` seam.

A launcher turns a `LaunchSpec` (argv, environment, sandbox, stdout/stderr files; the agents' type) into a
running `ExecutorRun`: something with a `pid`, an awaitable `wait()` returning the exit status (negative =
killed by that signal, as asyncio reports it) and `signal(signum)` that signals the executor's whole process
group. `ProcessExecutorLauncher` runs the command on the host in a new session; `ContainerExecutorLauncher`
(`container.py`) runs it inside the ExecutorInfo's container image. The host hands every launcher an
`ExecutorLaunchSpec`: the LaunchSpec plus the ExecutorInfo and the resources of the executor and its tasks.
After the executor exited the host awaits `release()` (default: `destroy()`); on agent stop it calls the
synchronous `destroy()`, which must leave nothing behind when it returns.
"""
from __future__ import annotations

import os
import signal
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from mesosframe.local.agents.launchers import LaunchSpec, command_argv
from mesosframe.local.sessions import SessionProcess, spawn_session

__all__ = ["ExecutorLaunchSpec", "ExecutorLauncher", "ExecutorRun", "ProcessExecutorLauncher", "ProcessRun",
           "executor_argv",
           "session_members", "DEFAULT_EXECUTOR_MODULE", "COMMAND_EXECUTOR_MODULE"]

DEFAULT_EXECUTOR_MODULE = "executors.group"
COMMAND_EXECUTOR_MODULE = "executors.command"


@dataclass(frozen=True)
class ExecutorLaunchSpec(LaunchSpec):
    """A LaunchSpec for an executor: also its ExecutorInfo JSON and the Resource JSON of the executor and
    of the tasks it starts with (what a container's limits are made of)."""
    executor_info: dict = field(default_factory=dict)
    resources: tuple[dict, ...] = ()


class ExecutorRun(ABC):
    """A started executor."""

    pid: int | None = None

    @abstractmethod
    async def wait(self) -> int:
        """Wait for the executor to exit; its status (negative: killed by that signal)."""

    @abstractmethod
    def signal(self, signum: int) -> None:
        """Send `signum` to the executor's process group; no error if it is gone."""

    def destroy(self) -> None:
        """Kill whatever the executor left behind, at once (agent stop). Default: its process group."""
        self.signal(signal.SIGKILL)

    async def release(self) -> None:
        """Release everything the executor held, after it exited. Default: `destroy()`."""
        self.destroy()


class ExecutorLauncher(ABC):
    """Starts executors; see the module docstring."""

    @abstractmethod
    async def launch(self, spec: LaunchSpec) -> ExecutorRun:
        """Start the executor described by `spec`. Raises OSError (or ValueError) if it cannot start."""


class ProcessRun(SessionProcess, ExecutorRun):
    """An executor running as a host process that leads its own process group."""

    def destroy(self) -> None:
        """SIGKILL every process of the executor's session: its tasks too, when they run in process groups
        of their own inside it (as the bundled executors do). Stands in for destroying a container's cgroup."""
        for pid in session_members(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def session_members(sid: int) -> list[int]:
    """Pids of the live processes in session `sid` (from /proc; empty where there is no /proc)."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:           # fields after "(comm)": state ppid pgrp session ...
            members.append(int(entry.name))
    return members


class ProcessExecutorLauncher(ExecutorLauncher):
    """Runs the executor command directly on the host, in its sandbox, in a new session."""

    async def launch(self, spec: LaunchSpec) -> ExecutorRun:
        return ProcessRun(await spawn_session(spec))


def _project_root() -> str:
    """The directory that holds the bundled `executors` package (for PYTHONPATH)."""
    return str(Path(__file__).resolve().parents[3])


def executor_argv(executor_info: dict, env: dict[str, str]) -> tuple[str, list[str]]:
    """(executable, argv) for an ExecutorInfo. DEFAULT executors (LAUNCH_GROUP) run the bundled group
    executor with this Python; CUSTOM ones run their CommandInfo. Adds the project root to `env`'s
    PYTHONPATH when the bundled executor is used."""
    if executor_info.get("type", "CUSTOM") == "DEFAULT" or not executor_info.get("command", {}).get("value"):
        root = _project_root()
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        return sys.executable, [sys.executable, "-m", DEFAULT_EXECUTOR_MODULE]
    return command_argv(executor_info["command"])

