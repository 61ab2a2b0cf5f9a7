"""The state of the in-memory service: apps, groups, simulated tasks, launch queue, running deployments.

Plain data plus queries over it. `schedulers.longrun.runner` moves it forward in time; the service
(`schedulers.longrun.memory`) changes it on API calls. Both hold the service's lock while they do.
"""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Callable

from schedulers.longrun.backoff import BackoffPolicy, LaunchDelay
from schedulers.longrun.health import HealthRecord
from schedulers.longrun.pathid import task_prefix
from schedulers.longrun.plan import DeploymentPlan, ProgressWatch
from schedulers.longrun.restart import RestartStrategy
from schedulers.longrun.service import Task
from schedulers.longrun.spec import AppDefinition, UnreachableStrategy

# What a simulated launch does: "healthy", "unhealthy" (runs, fails its checks), "failed" (TASK_FAILED at
# once) or "staging" (never starts).
Behaviour = Callable[[AppDefinition], str]


def always_healthy(app: AppDefinition) -> str:
    return "healthy"


@dataclass(frozen=True)
class SimulatedAgent:
    agent_id: str
    hostname: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class RunningDeployment:
    """A plan being executed: `step` indexes the current step; restart bounds are fixed when a restart starts."""

    plan: DeploymentPlan
    started_at: float
    step: int = 0
    strategies: dict[str, RestartStrategy] = field(default_factory=dict)
    watch: ProgressWatch | None = None

    def current_actions(self) -> list:
        return list(self.plan.steps[self.step].actions) if self.step < len(self.plan.steps) else []

    def to_json(self) -> dict:
        actions = [{"action": a.kind, "app": a.app_id, "readinessCheckResults": []} for a in self.current_actions()]
        return self.plan.to_json(current_step=min(self.step + 1, len(self.plan.steps)), current_actions=actions)


@dataclass
class MemoryState:
    apps: dict[str, AppDefinition] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    queued: dict[str, int] = field(default_factory=dict)
    queued_since: dict[str, float] = field(default_factory=dict)
    delays: dict[str, LaunchDelay] = field(default_factory=dict)
    deployments: dict[str, RunningDeployment] = field(default_factory=dict)
    doomed: set[str] = field(default_factory=set)
    health: dict[str, HealthRecord] = field(default_factory=dict)
    agents: list[SimulatedAgent] = field(default_factory=list)
    _ports: itertools.count = field(default_factory=lambda: itertools.count(31000))

    # queries
    def app_tasks(self, app_id: str) -> list[Task]:
        return [t for t in self.tasks.values() if t.app_id == app_id]

    def live_tasks(self, app_id: str, now: float) -> list[Task]:
        """Tasks that count towards the app's instances: not killing, not unreachable past inactiveAfter."""
        return [t for t in self.app_tasks(app_id) if not t.killing and not self.inactive(t, now)]

    def inactive(self, task: Task, now: float) -> bool:
        if task.unreachable_since is None:
            return False
        strategy = self.apps[task.app_id].unreachableStrategy if task.app_id in self.apps else None
        if not isinstance(strategy, UnreachableStrategy):
            return False
        return now - task.unreachable_since >= strategy.inactiveAfterSeconds

    def locked_by(self, app_ids: set[str]) -> list[str]:
        return [d for d, run in self.deployments.items() if app_ids & set(run.plan.affected_apps)]

    def in_deployment(self, app_id: str) -> bool:
        return bool(self.locked_by({app_id}))

    # changes
    def agent_load(self, app_id: str) -> dict[str, int]:
        """Tasks of `app_id` per agent id."""
        load = {a.agent_id: 0 for a in self.agents}
        for t in self.app_tasks(app_id):
            load[t.agent_id] = load.get(t.agent_id, 0) + 1
        return load

    def new_task(self, app: AppDefinition, now: float, load: dict[str, int]) -> Task:
        """A staged task of `app` on the agent with fewest tasks of that app by `load` (from `agent_load`; kept up
        to date here, so that many launched in a row are not counted again each time)."""
        agent = min(self.agents, key=lambda a: (load.get(a.agent_id, 0), a.agent_id))
        load[agent.agent_id] = load.get(agent.agent_id, 0) + 1
        task = Task(
            id=f"{task_prefix(app.id)}.instance-{uuid.uuid4()}._app.1", app_id=app.id, version=app.version or "",
            config_version=config_version(app), host=agent.hostname, agent_id=agent.agent_id,
            ports=[next(self._ports) for _ in app.portDefinitions], staged_at=now,
            attributes={"hostname": agent.hostname, **agent.attributes})
        self.tasks[task.id] = task
        return task

    def enqueue(self, app_id: str, count: int, now: float) -> None:
        if count > 0:
            self.queued[app_id] = self.queued.get(app_id, 0) + count
            self.queued_since.setdefault(app_id, now)

    def dequeue(self, app_id: str, count: int) -> None:
        left = max(0, self.queued.get(app_id, 0) - count)
        if left:
            self.queued[app_id] = left
        else:
            self.queued.pop(app_id, None)
            self.queued_since.pop(app_id, None)


def config_version(app: AppDefinition) -> str:
    """The version of the app's config (lastConfigChangeAt), which tasks are compared against."""
    return app.versionInfo.lastConfigChangeAt if app.versionInfo else (app.version or "")


def backoff_policy(app: AppDefinition) -> BackoffPolicy:
    return BackoffPolicy(app.backoffSeconds, app.backoffFactor, app.maxLaunchDelaySeconds)


def counts_healthy(task: Task) -> bool:
    """Running, not being killed, and healthy: no checks counts as healthy; with checks (`checked`) a task
    counts once a check passed."""
    known = task.healthy is True if task.checked else task.healthy is not False
    return task.state == "TASK_RUNNING" and not task.killing and known and task.unreachable_since is None
