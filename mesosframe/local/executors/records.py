"""The host's records of its executors: `ExecutorState`, the `EventStream` seam to the HTTP layer, and the
per-executor bookkeeping `ExecutorRecord` (kept and changed only by `ExecutorHost`)."""
from __future__ import annotations

import asyncio
import enum
import pathlib
from abc import ABC, abstractmethod
from typing import Any

from mesosframe.local.agents.base import value_of
from mesosframe.local.executors.launch import ExecutorRun

__all__ = ["ExecutorState", "EventStream", "ExecutorRecord"]


class ExecutorState(enum.Enum):
    """Where an executor is in its lifecycle (drawn in `host.py`'s module docstring)."""

    LAUNCHING = "LAUNCHING"
    REGISTERED = "REGISTERED"
    DISCONNECTED = "DISCONNECTED"
    TERMINATING = "TERMINATING"


class EventStream(ABC):
    """Where the host writes an executor's events; the HTTP layer drains it. `close()` ends the response."""

    @abstractmethod
    def send(self, payload: dict) -> None:
        """Queue one event; never blocks."""

    @abstractmethod
    def close(self) -> None:
        """End the stream (the executor sees the agent close the connection)."""


class ExecutorRecord:
    """One executor run: its ids, infos, sandbox, process, event stream, tasks and timers."""

    def __init__(self, framework: dict, framework_id: str, info: dict, sandbox: pathlib.Path,
                 container_id: str) -> None:
        self.framework = framework
        self.framework_id = framework_id
        self.executor_id = value_of(info["executor_id"])
        self.info = info
        self.sandbox = sandbox
        self.container_id = container_id
        self.state = ExecutorState.LAUNCHING
        self.run: ExecutorRun | None = None
        self.waiter: asyncio.Task | None = None
        self.stream: EventStream | None = None
        self.queued: list[tuple[list[dict], bool]] = []      # (tasks, as a group) not yet sent
        self.tasks: dict[str, dict] = {}                      # task id -> TaskInfo, not terminal
        self.seen: set[bytes] = set()                         # update uuids already taken
        self.timers: dict[str, Any] = {}
        self.reason = "REASON_EXECUTOR_TERMINATED"
        self.silent = False                                   # framework shut down: report nothing
