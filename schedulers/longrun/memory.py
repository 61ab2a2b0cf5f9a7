"""`InMemoryLongrunService`: the whole `LongrunService` over simulated tasks, for tests, demos and benchmarks.

Changes are applied at once to the app set (as Marathon does) and produce a deployment; `tick()` moves
simulated tasks and deployments forward by the pure plan and restart steps, at the clock's time. Nothing
happens between ticks, so tests see every intermediate state. Thread-safe (one lock).
"""
from __future__ import annotations

import math

import threading
import uuid
from collections import OrderedDict
from typing import Any, Sequence

from mesosframe.core.clock import Clock
from mesosframe.errors import NotLeaderError
from schedulers.longrun import backoff, runner
from schedulers.longrun.events import EventBus, make_event
from schedulers.longrun.groups import (check_tree, group_exists, group_json, parse_group_body, replace_subtree,
                                       scale_group)
from schedulers.longrun.health import record_result, HealthRecord
from schedulers.longrun.pathid import ROOT, is_within
from schedulers.longrun.plan import plan_deployment, rollback_plan
from schedulers.longrun.service import (AppExistsError, AppLockedError, BadRequestError, DeploymentResult,
                                        EventSubscription, LongrunService, NotFoundError, Task,
                                        TooManyDeploymentsError, iso)
from schedulers.longrun.simstate import (Behaviour, MemoryState, RunningDeployment, SimulatedAgent,
                                         always_healthy, backoff_policy, config_version)
from schedulers.longrun.spec import MAX_INSTANCES, AppDefinition
from schedulers.longrun.versioning import AppVersioner

MAX_VERSIONS = 50


def _scale_factor(value: Any, apps: dict[str, AppDefinition], group_id: str) -> float:
    """`scaleBy` as a float; BadRequestError unless it is a finite number >= 0 that keeps every app of the group
    within `MAX_INSTANCES`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequestError("scaleBy must be a finite non-negative number")
    try:
        factor = float(value)
    except OverflowError:
        factor = math.inf
    if not 0 <= factor < math.inf:
        raise BadRequestError("scaleBy must be a finite non-negative number")
    largest = max((a.instances for k, a in apps.items() if is_within(k, group_id)), default=0)
    if largest * factor > MAX_INSTANCES:
        raise BadRequestError(f"scaleBy {factor:g} would give an app more than {MAX_INSTANCES} instances")
    return factor


class InMemoryLongrunService(LongrunService):
    """Simulated Marathon. `behaviour(app)` decides what each launch does (see simstate.Behaviour)."""

    def __init__(self, clock: Clock, *, behaviour: Behaviour = always_healthy, agents: int = 3,
                 progress_deadline: float | None = None, max_running_deployments: int = 100,
                 leader: str = "127.0.0.1:8080") -> None:
        self.clock = clock
        self.behaviour = behaviour
        self.progress_deadline = progress_deadline
        self.max_running_deployments = max_running_deployments
        self.bus = EventBus()
        self.state = MemoryState(agents=[SimulatedAgent(f"agent-{i}", f"host-{i}", {"rack": f"r{i % 2}"})
                                         for i in range(agents)])
        self._lock = threading.RLock()
        self._versions: dict[str, OrderedDict[str, AppDefinition]] = {}
        self._root_history: OrderedDict[str, tuple[dict, dict]] = OrderedDict()
        self._versions_of = AppVersioner()
        self._leader: str | None = leader

    # simulation controls ------------------------------------------------------------------------------
    def tick(self) -> None:
        """Advance tasks and deployments once; stalled deployments fail and are rolled back."""
        with self._lock:
            now = self.clock.now()
            for dep_id in runner.tick(self.state, now, self.bus.publish, self.behaviour, self.progress_deadline):
                self._fail_and_revert(dep_id, now)

    def settle(self, max_ticks: int = 100) -> int:
        """Tick until no deployment, launch or kill is pending (or `max_ticks`); returns the ticks used."""
        for n in range(1, max_ticks + 1):
            self.tick()
            with self._lock:
                if not (self.state.deployments or self.state.queued
                        or any(t.killing for t in self.state.tasks.values())):
                    return n
        return max_ticks

    def report_health(self, task_id: str, ok: bool) -> None:
        """Feed one health-check result for a task (the app's first check); may doom the task."""
        with self._lock:
            now = self.clock.now()
            task = self._task(task_id)
            app = self.state.apps[task.app_id]
            if not app.healthChecks:
                raise BadRequestError(f"app {app.id} has no health checks")
            record = self.state.health.get(task_id) or HealthRecord(started_at=task.started_at or now)
            record, kill = record_result(record, app.healthChecks[0], ok, now)
            self.state.health[task_id] = record
            if record.alive is not None and record.alive != task.healthy:
                task.healthy = record.alive
                self.bus.publish(make_event("health_status_changed_event", now, appId=app.id, instanceId=task_id,
                                            version=task.version, alive=record.alive))
            if not ok:
                self.bus.publish(make_event("failed_health_check_event", now, appId=app.id, taskId=task_id,
                                            instanceId=task_id, healthCheck=app.healthChecks[0].model_dump()))
            if kill:
                self.state.doomed.add(task_id)

    def set_unreachable(self, task_id: str, unreachable: bool = True) -> None:
        """Mark a task unreachable (from now) or reachable again; a returning replaced task is killed."""
        with self._lock:
            now = self.clock.now()
            task = self._task(task_id)
            if unreachable:
                task.unreachable_since = task.unreachable_since or now
                task.state = "TASK_UNREACHABLE"
                return
            replaced = self.state.inactive(task, now)
            task.unreachable_since, task.state = None, "TASK_RUNNING"
            if replaced:
                runner.kill_task(self.state, task, now, self.bus.publish, "replaced while unreachable")

    def _task(self, task_id: str) -> Task:
        if task_id not in self.state.tasks:
            raise NotFoundError(f"Task '{task_id}' does not exist")
        return self.state.tasks[task_id]

    # apps ----------------------------------------------------------------------------------------------
    def apps(self) -> list[AppDefinition]:
        with self._lock:
            return [self.state.apps[k] for k in sorted(self.state.apps)]

    def app(self, app_id: str) -> AppDefinition:
        with self._lock:
            if app_id not in self.state.apps:
                raise NotFoundError(f"App '{app_id}' does not exist")
            return self.state.apps[app_id]

    def app_versions(self, app_id: str) -> list[str]:
        with self._lock:
            self.app(app_id)
            return list(reversed(self._versions.get(app_id, {})))

    def app_version(self, app_id: str, version: str) -> AppDefinition:
        with self._lock:
            found = self._versions.get(app_id, {}).get(version)
            if found is None:
                raise NotFoundError(f"App '{app_id}' does not exist in version {version}")
            return found

    def create_app(self, app: AppDefinition, force: bool = False) -> tuple[AppDefinition, DeploymentResult]:
        with self._lock:
            if app.id in self.state.apps:
                raise AppExistsError(f"An app with id [{app.id}] already exists.")
            target = {**self.state.apps, app.id: app}
            check_tree(target, self.state.groups, self.state.apps, self.state.groups)
            result = self._deploy(target, self.state.groups, force)
            return self.state.apps[app.id], result

    def update_apps(self, apps: Sequence[AppDefinition], force: bool = False) -> DeploymentResult:
        with self._lock:
            target = dict(self.state.apps)
            target.update({a.id: a for a in apps})
            check_tree(target, self.state.groups, self.state.apps, self.state.groups)
            return self._deploy(target, self.state.groups, force)

    def delete_app(self, app_id: str, force: bool = False) -> DeploymentResult:
        with self._lock:
            self.app(app_id)
            target = {k: v for k, v in self.state.apps.items() if k != app_id}
            return self._deploy(target, self.state.groups, force)

    def restart_app(self, app_id: str, force: bool = False) -> DeploymentResult:
        with self._lock:
            current = self.app(app_id)
            restarted = current.model_copy(update={"versionInfo": None, "version": None})
            return self._deploy({**self.state.apps, app_id: restarted}, self.state.groups, force, restart={app_id})

    # tasks ---------------------------------------------------------------------------------------------
    def tasks(self, app_id: str | None = None) -> list[Task]:
        with self._lock:
            if app_id is not None:
                self.app(app_id)
            return sorted((t for t in self.state.tasks.values() if app_id is None or t.app_id == app_id),
                          key=lambda t: (t.app_id, t.staged_at, t.id))

    def kill_tasks(self, task_ids: Sequence[str], scale: bool = False, wipe: bool = False,
                   force: bool = False) -> tuple[list[Task], DeploymentResult | None]:
        if scale and wipe:
            raise BadRequestError("You cannot use scale and wipe at the same time.")
        with self._lock:
            unknown = [t for t in task_ids if t not in self.state.tasks]
            if unknown:
                raise BadRequestError(f"Invalid task id '{unknown[0]}'")
            tasks = [self.state.tasks[t] for t in dict.fromkeys(task_ids)]
            now = self.clock.now()
            result = None
            if scale:
                target = dict(self.state.apps)
                for task in (t for t in tasks if t.app_id in target):
                    app = target[task.app_id]
                    target[task.app_id] = app.model_copy(update={"instances": max(0, app.instances - 1)})
                result = self._deploy(target, self.state.groups, force)
            for task in tasks:
                runner.kill_task(self.state, task, now, self.bus.publish, "killed by request")
            return tasks, result

    # groups --------------------------------------------------------------------------------------------
    def group(self, group_id: str) -> dict[str, Any]:
        with self._lock:
            if not group_exists(group_id, self.state.apps, self.state.groups):
                raise NotFoundError(f"Group '{group_id}' does not exist")
            return group_json(group_id, self.state.apps, self.state.groups, self._versions_of.last_version or iso(0))

    def update_group(self, group_id: str, body: dict[str, Any], *, create: bool, force: bool = False,
                     dry_run: bool = False) -> DeploymentResult | dict[str, Any]:
        with self._lock:
            apps, groups = self.state.apps, self.state.groups
            exists = group_exists(group_id, apps, groups)
            if create and exists:
                raise AppExistsError(f"Group {group_id} is already created. Use PUT to change this group.")
            if not create and not exists and ("version" in body or "scaleBy" in body):
                raise NotFoundError(f"Group '{group_id}' does not exist")
            if "version" in body:
                target_apps, target_groups = self._rollback_group(group_id, body["version"])
            elif "scaleBy" in body:
                factor = _scale_factor(body["scaleBy"], apps, group_id)
                target_apps, target_groups = scale_group(apps, group_id, factor), dict(groups)
            else:
                new_apps, new_groups = parse_group_body(body, group_id)
                target_apps, target_groups = replace_subtree(apps, groups, group_id, new_apps, new_groups,
                                                             keep_apps="apps" not in body,
                                                             keep_groups="groups" not in body)
            check_tree(target_apps, target_groups, apps, groups)
            if dry_run:
                stamped = self._versions_of.stamp(target_apps, apps, iso(self.clock.now()))
                plan = plan_deployment(apps, stamped,
                                       plan_id="dry-run", version=iso(self.clock.now()),
                                       group_dependencies=target_groups)
                return {"steps": [s.to_json() for s in plan.steps]}
            return self._deploy(target_apps, target_groups, force)

    def delete_group(self, group_id: str, force: bool = False) -> DeploymentResult:
        with self._lock:
            if not group_exists(group_id, self.state.apps, self.state.groups):
                raise NotFoundError(f"Group '{group_id}' does not exist")
            apps = {k: v for k, v in self.state.apps.items() if not is_within(k, group_id)}
            groups = {k: v for k, v in self.state.groups.items() if not is_within(k, group_id)}
            return self._deploy(apps, groups, force)

    def _rollback_group(self, group_id: str, version: Any) -> tuple[dict, dict]:
        if not isinstance(version, str) or version not in self._root_history:
            raise NotFoundError(f"Group '{group_id}' does not exist in version {version}")
        old_apps, old_groups = self._root_history[version]
        sub_apps = {k: v for k, v in old_apps.items() if is_within(k, group_id)}
        sub_groups = {k: v for k, v in old_groups.items() if is_within(k, group_id)}
        return replace_subtree(self.state.apps, self.state.groups, group_id, sub_apps, sub_groups)

    # deployments ---------------------------------------------------------------------------------------
    def deployments(self) -> list[dict[str, Any]]:
        with self._lock:
            return [run.to_json() for run in self.state.deployments.values()]

    def cancel_deployment(self, deployment_id: str, force: bool = False) -> DeploymentResult | None:
        with self._lock:
            run = self.state.deployments.pop(deployment_id, None)
            if run is None:
                raise NotFoundError(f"DeploymentPlan {deployment_id} does not exist")
            now = self.clock.now()
            self.bus.publish(make_event("deployment_failed", now, id=deployment_id, plan=run.plan.to_json(),
                                        reason="canceled"))
            if force:
                return None
            return self._revert(run, now)

    def _fail_and_revert(self, dep_id: str, now: float) -> None:
        run = self.state.deployments.pop(dep_id)
        self.bus.publish(make_event("deployment_failed", now, id=dep_id, plan=run.plan.to_json(),
                                    reason="no progress within the deadline"))
        self._revert(run, now)

    def _revert(self, run: RunningDeployment, now: float) -> DeploymentResult:
        plan = rollback_plan(run.plan, self.state.apps, plan_id="revert", version=iso(now))
        return self._deploy(dict(plan.target), self.state.groups, force=True)

    # queue ---------------------------------------------------------------------------------------------
    def queue(self) -> list[dict[str, Any]]:
        with self._lock:
            now = self.clock.now()
            out = []
            for app_id in sorted(self.state.queued):
                app = self.state.apps.get(app_id)
                if app is None:     # deleted; the next tick drops its launches
                    continue
                delay = backoff.effective(self.state.delays.get(app_id), backoff_policy(app),
                                          config_version(app), now)
                left = delay.time_left(now) if delay else 0.0
                out.append({
                    "app": app.to_json(), "count": self.state.queued[app_id],
                    "delay": {"timeLeftSeconds": round(left, 3), "overdue": left <= 0},
                    "since": iso(self.state.queued_since.get(app_id, now)),
                    "processedOffersSummary": {"processedOffersCount": 0, "unusedOffersCount": 0,
                                               "rejectSummaryLastOffers": [], "rejectSummaryLaunchAttempt": []},
                    "reasons": [f"launch delayed by backoff for {left:.3f}s"] if left > 0 else [],
                })
            return out

    def reset_delay(self, app_id: str) -> None:
        with self._lock:
            self.app(app_id)
            self.state.delays.pop(app_id, None)

    # events, leader, status ----------------------------------------------------------------------------
    def subscribe(self, event_types: Sequence[str] = ()) -> EventSubscription:
        return self.bus.subscribe(event_types)

    def leader(self) -> str | None:
        return self._leader

    def abdicate(self) -> None:
        with self._lock:
            if self._leader is None:
                raise NotLeaderError("There is no leader")
            self._leader = None

    def info(self) -> dict[str, Any]:
        return {"name": "mesosframe-longrun", "version": "0.1.0", "elected": self._leader is not None,
                "leader": self._leader, "frameworkId": None, "buildref": "mesosframe",
                "marathon_config": {"master": "in-memory", "failover_timeout": 604800, "mesos_role": "*"},
                "zookeeper_config": {"zk": None}, "http_config": {"http_port": None}}

    def metrics(self) -> dict[str, Any]:
        with self._lock:
            running = sum(1 for t in self.state.tasks.values() if t.state == "TASK_RUNNING")
            return {"version": "4.0.0", "gauges": {
                "apps": {"value": len(self.state.apps)}, "tasks.running": {"value": running},
                "deployments.active": {"value": len(self.state.deployments)},
                "queue.size": {"value": sum(self.state.queued.values())},
                "events.subscribers": {"value": self.bus.subscriber_count}}, "counters": {}}

    # the one way changes happen ---------------------------------------------------------------------------
    def _deploy(self, target: dict[str, AppDefinition], groups: dict[str, tuple[str, ...]], force: bool,
                restart: set[str] = frozenset()) -> DeploymentResult:
        now = self.clock.now()
        version = self._versions_of.next_version(now)
        target = self._versions_of.stamp(target, self.state.apps, version, restart)
        plan = plan_deployment(self.state.apps, target, plan_id=str(uuid.uuid4()), version=version,
                               group_dependencies=groups)
        blocking = self.state.locked_by(set(plan.affected_apps))
        if blocking and not force:
            raise AppLockedError(blocking)
        if not blocking and len(self.state.deployments) >= self.max_running_deployments and not plan.is_empty:
            raise TooManyDeploymentsError(f"Max number of running deployments is exceeded "
                                          f"({self.max_running_deployments}).")
        for dep_id in blocking:
            run = self.state.deployments.pop(dep_id)
            self.bus.publish(make_event("deployment_failed", now, id=dep_id, plan=run.plan.to_json(),
                                        reason="canceled by a forced change"))
        for app_id, app in target.items():
            if self.state.apps.get(app_id) is not app:
                versions = self._versions.setdefault(app_id, OrderedDict())
                versions[app.version or version] = app
                while len(versions) > MAX_VERSIONS:
                    versions.popitem(last=False)
        for app_id in set(self.state.apps) - set(target):
            self._versions.pop(app_id, None)
        self.state.apps, self.state.groups = dict(target), dict(groups)
        self._root_history[version] = (dict(target), dict(groups))
        while len(self._root_history) > MAX_VERSIONS:
            self._root_history.popitem(last=False)
        self.bus.publish(make_event("group_change_success", now, groupId=ROOT, version=version))
        if not plan.is_empty:
            self.state.deployments[plan.id] = RunningDeployment(plan, started_at=now)
            self.bus.publish(make_event("deployment_info", now, plan=plan.to_json(),
                                        currentStep=plan.steps[0].to_json()))
        return DeploymentResult(plan.id, version, None if plan.is_empty else plan)
