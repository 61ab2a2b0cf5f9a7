"""What every local agent kind shares: registration, heartbeats, status updates, task bookkeeping,
and the failure switches tests use (`crash`, `pause_heartbeats`, `resume_heartbeats`).

Subclasses implement `launch_tasks`, `kill_task`, `_status_base` (the fields their updates carry besides
state, message and reason) and `_terminate` (kill a task's work without reporting). All methods run on the
cluster loop and do not block.
"""
from __future__ import annotations

import base64
import logging
from typing import Any

from mesosframe.core.clock import Clock
from mesosframe.local.agents.heartbeats import HeartbeatPool
from mesosframe.local.agents.updates import StatusUpdateManager, is_terminal, stamp
from mesosframe.local.protocol import AgentHandle, AgentInfo, MasterPort

log = logging.getLogger("mesosframe.local.agents")

__all__ = ["BaseAgent", "AgentTask", "value_of", "has_capability"]


def value_of(field: Any) -> str:
    """`{"value": "x"}` or `"x"` -> `"x"` (ids arrive in Mesos JSON form)."""
    return field["value"] if isinstance(field, dict) else str(field)


def has_capability(framework: dict, capability: str) -> bool:
    """Whether FrameworkInfo JSON lists `capability` (e.g. TASK_KILLING_STATE)."""
    return any(c.get("type") == capability for c in framework.get("capabilities", ()))


class AgentTask:
    """A task the agent knows: ids, its TaskInfo, and the latest status it reported."""

    __slots__ = ("framework_id", "task_id", "task", "latest", "killing")

    def __init__(self, framework_id: str, task_id: str, task: dict) -> None:
        self.framework_id = framework_id
        self.task_id = task_id
        self.task = task
        self.latest: dict | None = None
        self.killing = False

    @property
    def state(self) -> str | None:
        return self.latest["state"] if self.latest else None

    @property
    def terminal(self) -> bool:
        return self.latest is not None and is_terminal(self.latest["state"])


class BaseAgent(AgentHandle):
    """Shared machinery of ProcessAgent and SimulatedAgent; see the module docstring."""

    __slots__ = ("info", "_master", "_loop", "_clock", "_interval", "_updates", "_tasks", "_frameworks",
                 "_agent_id_json", "_running", "_beating")

    def __init__(self, master: MasterPort, info: AgentInfo, *, loop: Any, clock: Clock,
                 heartbeat_interval: float = 5.0,
                 status_update_retry: tuple[float, float] = (10.0, 600.0)) -> None:
        if heartbeat_interval <= 0:
            raise ValueError(f"heartbeat_interval must be positive, got {heartbeat_interval!r}")
        self.info = info
        self._master = master
        self._loop = loop
        self._clock = clock
        self._interval = float(heartbeat_interval)
        self._updates = StatusUpdateManager(self._send_update, loop, status_update_retry)
        self._tasks: dict[tuple[str, str], AgentTask] = {}
        self._frameworks: dict[str, dict] = {}
        self._agent_id_json = {"value": info.agent_id}
        self._running = False
        self._beating = False

    # lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Register with the master and start heartbeats. Also used to come back after `crash()`."""
        self._running = True
        self._master.register_agent(self)       # may assign `info.agent_id` if it was empty
        self._agent_id_json = {"value": self.info.agent_id}
        self._join_heartbeats()
        self._updates.resume()

    def stop(self) -> None:
        """Kill every task's work, stop heartbeats and update retries. Does not tell the master."""
        self._halt()

    def crash(self) -> None:
        """Die silently: tasks are killed, heartbeats and update retries stop, the master is not told.

        `start()` afterwards brings the agent back with the same id and no tasks, like an agent restarted
        without recovery.
        """
        self._halt()

    def pause_heartbeats(self) -> None:
        """Simulate a network partition: no heartbeats and no status updates reach the master. Tasks keep
        running; their updates queue up and are re-sent by `resume_heartbeats()`."""
        self._leave_heartbeats()
        self._updates.pause()

    def resume_heartbeats(self, reregister: bool = True) -> None:
        """Heal the partition: optionally re-register (the master then calls `reregister_tasks()`), then
        beat again and re-send every unacknowledged update."""
        if not self._running:
            return
        if reregister:
            self._master.register_agent(self)
        self._join_heartbeats()
        self._updates.resume()

    @property
    def heartbeating(self) -> bool:
        return self._beating

    # seam ------------------------------------------------------------------------------------------

    def acknowledge(self, framework_id: str, task_id: str, uuid: bytes) -> None:
        acked = self._updates.acknowledge(framework_id, task_id, uuid)
        if acked is None:
            return
        record = self._tasks.get((framework_id, task_id))
        if record is not None and is_terminal(acked["state"]) and not self._updates.pending(framework_id, task_id):
            del self._tasks[(framework_id, task_id)]

    def shutdown_framework(self, framework_id: str) -> None:
        for key in [k for k in self._tasks if k[0] == framework_id]:
            self._terminate(self._tasks.pop(key))
        self._updates.forget(framework_id)
        self._frameworks.pop(framework_id, None)
        log.info("framework_shutdown agent=%s framework=%s", self.info.agent_id, framework_id)

    def shutdown_executor(self, framework_id: str, executor_id: str) -> None:
        """Command tasks run under an executor whose id is the task id: shutting it down kills the task."""
        self.kill_task(framework_id, executor_id)

    def framework_message(self, framework_id: str, executor_id: str, data: bytes) -> None:
        """There are no custom executors yet, so no one can receive the message: it is dropped."""
        log.debug("message_dropped agent=%s framework=%s executor=%s", self.info.agent_id, framework_id,
                  executor_id)

    def reregister_tasks(self) -> list[tuple[str, dict]]:
        return [(t.framework_id, t.latest) for t in self._tasks.values() if t.latest is not None]

    def reregister_task_infos(self) -> list[tuple[str, dict, dict]]:
        return [(t.framework_id, t.task, t.latest) for t in self._tasks.values() if t.latest is not None]

    def take_status(self, framework_id: str, status: dict) -> None:
        """Queue a complete TaskStatus made elsewhere (an executor's UPDATE: already has its base64 `uuid` and
        `timestamp`) for reliable delivery, and keep it as the task's latest. This is the `status_sink` an
        executor host needs; tasks the agent did not know yet are adopted."""
        task_id = status["task_id"]["value"]
        record = self._tasks.get((framework_id, task_id))
        if record is None:
            record = self._tasks[(framework_id, task_id)] = AgentTask(framework_id, task_id,
                                                                      {"task_id": status["task_id"]})
        record.latest = status
        self._updates.update(framework_id, status, base64.b64decode(status["uuid"]))

    # for tests and the cluster ---------------------------------------------------------------------

    def task_state(self, framework_id: str, task_id: str) -> str | None:
        """The latest state the agent reported for the task, or None if it does not know the task."""
        record = self._tasks.get((framework_id, task_id))
        return record.state if record else None

    def pending_updates(self, framework_id: str, task_id: str) -> list[dict]:
        """Unacknowledged updates of the task, oldest first."""
        return self._updates.pending(framework_id, task_id)

    @property
    def task_count(self) -> int:
        return len(self._tasks)

    # helpers for subclasses ------------------------------------------------------------------------

    def _report(self, record: AgentTask, state: str, message: str | None = None, reason: str | None = None,
                source: str = "SOURCE_EXECUTOR", **extra: Any) -> None:
        """Build, stamp and queue a status update for `record` (reliable delivery to the master)."""
        status = self._status_base(record)
        status["state"] = state
        status["source"] = source
        if message is not None:
            status["message"] = message
        if reason is not None:
            status["reason"] = reason
        status.update(extra)
        uuid = stamp(status, self._clock.now())
        record.latest = status
        self._updates.update(record.framework_id, status, uuid)

    def _status_base(self, record: AgentTask) -> dict:
        task_id = record.task.get("task_id")
        if not isinstance(task_id, dict):
            task_id = {"value": record.task_id}
        return {"task_id": task_id, "agent_id": self._agent_id_json}   # shared, never mutated

    def _remember_framework(self, framework: dict) -> str:
        framework_id = value_of(framework["id"])
        self._frameworks[framework_id] = framework
        return framework_id

    def _terminate(self, record: AgentTask) -> None:
        """Kill the task's work at once without reporting anything (framework shutdown, stop, crash)."""

    def _send_update(self, framework_id: str, status: dict) -> None:
        if not self._running:
            return
        try:
            self._master.status_update(self.info.agent_id, framework_id, status)
        except Exception:  # the update stays queued and is re-sent
            log.exception("status_update_failed agent=%s framework=%s", self.info.agent_id, framework_id)

    def _halt(self) -> None:
        self._running = False
        self._leave_heartbeats()
        for record in list(self._tasks.values()):
            self._terminate(record)
        self._tasks.clear()
        self._updates.clear()

    def _join_heartbeats(self) -> None:
        HeartbeatPool.join(self._loop, self._master, self._interval, self.info.agent_id)
        self._beating = True

    def _leave_heartbeats(self) -> None:
        HeartbeatPool.leave(self._loop, self._master, self._interval, self.info.agent_id)
        self._beating = False
