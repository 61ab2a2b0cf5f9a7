"""The seam between the local master and its agents (`mesosframe.local`).

Real Mesos masters and agents talk over libprocess; ours talk through these two interfaces. Everything
runs on one asyncio event loop owned by the cluster: every method here is called on that loop's thread,
is synchronous, and must not block. Timers use `loop.call_later`; time is read from the shared `Clock`.

Status updates are reliable end to end, as in Mesos: an agent's `StatusUpdateManager` keeps, per task,
a queue of updates (each with a 16-byte uuid); it sends the head with `MasterPort.status_update` and
re-sends it with backoff until `AgentHandle.acknowledge` arrives with that uuid, then sends the next.
The master forwards each update to the framework's stream if it is connected, and drops it otherwise
(the agent's retry delivers it later, also after a framework failover).

JSON here is Mesos's JSON mapping (`mesos-v1.md` section 0.3): dicts with snake_case keys, enums as names,
bytes as base64 strings. Updates carry `uuid` as base64 of 16 bytes.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Sequence


def ranges_overlap(pairs: Sequence[tuple[int, int]]) -> bool:
    """Mesos's check of one Resource's ranges (`Resources::validate`), for the master and the agents' flags
    alike: True when a range begins inside an earlier one in the list. Order matters there, and so here:
    (1-10, 5-20) overlaps, (5-20, 1-10) does not."""
    return any(earlier[0] <= later[0] <= earlier[1]
               for i, earlier in enumerate(pairs) for later in pairs[i + 1:])


@dataclass
class AgentInfo:
    """What the master knows of an agent when it registers.

    `resources` and `attributes` are Mesos JSON lists (Resource, Attribute). `port` is the agent's HTTP
    port (its executor API) or 0 when it has none (simulated agents).
    """
    agent_id: str
    hostname: str
    port: int = 0
    resources: list[dict] = field(default_factory=list)
    attributes: list[dict] = field(default_factory=list)
    kind: str = "process"          # "process" | "simulated" | "container"
    capabilities: list[str] = field(default_factory=list)


class AgentHandle(ABC):
    """An agent, as seen by the master. Implemented in `mesosframe.local.agents`."""

    info: AgentInfo

    @abstractmethod
    def launch_tasks(self, framework: dict, tasks: list[dict], executor: dict | None = None) -> None:
        """Run `tasks` (TaskInfo JSON, already validated and with resources allocated by the master).

        `framework` is the FrameworkInfo JSON (with `id`). `executor` is the ExecutorInfo for LAUNCH_GROUP
        (the tasks form one group) or None for LAUNCH. The agent reports every state change through
        `MasterPort.status_update`, starting with TASK_STARTING (process agents) or TASK_RUNNING.
        """

    @abstractmethod
    def kill_task(self, framework_id: str, task_id: str, kill_policy: dict | None = None) -> None:
        """Kill a task: SIGTERM, wait the grace period (the call's kill_policy, else the task's, else 3 s),
        then SIGKILL. Sends TASK_KILLING first when the framework has TASK_KILLING_STATE, then TASK_KILLED.
        An unknown task id is ignored."""

    @abstractmethod
    def acknowledge(self, framework_id: str, task_id: str, uuid: bytes) -> None:
        """The framework acknowledged the update `uuid` of this task: stop re-sending it, send the next."""

    @abstractmethod
    def shutdown_framework(self, framework_id: str) -> None:
        """Kill every task of the framework and forget it (TEARDOWN or failover timeout)."""

    @abstractmethod
    def shutdown_executor(self, framework_id: str, executor_id: str) -> None:
        """SHUTDOWN call: stop the executor and its tasks."""

    @abstractmethod
    def framework_message(self, framework_id: str, executor_id: str, data: bytes) -> None:
        """MESSAGE call: deliver `data` to the executor (ignored when there is none)."""

    @abstractmethod
    def reregister_tasks(self) -> list[tuple[str, dict]]:
        """The agent's live tasks as (framework_id, latest TaskStatus JSON), for re-registration."""

    def reregister_task_infos(self) -> list[tuple[str, dict, dict]]:
        """The agent's live tasks as (framework_id, TaskInfo JSON, latest TaskStatus JSON), so a master that
        never knew the agent can adopt them. The default knows only the task ids (no resources)."""
        return [(fid, {"task_id": status["task_id"]}, status) for fid, status in self.reregister_tasks()]

    @abstractmethod
    def stop(self) -> None:
        """Kill every task process and stop all timers. Leaves no orphans."""


class MasterPort(ABC):
    """The master, as seen by an agent. Implemented by `mesosframe.local.master.Master`."""

    @abstractmethod
    def register_agent(self, agent: AgentHandle) -> None:
        """Add (or re-register, if `agent.info.agent_id` is known) an agent; its resources become offerable."""

    @abstractmethod
    def status_update(self, agent_id: str, framework_id: str, status: dict) -> None:
        """A TaskStatus JSON with a uuid, from the agent. The agent re-sends it until acknowledged."""

    @abstractmethod
    def agent_heartbeat(self, agent_id: str) -> None:
        """The agent is alive. An agent silent for the master's `agent_ping_timeout` is unreachable."""

    @abstractmethod
    def agent_exited(self, agent_id: str) -> None:
        """The agent's process died or its link broke: treat it as unreachable at once."""

    @abstractmethod
    def executor_message(self, agent_id: str, framework_id: str, executor_id: str, data: bytes) -> None:
        """An executor sent a framework message; the master emits a MESSAGE event."""

    @abstractmethod
    def executor_exited(self, agent_id: str, framework_id: str, executor_id: str, status: int) -> None:
        """A custom executor terminated; the master emits FAILURE{agent_id, executor_id, status}."""
