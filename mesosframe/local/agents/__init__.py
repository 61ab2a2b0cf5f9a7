"""The local cluster's agents (`mesosframe.local`): they implement `AgentHandle` and talk to the master
through `MasterPort` (see `mesosframe/local/protocol.py`).

- `ProcessAgent`: real command tasks in per-task sandboxes (command executor semantics); image tasks in
  containers (`containers=ContainerOptions(...)`); custom executors and LAUNCH_GROUP through the v1 executor
  API (`mesosframe.local.executors`), served on the port `start()` puts in `AgentInfo.port`; executors whose
  ExecutorInfo has a container image run inside it (`ContainerExecutorLauncher`) when containers are usable.
  Mesos-native health checks (`TaskInfo.health_check`: HTTP, TCP, COMMAND) of the tasks it runs itself,
  image tasks included, are performed by the agent (`checks.py`: `HealthWatch` on the pure
  `executors.health` parts), reported as the command executor does (TASK_RUNNING, `healthy`,
  REASON_TASK_HEALTH_CHECK_STATUS_UPDATED; killed after `consecutive_failures`). Chosen over running such
  tasks under the bundled command executor: no Python process per task, and fetching, `user` and images
  keep working. Not done: `check` (CheckInfo); COMMAND checks run on the host as the agent's user.
- `SimulatedAgent`: no processes; task behaviour from `mesosframe.sim/...` labels; cheap enough for 10,000.
- `parse_resources`, `parse_attributes`: the agent's `--resources` / `--attributes` flag syntax -> Mesos JSON.
- `StatusUpdateManager`: reliable, ordered, retried status updates (shared by all agent kinds).
- `TaskLauncher` / `TaskRun`, `CommandLauncher`: the plug-in point for launchers.
- `ContainerOptions`, `ContainerLauncher`: tasks with a Docker image run in containers (runc), given
  `ProcessAgent(..., containers=ContainerOptions(image_store=DIR))`; see `containerized.py`.
- `recording.RecordingMaster`: a `MasterPort` that records calls, for testing agents without a master.

Every agent also has `start()`, `crash()`, `pause_heartbeats()` and `resume_heartbeats()` for tests, and
`take_status(framework_id, status)` to relay updates made by an executor.
"""
from __future__ import annotations

from mesosframe.local.agents.base import BaseAgent
from mesosframe.local.agents.checks import HealthWatch, health_check_spec
from mesosframe.local.agents.containerized import ContainerLauncher, ContainerOptions, ContainerTaskRun
from mesosframe.local.agents.flags import AgentFlagError, parse_attributes, parse_resources
from mesosframe.local.agents.launchers import (
    CommandLauncher, LaunchRejected, LaunchSpec, ProcessTaskRun, TaskLauncher, TaskRun,
)
from mesosframe.local.agents.process import ProcessAgent
from mesosframe.local.agents.sandbox import FetchError
from mesosframe.local.agents.simulated import SimulatedAgent, SimulationLabelError
from mesosframe.local.agents.updates import StatusUpdateManager, is_terminal

__all__ = [
    "AgentFlagError", "BaseAgent", "CommandLauncher", "ContainerLauncher", "ContainerOptions", "ContainerTaskRun",
    "FetchError", "HealthWatch", "LaunchRejected", "LaunchSpec", "ProcessAgent", "ProcessTaskRun", "SimulatedAgent", "SimulationLabelError", "StatusUpdateManager",
    "TaskLauncher", "TaskRun",
    "health_check_spec", "is_terminal", "parse_attributes", "parse_resources",
]
