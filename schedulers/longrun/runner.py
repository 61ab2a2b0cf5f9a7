"""Moves the in-memory service forward in time: simulated tasks, the launch queue, and deployments.

`tick(state, now, ...)` is deterministic given the state, `now` and the simulated behaviour. Deployments are
executed by the pure pieces: ScaleApplication by `scaling.select_victims`, RestartApplication by
`restart.restart_step`, unhealthy instances by `health.plan_unhealthy_kills`, launch delays by `backoff`,
unreachable instances by `unreachable`. It returns the ids of deployments that missed the progress deadline.
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Callable

from schedulers.longrun import backoff
from schedulers.longrun.events import make_event
from schedulers.longrun.health import plan_unhealthy_kills
from schedulers.longrun.plan import Action, watch_progress
from schedulers.longrun.restart import InstanceView, restart_step, restart_strategy
from schedulers.longrun.scaling import Candidate, select_victims
from schedulers.longrun.service import Task, iso
from schedulers.longrun.simstate import (Behaviour, MemoryState, RunningDeployment, backoff_policy,
                                         config_version, counts_healthy)
from schedulers.longrun.spec import AppDefinition
from schedulers.longrun.unreachable import UnreachableAction, unreachable_action

LAUNCH_WINDOW = 10_000     # most queued instances of one app launched per step, or offered to the core as demand

log = logging.getLogger("mesosframe.longrun.runner")
Publish = Callable[[dict[str, Any]], None]


def tick(state: MemoryState, now: float, publish: Publish, behaviour: Behaviour,
         progress_deadline: float | None = None) -> list[str]:
    """Advance everything once; returns ids of deployments that stalled past `progress_deadline`."""
    _finish_kills(state, now, publish)
    _expunge_unreachable(state, now, publish)
    _launch_queued(state, now, publish, behaviour)
    return _step_apps(state, now, publish, progress_deadline)


def advance(state: MemoryState, now: float, publish: Publish, progress_deadline: float | None = None) -> list[str]:
    """`tick` for real tasks (the Mesos plugin): launches and kill results come from Mesos, so the queue and
    killing tasks are left alone. Returns ids of deployments that stalled past `progress_deadline`."""
    _expunge_unreachable(state, now, publish)
    return _step_apps(state, now, publish, progress_deadline)


def _step_apps(state: MemoryState, now: float, publish: Publish, progress_deadline: float | None) -> list[str]:
    """Advance every deployment, then keep each app outside a deployment at its instance count (and kill what
    a deployment has doomed). Returns ids of deployments that stalled past `progress_deadline`."""
    stalled = [d for d in list(state.deployments) if _advance_deployment(state, d, now, publish, progress_deadline)]
    for app_id in sorted(state.apps):
        if not state.in_deployment(app_id):
            _keep_instances(state, state.apps[app_id], now, publish)
        else:
            _kill_doomed(state, state.apps[app_id], now, publish)
    return stalled


def status_event(task: Task, state: str, now: float, message: str = "") -> dict[str, Any]:
    """Marathon's status_update_event (built directly: three are made per instance launched)."""
    return {"eventType": "status_update_event", "timestamp": iso(now), "slaveId": task.agent_id, "taskId": task.id,
            "taskStatus": state, "message": message, "appId": task.app_id, "host": task.host, "ipAddresses": [],
            "ports": task.ports, "version": task.version}


def kill_task(state: MemoryState, task: Task, now: float, publish: Publish, reason: str) -> None:
    """Send a kill: the task counts as killing until the next tick removes it."""
    if task.killing:
        return
    task.killing = True
    task.state = "TASK_KILLING"
    log.info("task_kill task=%s app=%s reason=%s", task.id, task.app_id, reason)
    publish(status_event(task, "TASK_KILLING", now, reason))


def _finish_kills(state: MemoryState, now: float, publish: Publish) -> None:
    for task in [t for t in state.tasks.values() if t.killing]:
        _remove(state, task)
        publish(status_event(task, "TASK_KILLED", now))
        publish(make_event("instance_changed_event", now, instanceId=task.id, condition="Killed",
                           runSpecId=task.app_id, agentId=task.agent_id, host=task.host,
                           runSpecVersion=task.version))


def _remove(state: MemoryState, task: Task) -> None:
    state.tasks.pop(task.id, None)
    state.doomed.discard(task.id)
    state.health.pop(task.id, None)


def _expunge_unreachable(state: MemoryState, now: float, publish: Publish) -> None:
    for task in [t for t in state.tasks.values() if t.unreachable_since is not None]:
        app = state.apps.get(task.app_id)
        if app is None or unreachable_action(task.unreachable_since, now, app.unreachableStrategy) \
                is UnreachableAction.EXPUNGE:
            _remove(state, task)
            publish(make_event("instance_changed_event", now, instanceId=task.id, condition="Gone",
                               runSpecId=task.app_id, agentId=task.agent_id, host=task.host,
                               runSpecVersion=task.version))


def _launch_queued(state: MemoryState, now: float, publish: Publish, behaviour: Behaviour) -> None:
    """Launch what is queued, at most `LAUNCH_WINDOW` instances of an app per step."""
    for app_id in sorted(state.queued):
        app = state.apps.get(app_id)
        if app is None:
            state.dequeue(app_id, state.queued[app_id])
            continue
        policy, version = backoff_policy(app), config_version(app)
        load = state.agent_load(app_id)
        for _ in range(min(state.queued.get(app_id, 0), LAUNCH_WINDOW)):
            if not backoff.may_launch(state.delays.get(app_id), policy, version, now):
                break
            state.dequeue(app_id, 1)
            _launch(state, app, now, publish, behaviour(app), load)


def _launch(state: MemoryState, app: AppDefinition, now: float, publish: Publish, outcome: str,
            load: dict[str, int]) -> None:
    task = state.new_task(app, now, load)
    if outcome == "failed":
        _remove(state, task)
        load[task.agent_id] -= 1
        publish(status_event(task, "TASK_FAILED", now, "simulated failure"))
        state.delays[app.id] = backoff.record_failure(state.delays.get(app.id), backoff_policy(app),
                                                      config_version(app), now)
        return
    if outcome == "staging":
        publish(status_event(task, "TASK_STAGING", now))
        return
    task.state, task.started_at = "TASK_RUNNING", now
    if app.healthChecks:
        task.healthy = outcome == "healthy"
    publish(status_event(task, "TASK_RUNNING", now))


def _advance_deployment(state: MemoryState, dep_id: str, now: float, publish: Publish,
                        deadline: float | None) -> bool:
    run = state.deployments[dep_id]
    steps = run.plan.steps
    while run.step < len(steps):
        actions = steps[run.step].actions
        results = [_run_action(state, run, a, now, publish) for a in actions]
        if not all(results):
            if deadline is None:            # no progress deadline: nothing to watch (and the signature is O(n))
                return False
            signature = (run.step, tuple(_signature(state, a.app_id, now) for a in actions))
            run.watch, stalled = watch_progress(run.watch, signature, now, deadline)
            return stalled
        run.step += 1
        run.watch = None
        publish(make_event("deployment_step_success", now, plan=run.plan.to_json(),
                           currentStep=steps[run.step - 1].to_json()))
    del state.deployments[dep_id]
    publish(make_event("deployment_success", now, id=dep_id, plan=run.plan.to_json()))
    return False


def _signature(state: MemoryState, app_id: str, now: float) -> tuple:
    live = state.live_tasks(app_id, now)
    versions = Counter(t.config_version for t in live)
    return (app_id, len(live), sum(1 for t in live if counts_healthy(t)), state.queued.get(app_id, 0),
            tuple(sorted(versions.items())))


def _run_action(state: MemoryState, run: RunningDeployment, action: Action, now: float, publish: Publish) -> bool:
    """Do what the action needs now; True once it is complete."""
    app_id = action.app_id
    if action.kind == "StartApplication":
        return True
    if action.kind == "StopApplication":
        state.dequeue(app_id, state.queued.get(app_id, 0))
        state.delays.pop(app_id, None)
        for task in state.app_tasks(app_id):
            kill_task(state, task, now, publish, "app deleted")
        if state.app_tasks(app_id):
            return False
        publish(make_event("app_terminated_event", now, appId=app_id))
        return True
    app = state.apps.get(app_id)
    if app is None:
        return True
    if action.kind == "ScaleApplication":
        _scale_to(state, app, app.instances, now, publish)
        live = state.live_tasks(app_id, now)
        settled = not state.queued.get(app_id) and not any(t.killing for t in state.app_tasks(app_id))
        return settled and len(live) == app.instances and all(counts_healthy(t) for t in live)
    return _restart(state, run, app, now, publish)


def _restart(state: MemoryState, run: RunningDeployment, app: AppDefinition, now: float, publish: Publish) -> bool:
    version = config_version(app)
    present = [t for t in state.app_tasks(app.id) if not state.inactive(t, now)]
    old_tasks = [t for t in present if t.config_version != version]
    new_tasks = [t for t in present if t.config_version == version]
    if app.id not in run.strategies:
        running = sum(1 for t in present if not t.killing)
        run.strategies[app.id] = restart_strategy(app.instances, app.upgradeStrategy.minimumHealthCapacity,
                                                  app.upgradeStrategy.maximumOverCapacity, running)
        state.delays.pop(app.id, None)
    by_id = {t.id: t for t in old_tasks}
    # old instances in kill order; those being killed already are no candidates (they count, never healthy)
    order = select_victims([_candidate(t) for t in old_tasks if not t.killing], len(old_tasks), app.killSelection)
    old = [InstanceView(t.id, False, True) for t in old_tasks if t.killing]
    old += [InstanceView(i, counts_healthy(by_id[i]), False) for i in order]
    new = [InstanceView(t.id, counts_healthy(t), t.killing) for t in new_tasks]
    step = restart_step(run.strategies[app.id], app.instances, old, new, state.queued.get(app.id, 0))
    for task_id in step.kill:
        kill_task(state, by_id[task_id], now, publish, "upgrading")
    state.enqueue(app.id, step.start, now)
    return step.done


def _candidate(task: Task) -> Candidate:
    state = "TASK_UNREACHABLE" if task.unreachable_since is not None else task.state
    return Candidate(task.id, state, task.started_at or task.staged_at, task.attributes)


def _scale_to(state: MemoryState, app: AppDefinition, target: int, now: float, publish: Publish) -> None:
    live = state.live_tasks(app.id, now)
    queued = state.queued.get(app.id, 0)
    if len(live) + queued < target:
        state.enqueue(app.id, target - len(live) - queued, now)
        return
    excess = len(live) + queued - target
    drop = min(excess, queued)
    state.dequeue(app.id, drop)
    if excess == drop:
        return
    victims = select_victims([_candidate(t) for t in live], excess - drop, app.killSelection, app.group_by)
    for task_id in victims:
        kill_task(state, state.tasks[task_id], now, publish, "scaling down")


def _kill_doomed(state: MemoryState, app: AppDefinition, now: float, publish: Publish) -> None:
    """During a deployment, instances that failed their checks are killed at once; the deployment's own
    step launches what is missing (with the launch delay their failure adds)."""
    doomed = [state.tasks[i] for i in state.doomed if i in state.tasks]
    for task_id in sorted(t.id for t in doomed if t.app_id == app.id and not t.killing and not state.inactive(t, now)):
        _kill_unhealthy(state, app, state.tasks[task_id], now, publish)


def _kill_unhealthy(state: MemoryState, app: AppDefinition, task, now: float, publish: Publish) -> None:
    """Kill an instance that failed its health checks: the event, a launch-delay failure, then the kill."""
    publish(make_event("unhealthy_instance_kill_event", now, appId=app.id, taskId=task.id, instanceId=task.id,
                       version=task.version, reason="health check failures", host=task.host, slaveId=task.agent_id))
    state.delays[app.id] = backoff.record_failure(state.delays.get(app.id), backoff_policy(app),
                                                  config_version(app), now)
    kill_task(state, task, now, publish, "unhealthy")


def _keep_instances(state: MemoryState, app: AppDefinition, now: float, publish: Publish) -> None:
    """Outside deployments: replace lost tasks, and replace-then-kill tasks that failed their health checks."""
    live = state.live_tasks(app.id, now)
    doomed = [t.id for t in live if t.id in state.doomed]
    if not doomed:
        _scale_to(state, app, app.instances, now, publish)
        return
    active = len(live) + state.queued.get(app.id, 0)
    healthy = sum(1 for t in live if counts_healthy(t) and t.id not in state.doomed)
    decision = plan_unhealthy_kills(app.instances, app.upgradeStrategy.maximumOverCapacity, active, healthy,
                                    max(0, active - app.instances), doomed)
    state.enqueue(app.id, decision.start, now)
    for task_id in decision.kill:
        _kill_unhealthy(state, app, state.tasks[task_id], now, publish)
