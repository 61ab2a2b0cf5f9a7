"""Deployment plans (PURE): what changes, in which order, as data.

A plan turns an original set of apps into a target set. Steps run one after another; the actions of a step
run in parallel. Order, as Marathon's DeploymentPlan:
  1. one step stopping every removed app;
  2. one step starting every new app at 0 instances;
  3. one step per dependency layer, dependencies first (layer = longest dependency path below the app):
     a new app or a scale-only change gets ScaleApplication, a config change RestartApplication (a restart
     request is a config change: it moves versionInfo.lastConfigChangeAt without changing the config).
A revert plan goes from the current apps back to a plan's original ones, for the apps that plan touched.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

from mesosframe.errors import ValidationError
from schedulers.longrun.pathid import ancestors, is_within
from schedulers.longrun.spec import AppDefinition

ActionKind = Literal["StartApplication", "ScaleApplication", "RestartApplication", "StopApplication"]
Apps = Mapping[str, AppDefinition]


class DependencyCycleError(ValidationError):
    """Apps whose dependencies form a cycle; `cycle` lists the ids on it."""

    def __init__(self, cycle: Sequence[str]) -> None:
        super().__init__(f"dependency cycle: {' -> '.join(cycle)}", path="/dependencies")
        self.cycle = list(cycle)


@dataclass(frozen=True)
class Action:
    """One action on one app; `instances` is the count to scale or start to, where it applies."""

    kind: ActionKind
    app_id: str
    instances: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"action": self.kind, "app": self.app_id}


@dataclass(frozen=True)
class DeploymentStep:
    actions: tuple[Action, ...]

    def to_json(self) -> dict[str, Any]:
        return {"actions": [a.to_json() for a in self.actions]}


@dataclass(frozen=True)
class DeploymentPlan:
    """A plan from `original` to `target`; `id` is a uuid string and `version` the ISO time of the change."""

    id: str
    version: str
    original: Apps
    target: Apps
    steps: tuple[DeploymentStep, ...]
    group_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def affected_apps(self) -> list[str]:
        return sorted({a.app_id for s in self.steps for a in s.actions})

    @property
    def is_empty(self) -> bool:
        return not self.steps

    def to_json(self, current_step: int = 0, current_actions: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
        """Marathon's `/v2/deployments` element; `current_step` counts from 1 once the plan runs."""
        return {
            "id": self.id, "version": self.version, "affectedApps": self.affected_apps, "affectedPods": [],
            "steps": [s.to_json() for s in self.steps], "currentActions": list(current_actions),
            "currentStep": current_step, "totalSteps": len(self.steps),
        }


def effective_dependencies(apps: Apps, group_dependencies: Mapping[str, Sequence[str]] = ()) -> dict[str, set[str]]:
    """Per app, the ids of the apps it depends on: its own dependencies and its groups', each naming an app
    or every app under a group. Dependencies on paths with no app are ignored."""
    group_deps = dict(group_dependencies or {})
    out: dict[str, set[str]] = {}
    for app_id, app in apps.items():
        paths = list(app.dependencies)
        for group in ancestors(app_id):
            paths.extend(group_deps.get(group, ()))
        deps = {other for p in paths for other in apps if is_within(other, p) and other != app_id}
        out[app_id] = deps
    return out


def dependency_layers(apps: Apps, group_dependencies: Mapping[str, Sequence[str]] = ()) -> list[list[str]]:
    """Apps grouped by longest dependency path, shortest first (dependencies first); sorted inside a layer.

    Raises DependencyCycleError."""
    deps = effective_dependencies(apps, group_dependencies)
    depth: dict[str, int] = {}

    def visit(app_id: str, trail: list[str]) -> int:
        if app_id in depth:
            return depth[app_id]
        if app_id in trail:
            raise DependencyCycleError(trail[trail.index(app_id):] + [app_id])
        trail.append(app_id)
        level = 1 + max((visit(d, trail) for d in deps[app_id]), default=-1)
        trail.pop()
        depth[app_id] = level
        return level

    for app_id in sorted(apps):
        visit(app_id, [])
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for app_id in sorted(depth):
        layers[depth[app_id]].append(app_id)
    return layers


def plan_deployment(original: Apps, target: Apps, *, plan_id: str, version: str,
                    group_dependencies: Mapping[str, Sequence[str]] | None = None) -> DeploymentPlan:
    """The plan from `original` to `target` (both keyed by canonical app id). Raises DependencyCycleError."""
    group_deps = {k: tuple(v) for k, v in (group_dependencies or {}).items()}
    steps: list[DeploymentStep] = []
    removed = sorted(set(original) - set(target))
    if removed:
        steps.append(DeploymentStep(tuple(Action("StopApplication", a) for a in removed)))
    added = sorted(set(target) - set(original))
    if added:
        steps.append(DeploymentStep(tuple(Action("StartApplication", a, 0) for a in added)))
    for layer in dependency_layers(target, group_deps):
        actions = [a for a in (_action(original.get(i), target[i]) for i in layer) if a is not None]
        if actions:
            steps.append(DeploymentStep(tuple(actions)))
    return DeploymentPlan(plan_id, version, dict(original), dict(target), tuple(steps), group_deps)


def _action(before: AppDefinition | None, after: AppDefinition) -> Action | None:
    if before is None:
        return Action("ScaleApplication", after.id, after.instances) if after.instances > 0 else None
    if before.config_key() != after.config_key() or _config_version(before) != _config_version(after):
        return Action("RestartApplication", after.id, after.instances)
    if before.instances != after.instances:
        return Action("ScaleApplication", after.id, after.instances)
    return None


def _config_version(app: AppDefinition) -> str | None:
    return app.versionInfo.lastConfigChangeAt if app.versionInfo else None


def revert_target(plan: DeploymentPlan, current: Apps) -> dict[str, AppDefinition]:
    """`current` with every app the plan touched put back as it was in the plan's original."""
    out = dict(current)
    for app_id in plan.affected_apps:
        if app_id in plan.original:
            out[app_id] = plan.original[app_id]
        else:
            out.pop(app_id, None)
    return out


def rollback_plan(plan: DeploymentPlan, current: Apps, *, plan_id: str, version: str) -> DeploymentPlan:
    """A plan that takes `current` back to `plan`'s original for the apps `plan` touched."""
    return plan_deployment(current, revert_target(plan, current), plan_id=plan_id, version=version,
                           group_dependencies=plan.group_dependencies)


@dataclass(frozen=True)
class ProgressWatch:
    """The last observed progress signature of a deployment, and since when it has not changed."""

    signature: tuple
    since: float


def watch_progress(watch: ProgressWatch | None, signature: tuple, now: float,
                   deadline_seconds: float | None) -> tuple[ProgressWatch, bool]:
    """Record an observation; the flag is True when nothing changed for longer than `deadline_seconds`
    (None disables the deadline, as in Marathon, where a step never times out)."""
    if watch is None or watch.signature != signature:
        return ProgressWatch(signature, now), False
    stalled = deadline_seconds is not None and now - watch.since > deadline_seconds
    return watch, stalled
