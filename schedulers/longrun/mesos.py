"""`MesosLongrunService`: the `LongrunService` over the framework core; `plugin.LongrunPlugin` is its face to it.

Apps, groups, versions and deployments are the in-memory service's (same planning, versioning and events);
tasks are real. Threads: every change runs on the core loop thread. REST handlers call the public methods,
which submit a command to the core (`Framework.submit`) and wait for its result; the plugin's callbacks
(`demand`, `on_launched`, `on_status`, `on_no_match`, `recover`) already run there. Reads take the service's
lock and never touch core state. `tick()` (on the loop, driven by `server.Ticker`) advances deployments by
the pure steps (`runner.advance`); its kills are sent with `PluginContext.kill`, its launches become
`Demand`s, one key per queued launch (`taskspec.demand_key`). A status update does not step deployments
itself (that is O(instances), and updates come in bursts): it sets `stepping`, on which the Ticker wakes
and submits one `tick()` as an urgent command, which runs ahead of the rest of the burst in the core's inbox,
so kills follow a restart's new instances turning healthy within about the Ticker's gap. When the burst is
over (the core goes idle) and a status asked for a step, it runs at once, paced by `TickPacing`: the last
instance turning healthy ends its deployment without waiting for the Ticker.

Persistence: after every change, the `apps` and `deployments` records (`persistence`) are saved through the
core's `PluginContext` when they changed; instances are the core's own task records, read back in `recover`.
"""
from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from collections import OrderedDict
import logging
from typing import Any, Callable, Sequence

from mesosframe.core.clock import Clock
from mesosframe.core.plugin import Demand
from mesosframe.errors import NotLeaderError, StateStoreError
from mesosframe.model.task import TaskRecord
from mesosframe.tasks.lifecycle import TaskState
from mesosframe.tasks.spec import TaskSpec
from schedulers.longrun import backoff, persistence, runner
from schedulers.longrun.events import make_event
from schedulers.longrun.memory import InMemoryLongrunService
from schedulers.longrun.offerstats import offer_summary
from schedulers.longrun.pacing import TickPacing
from schedulers.longrun.plugin import LongrunPlugin
from schedulers.longrun.service import BadRequestError, DeploymentResult, LongrunError, Task
from schedulers.longrun.simstate import MemoryState, backoff_policy, config_version
from schedulers.longrun.spec import AppDefinition
from schedulers.longrun.instances import ADRIFT, rebuild, record_ports
from schedulers.longrun.taskspec import demand_key, task_name, to_task_spec

log = logging.getLogger("mesosframe.longrun.mesos")
COMMAND_TIMEOUT = 30.0
KILL_RETRY_SECONDS = 10.0      # a kill without a terminal update is sent again after this (Marathon's default)
# Updates that never let a deployment step move (no instance became healthy, none ended): no early tick.
_NO_STEP = frozenset({TaskState.STAGING, TaskState.STARTING, TaskState.KILLING})


class SchedulerBusyError(LongrunError):
    """The core loop did not run a change in time (it may still run it)."""

    status = 503


class MesosLongrunService(InMemoryLongrunService):
    """Marathon over Mesos. `bind(framework)` before use; `address` is this instance's API `host:port`."""

    def __init__(self, clock: Clock, *, address: str = "127.0.0.1:8080", master: str = "",
                 zk: str | None = None, progress_deadline: float | None = None,
                 max_running_deployments: int = 100) -> None:
        super().__init__(clock, agents=0, progress_deadline=progress_deadline,
                         max_running_deployments=max_running_deployments, leader=None)
        self.address, self.master, self.zk = address, master, zk
        self.plugin = LongrunPlugin(self)
        self.framework: Any = None
        self.leading = self._suspended = False
        self.leader_lookup: Callable[[], str | None] | None = None
        self.abdicate_hook: Callable[[], None] | None = None
        self.slots: dict[str, dict[str, str]] = {}          # app id -> {demand key: config version}
        self.no_match: dict[str, Any] = {}                  # demand key -> NoMatch of the last offer round
        self.invalid: dict[str, str] = {}
        self.kill_sent: dict[str, float] = {}              # task id -> when its kill was last sent
        self._slot_numbers = itertools.count()
        self._specs: dict[tuple[str, str], TaskSpec] = {}
        self._saved: tuple[Any, Any] = (None, None)
        self.launched = 0
        self.stepping = threading.Event()       # set: a status changed what deployments wait for; tick soon
        self.pacing = TickPacing()

    def bind(self, framework: Any, *, leader_lookup: Callable[[], str | None] | None = None,
             abdicate: Callable[[], None] | None = None) -> None:
        """Attach the Framework hosting `self.plugin`; with HA, how to find the leader and abdicate."""
        self.framework, self.leader_lookup, self.abdicate_hook = framework, leader_lookup, abdicate

    def leadership_changed(self, kind: str) -> None:
        """From the election (any thread): LOST / SUSPENDED refuse changes; RESUMED after SUSPENDED allows them
        again (the state is still ours); after LOST only `recover` (a new ELECTED) does."""
        if kind == "SUSPENDED":
            self._suspended, self.leading = self.leading, False
        elif kind == "RESUMED":
            self.leading, self._suspended = self._suspended, False
        elif kind == "LOST":
            self.leading = self._suspended = False

    # -- commands on the loop thread ---------------------------------------------------------------------
    def _command(self, fn: Callable[[], Any]) -> Any:
        if not self.leading or self.framework is None:
            raise NotLeaderError("not the leader", self.leader())
        future = self.framework.submit(lambda fw: self._in_loop(fn))
        try:
            return future.result(timeout=COMMAND_TIMEOUT)
        except FutureTimeout as exc:
            raise SchedulerBusyError(f"the scheduler did not take the change within {COMMAND_TIMEOUT:.0f}s") from exc

    def _in_loop(self, fn: Callable[[], Any]) -> Any:
        if not self.leading:
            raise NotLeaderError("not the leader", self.leader())
        with self._lock:
            try:
                return fn()
            finally:
                self._advance()

    def tick(self) -> None:
        """Advance deployments and instance upkeep once (call on the loop thread, e.g. from a command).
        Changes made through the API advance at once; the periodic tick moves what statuses changed."""
        if self.leading:
            started = time.perf_counter()
            self._advance()
            self.pacing.ran(started, time.perf_counter())

    def _on_idle(self) -> None:
        """The core went idle: step now if a status asked for it and the pacing allows."""
        if self.stepping.is_set() and self.leading and self.pacing.allows(time.perf_counter()):
            self.stepping.clear()
            self.tick()

    def _advance(self) -> None:
        with self._lock:
            now = self.clock.now()
            before = set(self.state.tasks)
            for dep_id in runner.advance(self.state, now, self.bus.publish, self.progress_deadline):
                self._fail_and_revert(dep_id, now)
            for task_id in before - set(self.state.tasks):     # expunged while unreachable
                self._kill(task_id)
            self._after_change()

    def _after_change(self) -> None:
        """Send the kills decided (again after KILL_RETRY_SECONDS: one decided while the core was not
        subscribed, or lost with a dying leader, is never answered), persist, and wake the core for launches."""
        now = self.clock.now()
        for task in [t for t in self.state.tasks.values() if t.killing]:
            sent = self.kill_sent.get(task.id)
            if sent is None or now - sent >= KILL_RETRY_SECONDS:
                self._kill(task.id)
        self._persist()
        if self.state.queued or self.slots:
            self.plugin.context.wake()

    def _kill(self, task_id: str) -> None:
        self.kill_sent[task_id] = self.clock.now()
        try:
            self.plugin.context.kill(task_id)
        except KeyError:
            log.warning("kill_unknown_task task=%s", task_id)

    def _persist(self) -> None:
        apps_sig = self._versions_of.last_version
        deps_sig = persistence.deployments_signature(self.state.deployments)
        try:       # deployments first: a plan holds its target apps, so `recover` can repair a lost apps write
            if deps_sig != self._saved[1]:
                self.plugin.context.save("deployments", persistence.deployments_record(
                    self.state.deployments.values()))
            if apps_sig != self._saved[0]:
                self.plugin.context.save("apps", persistence.apps_record(
                    self.state.apps, self.state.groups, self._versions, apps_sig))
        except StateStoreError as exc:
            log.error("persist_failed error=%s", exc)
            self.leading = False
            raise NotLeaderError(f"could not persist the change: {exc}") from exc
        self._saved = (apps_sig, deps_sig)

    # -- changes: the in-memory service's, run on the loop -----------------------------------------------
    def create_app(self, app: AppDefinition, force: bool = False):
        return self._command(lambda: InMemoryLongrunService.create_app(self, app, force))

    def update_apps(self, apps: Sequence[AppDefinition], force: bool = False) -> DeploymentResult:
        return self._command(lambda: InMemoryLongrunService.update_apps(self, apps, force))

    def delete_app(self, app_id: str, force: bool = False) -> DeploymentResult:
        return self._command(lambda: InMemoryLongrunService.delete_app(self, app_id, force))

    def restart_app(self, app_id: str, force: bool = False) -> DeploymentResult:
        return self._command(lambda: InMemoryLongrunService.restart_app(self, app_id, force))

    def kill_tasks(self, task_ids: Sequence[str], scale: bool = False, wipe: bool = False, force: bool = False):
        return self._command(lambda: InMemoryLongrunService.kill_tasks(self, task_ids, scale, wipe, force))

    def update_group(self, group_id: str, body: dict[str, Any], *, create: bool, force: bool = False,
                     dry_run: bool = False):
        return self._command(lambda: InMemoryLongrunService.update_group(
            self, group_id, body, create=create, force=force, dry_run=dry_run))

    def delete_group(self, group_id: str, force: bool = False) -> DeploymentResult:
        return self._command(lambda: InMemoryLongrunService.delete_group(self, group_id, force))

    def cancel_deployment(self, deployment_id: str, force: bool = False):
        return self._command(lambda: InMemoryLongrunService.cancel_deployment(self, deployment_id, force))

    def reset_delay(self, app_id: str) -> None:
        return self._command(lambda: InMemoryLongrunService.reset_delay(self, app_id))

    def report_health(self, task_id: str, ok: bool) -> None:
        """A scheduler-side check result (from `healthcheck.HealthChecker`); runs on the loop."""
        return self._command(lambda: InMemoryLongrunService.report_health(self, task_id, ok))

    def set_placements(self, found: dict[str, Any]) -> None:
        """Record tasks' host ports and agent attributes learnt from the master (task id -> TaskPlacement)."""
        def apply() -> None:
            for task_id, placement in found.items():
                task = self.state.tasks.get(task_id)
                if task is not None and not task.placed:
                    task.ports = task.ports or list(placement.ports)
                    task.attributes = {**task.attributes, **placement.attributes}
                    task.placed = True
        return self._command(apply)

    def _deploy(self, target, groups, force, restart=frozenset()) -> DeploymentResult:
        for app_id, app in target.items():      # refuse what the core cannot launch before anything changes
            if self.state.apps.get(app_id) is not app:
                self._spec(app)
        return super()._deploy(target, groups, force, restart)

    def _spec(self, app: AppDefinition) -> TaskSpec:
        key = (app.id, app.version or "")
        spec = self._specs.get(key)
        if spec is None:
            spec = self._specs[key] = to_task_spec(app)
        return spec

    # -- the plugin's callbacks (loop thread) -------------------------------------------------------------
    def _demand(self, now: float) -> list[Demand]:
        out: list[Demand] = []
        with self._lock:
            if not self.leading:
                return out
            for app_id in [a for a in self.slots if a not in self.state.queued]:
                del self.slots[app_id]
            if len(self.no_match) > sum(self.state.queued.values()):      # forget reasons of launched keys
                live = {k for slots in self.slots.values() for k in slots}
                self.no_match = {k: v for k, v in self.no_match.items() if k in live}
            for app_id, count in self.state.queued.items():
                app = self.state.apps.get(app_id)
                if app is None:
                    continue
                version = config_version(app)
                slots = {k: v for k, v in self.slots.get(app_id, {}).items() if v == version}
                while len(slots) > count:
                    slots.pop(next(reversed(slots)))
                while len(slots) < min(count, runner.LAUNCH_WINDOW):     # more as these launch
                    slots[demand_key(app_id, version, next(self._slot_numbers))] = version
                self.slots[app_id] = slots
                if not backoff.may_launch(self.state.delays.get(app_id), backoff_policy(app), version, now):
                    continue
                spec, group = self._spec(app), task_name(app_id)
                out.extend(Demand(key, spec, group) for key in slots)
        return out

    def _on_launched(self, record: TaskRecord, now: float) -> None:
        with self._lock:
            app_id = next((a for a, s in self.slots.items() if record.key in s), None)
            app = self.state.apps.get(app_id) if app_id else None
            self.no_match.pop(record.key, None)
            if app is None:
                self._kill(record.task_id)
                return
            del self.slots[app_id][record.key]
            self.state.dequeue(app_id, 1)
            self.launched += 1
            task = Task(id=record.task_id, app_id=app_id, version=app.version or "",
                        config_version=config_version(app), host=record.hostname or "",
                        agent_id=record.agent_id or "", ports=record_ports(record), staged_at=now,
                        attributes={"hostname": record.hostname or "", **record.attributes},
                        checked=bool(app.healthChecks), placed=True)    # the core recorded where it went
            self.state.tasks[task.id] = task
            self.bus.publish(runner.status_event(task, "TASK_STAGING", now))

    def _on_status(self, record: TaskRecord, now: float) -> None:
        with self._lock:
            task = self.state.tasks.get(record.task_id)
            state = TaskState(record.state)
            if state not in _NO_STEP and not self.stepping.is_set():    # set() takes a lock and notifies
                self.stepping.set()
            if task is None:
                if not state.is_terminal and record.goal != "STOPPED" and self.leading:
                    log.warning("unknown_instance_killed task=%s", record.task_id)
                    self._kill(record.task_id)
                return
            app = self.state.apps.get(task.app_id)
            if state.is_terminal:
                self._ended(task, app, state, now, record.message or "")
            elif state.value in ADRIFT:
                task.unreachable_since = task.unreachable_since or now
                task.state = "TASK_UNREACHABLE"
                self.bus.publish(runner.status_event(task, state.wire, now, record.message or ""))
            else:
                self._alive(task, app, record, state, now)

    def _ended(self, task: Task, app: AppDefinition | None, state: TaskState, now: float, message: str) -> None:
        del self.state.tasks[task.id]
        self.state.doomed.discard(task.id)
        self.state.health.pop(task.id, None)
        self.kill_sent.pop(task.id, None)
        if app is not None and not task.killing and backoff.counts_as_failure(state.wire):
            self.state.delays[app.id] = backoff.record_failure(
                self.state.delays.get(app.id), backoff_policy(app), config_version(app), now)
        self.bus.publish(runner.status_event(task, state.wire, now, message))
        self.bus.publish(make_event("instance_changed_event", now, instanceId=task.id, condition=state.value.title(),
                                    runSpecId=task.app_id, agentId=task.agent_id, host=task.host,
                                    runSpecVersion=task.version))
        if self.leading:
            self.plugin.context.wake()

    def _alive(self, task: Task, app: AppDefinition | None, record: TaskRecord, state: TaskState,
               now: float) -> None:
        if task.unreachable_since is not None:
            replaced = self.state.inactive(task, now)
            task.unreachable_since = None
            if replaced and not task.killing:
                runner.kill_task(self.state, task, now, self.bus.publish, "replaced while unreachable")
                self._kill(task.id)
        task.state = "TASK_KILLING" if task.killing else state.wire
        if state is TaskState.RUNNING and task.started_at is None:
            task.started_at = now
        if record.healthy is not None and record.healthy != task.healthy and app is not None \
                and app.mesos_health_checks:
            task.healthy = record.healthy
            self.bus.publish(make_event("health_status_changed_event", now, appId=app.id, instanceId=task.id,
                                        version=task.version, alive=record.healthy))
        self.bus.publish(runner.status_event(task, task.state, now, record.message or ""))

    def _recover(self, records: Sequence[TaskRecord]) -> None:
        """Leadership starts: load apps and deployments, and rebuild instances from the core's records."""
        with self._lock:
            apps, groups, versions, last = persistence.load_apps(self.plugin.context.load("apps"))
            deployments = persistence.load_deployments(self.plugin.context.load("deployments"))
            apps, groups, last = persistence.newest_target(apps, groups, last, deployments)
            self.state = MemoryState(apps=apps, groups=groups, deployments=deployments)
            self._versions = {k: OrderedDict(v) for k, v in versions.items()}
            self._versions_of.last_version = last
            self._saved = (last, persistence.deployments_signature(deployments))
            self.slots, self.no_match, self.invalid, self.kill_sent = {}, {}, {}, {}
            tasks, orphans, highest = rebuild(records, apps)
            self.state.tasks.update(tasks)
            self._slot_numbers = itertools.count(highest + 1)
            self.leading = True
            for task_id in orphans:
                self._kill(task_id)
            log.info("recovered apps=%d deployments=%d tasks=%d", len(apps), len(deployments), len(self.state.tasks))

    # -- reads -------------------------------------------------------------------------------------------
    def queue(self) -> list[dict[str, Any]]:
        entries = super().queue()
        with self._lock:
            for entry in entries:
                keys = self.slots.get(entry["app"]["id"], {})
                entry["processedOffersSummary"], reasons = offer_summary(keys, self.no_match, self.invalid)
                entry["reasons"] += reasons
        return entries

    def leader(self) -> str | None:
        if self.leading:
            return self.address
        return self.leader_lookup() if self.leader_lookup else None

    def abdicate(self) -> None:
        if not self.leading:
            raise NotLeaderError("not the leader", self.leader())
        if self.abdicate_hook is None:
            raise BadRequestError("abdication needs high availability (--zk)")
        self.leading = False
        self.abdicate_hook()

    def info(self) -> dict[str, Any]:
        body = super().info()
        body.update(elected=self.leading, leader=self.leader(),
                    frameworkId=getattr(self.framework, "framework_id", None))
        body["marathon_config"]["master"] = self.master
        body["zookeeper_config"]["zk"] = self.zk
        body["http_config"]["http_port"] = int(self.address.rsplit(":", 1)[1])
        return body

    def metrics(self) -> dict[str, Any]:
        body = super().metrics()
        body["counters"]["tasks.launched"] = {"count": self.launched}
        body["gauges"]["leader"] = {"value": 1 if self.leading else 0}
        return body

