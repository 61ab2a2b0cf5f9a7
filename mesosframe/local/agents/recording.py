"""`RecordingMaster`: a `MasterPort` that records what agents tell it, for testing agents without a master.

Every call is appended to `calls` as `(method_name, args)`; status updates also go to `updates` as
`(agent_id, framework_id, status)`. With `auto_ack=True` each status update is acknowledged at once (on the
same loop turn, via `loop.call_soon` when a loop is given, else synchronously); otherwise tests call
`ack(status)` themselves.
"""
from __future__ import annotations

import base64
from typing import Any

from mesosframe.local.protocol import AgentHandle, MasterPort

__all__ = ["RecordingMaster"]


class RecordingMaster(MasterPort):
    """Records agent calls; acknowledges updates on demand (see the module docstring)."""

    def __init__(self, *, auto_ack: bool = False, loop: Any = None) -> None:
        self.calls: list[tuple[str, tuple]] = []
        self.updates: list[tuple[str, str, dict]] = []
        self.agents: dict[str, AgentHandle] = {}
        self.heartbeats: dict[str, int] = {}
        self.auto_ack = auto_ack
        self._loop = loop

    def register_agent(self, agent: AgentHandle) -> None:
        self.calls.append(("register_agent", (agent.info.agent_id,)))
        self.agents[agent.info.agent_id] = agent

    def status_update(self, agent_id: str, framework_id: str, status: dict) -> None:
        self.updates.append((agent_id, framework_id, status))
        if self.auto_ack:
            if self._loop is not None:
                self._loop.call_soon(self.ack, status, agent_id, framework_id)
            else:
                self.ack(status, agent_id, framework_id)

    def agent_heartbeat(self, agent_id: str) -> None:
        self.heartbeats[agent_id] = self.heartbeats.get(agent_id, 0) + 1

    def agent_exited(self, agent_id: str) -> None:
        self.calls.append(("agent_exited", (agent_id,)))

    def executor_message(self, agent_id: str, framework_id: str, executor_id: str, data: bytes) -> None:
        self.calls.append(("executor_message", (agent_id, framework_id, executor_id, data)))

    def executor_exited(self, agent_id: str, framework_id: str, executor_id: str, status: int) -> None:
        self.calls.append(("executor_exited", (agent_id, framework_id, executor_id, status)))

    # for tests -------------------------------------------------------------------------------------

    def ack(self, status: dict, agent_id: str | None = None, framework_id: str | None = None) -> None:
        """Acknowledge `status` to its agent (found from the recorded update if ids are not given)."""
        if agent_id is None or framework_id is None:
            agent_id, framework_id = next((a, f) for a, f, s in self.updates if s is status)
        self.agents[agent_id].acknowledge(framework_id, status["task_id"]["value"],
                                          base64.b64decode(status["uuid"]))

    def states(self, task_id: str, unique: bool = False) -> list[str]:
        """The states of the updates received for `task_id`, in order; re-sent copies (same uuid) are
        included unless `unique`."""
        seen: set[str] = set()
        states = []
        for _, _, status in self.updates:
            if status["task_id"]["value"] != task_id or (unique and status["uuid"] in seen):
                continue
            seen.add(status["uuid"])
            states.append(status["state"])
        return states

    def last(self, task_id: str) -> dict:
        """The latest update received for `task_id`."""
        return next(s for _, _, s in reversed(self.updates) if s["task_id"]["value"] == task_id)
