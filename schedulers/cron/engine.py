"""The cron core: jobs, their schedules, dependencies and runs, persisted through a StateStore.

`CronEngine` is what the Mesos plugin drives. It is not thread-safe: one loop calls it, passing `now`. Its
methods return effects (`LaunchTask`, `KillTask` from `runs`); the caller carries them out. Contract for
launches: when an offer fits a `LaunchTask`, call `launching(run_id, task_id, agent, now)` FIRST (it persists
the STARTING record), then send the launch. Status updates go to `on_status`, which persists before returning;
acknowledge them after. After a failover call `restore(now)`, reconcile the task ids of `active_task_ids()`,
then `recover(observed, now)` with what the master said (None = unknown to it).

Stored records: `cron/jobs/<name>` (`{"job": <Chronos JSON>, "created": <epoch>}`), `cron/dependencies`
(the DAG edge state) and the slot ledger `cron/runs/<name>/<trigger_ms>`.
A job's cursor (the last slot already handled) is its latest scheduled run in the ledger, else, for a new
job, its creation time for cron expressions and "before the start" for ISO schedules (one catch-up run).
Every write is a compare-and-swap: a deposed leader gets `VersionConflictError` (`SlotTakenError` when it
claims a slot already claimed) and must stop and `restore`.

Differences from Chronos, on purpose: the schedule string is never rewritten (Chronos's `skipForward` turned
`Rn` into `R(n-1)`); manual and retry runs do not use up an `Rn` (#814); an exhausted schedule simply has
no more slots (Chronos set `disabled`); retries follow `retries` literally (#657, #422).
"""
from __future__ import annotations

import dataclasses
import logging
from collections import deque
from collections.abc import Mapping

from mesosframe.errors import KeyNotFoundError, ValidationError, VersionConflictError
from mesosframe.state import StateStore

from .dag import DependencyState, JobGraph
from .history import RunRecord, record_of
from .job import Job
from .ledger import SlotLedger, SlotTakenError, recover, run_to_json
from .outcome import counted, fan_out
from .runs import (ACTIVE, KillRequested, LaunchTask, Launched, MarkedSuccess, RecordOutcome, Run, RunKind,
                   RunPolicy, RunState, RunTable, TaskUpdate, apply)
from .schedule import CronSchedule, Schedule, format_instant, parse_schedule
from .slots import SlotPlanning

__all__ = ["CronEngine", "UnknownJobError"]

log = logging.getLogger("mesosframe.cron.engine")


class UnknownJobError(ValidationError):
    """No job has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"job {name!r} does not exist", "name")
        self.name = name


class CronEngine(SlotPlanning):
    """Jobs and runs over a StateStore; see the module docstring for the calling contract."""

    def __init__(self, store: StateStore, keep_history: int = 50) -> None:
        self.store = store
        self.ledger = SlotLedger(store)
        self.keep_history = keep_history
        self._reset()

    def _reset(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.created: dict[str, float] = {}
        self.schedules: dict[str, Schedule] = {}
        self.graph = JobGraph()
        self.deps = DependencyState()
        self.runs = RunTable()
        self.by_task: dict[str, str] = {}
        self.history: dict[str, deque[RunRecord]] = {}
        self.cursors: dict[str, float | None] = {}
        self._versions: dict[str, int | None] = {}
        self._next_slots: dict[str, tuple[float | None, Schedule, float | None]] = {}
        self._slots_min: tuple[float | None] | None = None

    # -- jobs -------------------------------------------------------------------------------------------
    def put_job(self, job: Job, now: float) -> Job:
        """Create or replace a job (counters kept); an empty ISO start becomes `now`. Raises ValidationError."""
        schedule = None
        if job.schedule:
            schedule = parse_schedule(job.schedule, job.scheduleTimeZone, now)
            if job.schedule.startswith("R") and job.schedule.split("/")[1] == "":
                parts = job.schedule.split("/")
                job = job.model_copy(update={"schedule": f"{parts[0]}/{format_instant(now)}/{parts[2]}"})
        elif not job.parents:
            raise ValidationError("a job needs a schedule or parents", "schedule")
        graph = self.graph.with_job(job.name, job.parents)
        job = job.with_server_fields(self.jobs.get(job.name))
        self.graph = graph
        self._store_job(job, self.created.get(job.name, now))
        if schedule is not None:
            self.schedules[job.name] = schedule
        else:
            self.schedules.pop(job.name, None)
        if isinstance(schedule, CronSchedule) and self.cursors.get(job.name) is None:
            self.cursors[job.name] = now  # cron slots count from the job's creation (or switch to cron)
        self.cursors.setdefault(job.name, None)
        self._slots_min = None
        self.history.setdefault(job.name, deque(maxlen=self.keep_history))
        return job

    def get_job(self, name: str) -> Job:
        if name not in self.jobs:
            raise UnknownJobError(name)
        return self.jobs[name]

    def delete_job(self, name: str, now: float) -> list:
        """Delete a job: kill its runs and re-wire its children (see `dag`); returns the kill effects."""
        job = self.get_job(name)
        effects = self.kill(name, now)
        graph, orphans = self.graph.without_job(name)
        for child, parents in graph.parents.items():
            if child in self.jobs and tuple(self.jobs[child].parents) != parents and child not in orphans:
                self._store_job(self.jobs[child].model_copy(update={"parents": list(parents)}), self.created[child])
        for orphan in orphans:
            rewired = self.jobs[orphan].model_copy(update={"parents": [], "schedule": job.schedule,
                                                           "scheduleTimeZone": job.scheduleTimeZone})
            self._store_job(rewired, self.created[orphan])
            self.schedules[orphan] = self.schedules[name]
            self.cursors[orphan] = self.cursors.get(name)
        self.graph = graph
        self.deps = self.deps.forget(graph)
        self._store_deps()
        for run in self.active(name):
            self.runs.pop(run.run_id, None)
            self.by_task.pop(run.task_id or "", None)
        self.store.delete(f"cron/jobs/{name}")
        self._versions.pop(f"cron/jobs/{name}", None)
        self.ledger.delete_job(name)
        for table in (self.jobs, self.created, self.schedules, self.cursors, self.history):
            table.pop(name, None)
        self._slots_min = None
        return effects

    # -- runs -------------------------------------------------------------------------------------------
    def launching(self, run_id: str, task_id: str, agent: str | None, now: float, persist: bool = True) -> bool:
        """Persist that `task_id` is about to be launched; call before sending the launch, and send it only
        if this returns True (False: the run was killed, replaced or finished meanwhile). `persist=False`
        keeps STARTING in memory only (written with the run's next state): for a caller that has stored its own
        evidence of the launch first, as the Mesos plugin's core does with its task record."""
        run = self.runs.get(run_id)
        if run is None or run.state not in (RunState.QUEUED, RunState.STARTING):
            return False
        if run.state is RunState.STARTING:
            return run.task_id == task_id
        if task_id != run.next_task_id():
            return False
        starting = apply(run, Launched(task_id, agent), now, RunPolicy.from_job(self.jobs[run.job]))[0]
        (self._save if persist else self._track)(starting)
        return True

    def on_status(self, task_id: str, state: str, now: float, agent: str | None = None, message: str = "") -> list:
        """Apply a Mesos status update to the run owning `task_id` (ignored if none); persisted on return."""
        run_id = self.by_task.get(task_id)
        if run_id is None or run_id not in self.runs:
            return []
        return self._apply(self.runs[run_id], TaskUpdate(task_id, state, agent, message), now)

    def relaunch(self, task_id: str, now: float) -> list:
        """The master never received `task_id` (its launch was cut short by a failover): launch the same
        attempt again, same task id; [] if no active run owns it. A run being killed simply ends KILLED."""
        run = self.runs.get(self.by_task.get(task_id, ""))
        if run is None or run.task_id != task_id or run.state not in (RunState.STARTING, RunState.RUNNING):
            return []
        if run.kill_requested:
            return self._apply(run, TaskUpdate(task_id, "TASK_KILLED", message="never launched"), now)
        self._save(dataclasses.replace(run, state=RunState.STARTING))
        return [LaunchTask(run.run_id, task_id, run.attempt)]

    def run_now(self, name: str, now: float, arguments: tuple[str, ...] = ()) -> list:
        """Start a manual run at once (it does not use up an Rn); dependency runs come from `_outcome`."""
        self.get_job(name)
        run = Run(name, int(round(now * 1000)), kind=RunKind.MANUAL,
                  arguments=tuple(a.replace(";", "") for a in arguments))
        while True:  # two triggers in the same millisecond: the later one moves on by 1 ms
            try:
                self.ledger.claim([run])
                break
            except SlotTakenError:
                run = dataclasses.replace(run, trigger_ms=run.trigger_ms + 1)
        self.runs[run.run_id] = run
        self.deps = self.deps.on_child_started(name)
        self._store_deps()
        return [LaunchTask(run.run_id, run.next_task_id(), 0)]

    def kill(self, name: str, now: float) -> list:
        """Kill every active run of a job (queued ones end at once, launched ones when their task is killed)."""
        self.get_job(name)
        effects: list = []
        for run in self.active(name):
            effects += self._apply(run, KillRequested(), now)
        return effects

    def mark_success(self, name: str, now: float) -> list:
        """Mark a job successful: active runs end SUCCEEDED (tasks killed), counters move, children fire."""
        job = self.get_job(name)
        active = self.active(name)
        effects: list = []
        for run in active:
            effects += self._apply(run, MarkedSuccess(), now)
        if not active:
            effects += self._outcome(job, True, True, now)
        return effects

    def active(self, name: str) -> list[Run]:
        return sorted((r for r in self.runs.values() if r.job == name), key=lambda r: r.trigger_ms)

    def active_task_ids(self) -> list[str]:
        return sorted(r.task_id for r in self.runs.values() if r.task_id)

    # -- failover ---------------------------------------------------------------------------------------
    def restore(self, now: float) -> None:
        """Reload jobs, dependency state and runs from the store (after gaining leadership)."""
        self._reset()
        raw = {}
        for name in self.store.list("cron/jobs"):
            record = self.store.get(f"cron/jobs/{name}")
            if record is not None:
                raw[name] = record
        self.graph = JobGraph({name: tuple(sorted(r.value["job"].get("parents", []))) for name, r in raw.items()})
        for name, record in raw.items():
            job = Job.model_validate(record.value["job"])
            self.jobs[name], self.created[name] = job, record.value["created"]
            self._versions[f"cron/jobs/{name}"] = record.version
            if job.schedule:
                self.schedules[name] = parse_schedule(job.schedule, job.scheduleTimeZone, now)
            self.history[name] = deque(maxlen=self.keep_history)
            scheduled = None
            for run in self.ledger.load(name):
                if run.kind is RunKind.SCHEDULED:
                    scheduled = run.slot
                if run.state in ACTIVE:
                    self.runs[run.run_id] = run
                    if run.task_id:
                        self.by_task[run.task_id] = run.run_id
                else:
                    self.history[name].append(record_of(run))
            cron = isinstance(self.schedules.get(name), CronSchedule)
            self.cursors[name] = scheduled if scheduled is not None else (self.created[name] if cron else None)
        deps = self.store.get("cron/dependencies")
        if deps is not None:
            self.deps = DependencyState.from_json(deps.value)
            self._versions["cron/dependencies"] = deps.version

    def recover(self, observed: Mapping[str, str | None], now: float) -> list:
        """Decide every active run after reconciliation; `observed[task_id]` = Mesos state or None."""
        effects: list = []
        for run in sorted(self.runs.values(), key=lambda r: r.run_id):
            policy = RunPolicy.from_job(self.jobs[run.job])
            new, produced = recover(run, observed.get(run.task_id) if run.task_id else None, now, policy,
                                    self.jobs[run.job].startingDeadlineSeconds)
            effects += self._settle(run, new, produced, now)
        return effects

    # -- internals --------------------------------------------------------------------------------------
    def _apply(self, run: Run, event, now: float) -> list:
        new, produced = apply(run, event, now, RunPolicy.from_job(self.jobs[run.job]))
        return self._settle(run, new, produced, now)

    def _settle(self, old: Run, new: Run, produced: list, now: float) -> list:
        """Persist `new` and pass on its effects. A run's end is written with its outcome (see `_outcome`)."""
        effects = [e for e in produced if not isinstance(e, RecordOutcome)]
        outcome = next((e for e in produced if isinstance(e, RecordOutcome)), None)
        if outcome is not None:
            return effects + self._outcome(self.jobs[new.job], outcome.success, outcome.fire_children, now, new)
        if new != old:
            self._save(new)
        return effects

    def _save(self, run: Run) -> None:
        self.ledger.save(run)
        self._track(run)

    def _track(self, run: Run) -> None:
        if run.task_id:
            self.by_task[run.task_id] = run.run_id
        if run.state in ACTIVE:
            self.runs[run.run_id] = run
        else:
            self.runs.pop(run.run_id, None)
            self._remember(run)

    def _remember(self, run: Run) -> None:
        history = self.history.setdefault(run.job, deque(maxlen=self.keep_history))
        if len(history) == history.maxlen:
            oldest = history[0]
            cursor = self.cursors.get(run.job)
            if oldest.kind != RunKind.SCHEDULED.value or cursor is None or oldest.slot < cursor:
                try:
                    self.store.delete(self.ledger.key(run.job, int(round(oldest.slot * 1000))))
                except KeyNotFoundError:
                    pass
        history.append(record_of(run))
        log.info("run_done job=%s run=%s state=%s attempt=%d", run.job, run.run_id, run.state.value, run.attempt)

    def _outcome(self, job: Job, success: bool, fire_children: bool, now: float, run: Run | None = None) -> list:
        """Record a job's outcome. The ended `run`, the job's counters, the dependency state and the records of
        the children it fires are written in ONE transaction: a leader killed at any point leaves either all of
        them or none (then the new leader sees the run still active and settles it again), so a fan-out is
        never lost and never repeated."""
        job = counted(job, success, now)
        deps, children = self.deps, []
        if fire_children:
            deps, children = fan_out(self.graph, deps, job.name, self.jobs, self.active, now)
        job_key, deps_key = f"cron/jobs/{job.name}", "cron/dependencies"
        for attempt in range(5):
            try:
                with self.store.transaction() as tx:
                    if run is not None:
                        tx.put(self.ledger.key(run.job, run.trigger_ms), run_to_json(run),
                               self.ledger.version(run.run_id))
                    tx.put(job_key, {"job": job.to_json(), "created": self.created[job.name]},
                           self._versions.get(job_key))
                    if fire_children:
                        tx.put(deps_key, deps.to_json(), self._versions.get(deps_key))
                    for child in children:
                        tx.put(self.ledger.key(child.job, child.trigger_ms), run_to_json(child), None)
                break
            except VersionConflictError as exc:  # a child's trigger ms is taken (a manual run): the next ms
                clash = [c for c in children if self.ledger.key(c.job, c.trigger_ms) == exc.key]
                if not clash or attempt == 4:
                    raise
                children = [dataclasses.replace(c, trigger_ms=c.trigger_ms + 1) if c in clash else c
                            for c in children]
        versions = iter(tx.versions or [])
        if run is not None:
            self.ledger.remember(run.run_id, next(versions))
            self._track(run)
        self._versions[job_key] = next(versions)
        self.jobs[job.name] = job
        if fire_children:
            self._versions[deps_key] = next(versions)
            self.deps = deps
        effects: list = []
        for child in children:
            self.ledger.remember(child.run_id, next(versions))
            if child.state is RunState.QUEUED:
                self.runs[child.run_id] = child
                effects.append(LaunchTask(child.run_id, child.next_task_id(), 0))
            else:
                self._remember(child)
        return effects

    def _store_job(self, job: Job, created: float) -> None:
        key = f"cron/jobs/{job.name}"
        value = {"job": job.to_json(), "created": created}
        self._versions[key] = self.store.put(key, value, self._versions.get(key))
        self.jobs[job.name], self.created[job.name] = job, created

    def _store_deps(self) -> None:
        key = "cron/dependencies"
        self._versions[key] = self.store.put(key, self.deps.to_json(), self._versions.get(key))
