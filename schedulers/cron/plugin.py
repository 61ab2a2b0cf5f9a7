"""`CronPlugin`: the cron engine hosted by the framework core (`mesosframe.core.SchedulerPlugin`).

Every method runs on the core loop thread. The plugin drives a `CronEngine` over the framework's StateStore:

* `tick(now)` (called by a `Waker` at `wakeup_at`, see `server.py`) plans due slots, retries and
  `maxCompletionTime` kills. A due slot's ledger record is created (CAS, create-only) BEFORE anything is
  launched; its launch becomes a `Demand` keyed `<job>:<slot_ms>:<attempt>` (`taskspec.demand_key`), and the
  plugin calls `PluginContext.wake()` so the core revives offers at once.
* Slots are claimed `prepare_seconds` (1 s) ahead when they will start whatever happens meanwhile
  (`CronEngine.tick(now, ahead)`); the demand of a scheduled run carries its slot as `not_before`, so the
  core places it, persists its task record and builds its ACCEPT ahead, and sends the ACCEPT at the slot.
  This holds after a failover too: a claimed slot is never launched before its time.
* The core persists the task record (with that key) before the ACCEPT, then calls `on_launched`, which moves
  the run to STARTING in memory (the ledger gets it with the run's next state: the core's record is the
  durable evidence of the launch, so a store write per launch is saved). `on_status` feeds task states to
  the engine; the engine's kills are sent with `PluginContext.kill`.

Exactly once after a failover (`recover`, with the core's persisted task records): the ledger says which runs
are active and which attempt each is on; the core record with the attempt's key (if any) says whether its
launch may have been sent:

| ledger run  | core record for the key          | decision                                                     |
|-------------|----------------------------------|--------------------------------------------------------------|
| QUEUED      | none                             | launch it (the launch was never sent)                        |
| STARTING    | none (reverted, never accepted)  | launch the same attempt again                                |
| any active  | terminal (persisted before ack)  | apply that state (success, retry, failure)                   |
| any active  | RUNNING/STARTING/KILLING...      | adopt; the core's reconciliation delivers the next states    |
| any active  | STAGING (accept may not be sent) | adopt; if reconciliation says the master never heard of it   |
|             |                                  | (REASON_RECONCILIATION), relaunch the SAME attempt           |

A live task whose key belongs to no active run (a deleted job, a replaced attempt) is killed. Since a slot's
record is claimed once and its attempt's launch is sent only while the core holds no live task for the key,
no slot runs twice, and a claimed slot is never dropped: it is relaunched until it ends.

UNREACHABLE and UNKNOWN are not final: the run waits (its `maxCompletionTime`, if set, still applies).
A write that fails its compare-and-swap means another instance wrote: the plugin re-reads everything
(`resync`) rather than act on stale state.
"""
from __future__ import annotations

import logging
from typing import Callable, Sequence

from mesosframe.core.clock import Clock
from mesosframe.core.plugin import Demand, SchedulerPlugin
from mesosframe.errors import ValidationError, VersionConflictError
from mesosframe.model.task import TaskRecord
from mesosframe.state import StateStore
from mesosframe.tasks.lifecycle import TaskState

from .engine import CronEngine
from .runs import KillTask, LaunchTask, RunKind, RunState, parse_task_id
from .taskspec import demand_key, parse_key, task_spec

__all__ = ["CronPlugin"]

log = logging.getLogger("mesosframe.cron.plugin")
_WAITING = frozenset({TaskState.UNREACHABLE, TaskState.UNKNOWN})
_NEVER_SEEN = frozenset({TaskState.LOST, TaskState.GONE, TaskState.DROPPED})


class CronPlugin(SchedulerPlugin):
    """Chronos-style jobs on Mesos. `on_wakeup(t)` is told whenever the next tick time changes."""

    name = "cron"

    def __init__(self, store: StateStore, clock: Clock, *, keep_history: int = 50,
                 on_wakeup: Callable[[float | None], None] | None = None, prepare_seconds: float = 1.0) -> None:
        self.engine = CronEngine(store, keep_history=keep_history)
        self.clock = clock
        self.prepare_seconds = prepare_seconds
        self.on_wakeup = on_wakeup or (lambda when: None)
        self.pending: dict[str, LaunchTask] = {}     # run id -> the launch the engine asked for
        self._demands: dict[str, Demand] = {}        # run id -> its Demand (built once per attempt)
        self.mesos_ids: dict[str, str] = {}          # demand key -> Mesos task id (launched)
        self.unconfirmed: set[str] = set()           # Mesos ids recovered in STAGING: the ACCEPT may be lost
        self.no_match: dict[str, object] = {}
        self.invalid: dict[str, str] = {}
        self.wakeup_at: float | None = None
        self.active = False
        self.launched = 0

    # -- core callbacks ------------------------------------------------------------------------------------
    def recover(self, records: Sequence[TaskRecord]) -> None:
        self.resync(records, self.clock.now())

    def demand(self, now: float) -> Sequence[Demand]:
        demands = []
        for run_id, launch in self.pending.items():
            run = self.engine.runs.get(run_id)
            if run is None or run.attempt != launch.attempt or run.state not in (RunState.QUEUED, RunState.STARTING):
                continue
            cached = self._demands.get(run_id)
            key = demand_key(run.job, run.trigger_ms, run.attempt)
            if cached is None or cached.key != key:
                job = self.engine.jobs.get(run.job)
                if job is None:
                    continue
                try:
                    not_before = run.slot if run.kind is RunKind.SCHEDULED else None
                    cached = self._demands[run_id] = Demand(key, task_spec(job, run), group=run.job,
                                                            not_before=not_before)
                except ValidationError as exc:
                    self.invalid[key] = str(exc)
                    continue
            demands.append(cached)
        return demands

    def next_demand_at(self, now: float) -> float | None:
        """The next slot or retry: the core revives ahead of it and keeps offers for it."""
        return self.engine.next_launch_at(now) if self.active else None

    def on_launched(self, task: TaskRecord, now: float) -> None:
        self._guarded(lambda: self._launched(task, now), now)

    def on_status(self, task: TaskRecord, now: float) -> None:
        self._guarded(lambda: self._status(task, now), now)

    def on_no_match(self, key: str, reason, now: float) -> None:
        self.no_match[key] = reason

    def on_invalid(self, key: str, error: ValidationError, now: float) -> None:
        self.invalid[key] = str(error)

    # -- called on the loop by the service and the waker ---------------------------------------------------
    def tick(self, now: float) -> None:
        """Plan due slots, retries and timeouts at `now` (only while leading)."""
        if self.active:
            self.wakeup_at = None          # always report the next wake-up after a tick
            self._guarded(lambda: self.engine.tick(now, self.prepare_seconds), now)

    def carry(self, effects: list, now: float) -> None:
        """Carry out engine effects: launches become demand (and revive offers), kills go to the core."""
        wake = False
        for effect in effects:
            if isinstance(effect, LaunchTask):
                self.pending[effect.run_id] = effect
                wake = True
            elif isinstance(effect, KillTask):
                self._kill(effect.task_id)
        if effects:
            self._prune()
        if wake and hasattr(self, "context"):
            self.context.wake()
        self._reschedule(now)

    def run_engine(self, fn: Callable[[], list], now: float):
        """Run an engine operation (a REST command) and carry out its effects; returns what `fn` returned.
        A store conflict re-reads everything, then is raised (the request failed; the client may retry)."""
        try:
            result = fn()
        except VersionConflictError:
            self.resync(self.context.tasks(), now)
            raise
        self.carry(result if isinstance(result, list) else [], now)
        return result

    def resync(self, records: Sequence[TaskRecord], now: float) -> None:
        """Rebuild everything from the store and the core's task records (leadership start, CAS conflict)."""
        self.pending.clear()
        self._demands.clear()
        self.mesos_ids.clear()
        self.unconfirmed.clear()
        self.engine.restore(now)
        by_key: dict[str, TaskRecord] = {}
        for record in sorted(records, key=lambda r: r.launched_at):
            by_key[record.key] = record
        observed: dict[str, str | None] = {}
        wanted: set[str] = set()
        for run in list(self.engine.runs.values()):
            key = demand_key(run.job, run.trigger_ms, run.attempt)
            record = by_key.get(key)
            if record is None or run.state is RunState.RETRY_WAIT:
                continue
            wanted.add(record.task_id)
            self.mesos_ids[key] = record.task_id
            if run.state is RunState.QUEUED:
                self.engine.launching(run.run_id, run.next_task_id(), record.agent_id, now)
                run = self.engine.runs[run.run_id]
            state = TaskState(record.state)
            if state is TaskState.STAGING:
                self.unconfirmed.add(record.task_id)
            if state not in _WAITING:
                observed[run.task_id or ""] = state.wire
            else:
                observed[run.task_id or ""] = TaskState.RUNNING.wire
        effects = self.engine.recover(observed, now)
        for record in records:
            if record.task_id not in wanted and not TaskState(record.state).is_terminal and record.goal != "STOPPED":
                log.warning("orphan_task_killed task_id=%s key=%s", record.task_id, record.key)
                self.context.kill(record.task_id)
        self.active = True
        log.info("cron_recovered jobs=%d active_runs=%d tasks=%d", len(self.engine.jobs), len(self.engine.runs),
                 len(records))
        self.carry(effects, now)

    # -- internals -----------------------------------------------------------------------------------------
    def _launched(self, task: TaskRecord, now: float) -> list:
        parsed = parse_key(task.key)
        run = self.engine.runs.get(f"{parsed[0]}:{parsed[1]}") if parsed else None
        self.launched += 1
        if run is None or parsed is None or run.attempt != parsed[2]:
            self.context.kill(task.task_id)
            return []
        self.pending.pop(run.run_id, None)
        self.mesos_ids[task.key] = task.task_id
        task_id = run.task_id if run.state is RunState.STARTING else run.next_task_id()
        # the core's task record, stored before the ACCEPT, is the durable evidence of the launch (see the
        # failover table): STARTING is written with the run's next state, saving a store write per launch
        if not self.engine.launching(run.run_id, task_id, task.agent_id, now, persist=False):
            self.context.kill(task.task_id)
        return []

    def _status(self, task: TaskRecord, now: float) -> list:
        parsed = parse_key(task.key)
        state = TaskState(task.state)
        run = self.engine.runs.get(f"{parsed[0]}:{parsed[1]}") if parsed else None
        if run is None or parsed is None or run.attempt != parsed[2]:
            if not state.is_terminal and task.goal != "STOPPED":
                self.context.kill(task.task_id)
            return []
        if state.is_terminal:
            self.mesos_ids.pop(task.key, None)
        if run.state is RunState.QUEUED:
            self.engine.launching(run.run_id, run.next_task_id(), task.agent_id, now)
            run = self.engine.runs[run.run_id]
        unconfirmed = task.task_id in self.unconfirmed
        self.unconfirmed.discard(task.task_id)
        if unconfirmed and state in _NEVER_SEEN and task.reason == "REASON_RECONCILIATION":
            log.warning("launch_lost_in_failover run=%s task_id=%s: relaunching the same attempt",
                        run.run_id, task.task_id)
            return self.engine.relaunch(run.task_id or "", now)
        if state in _WAITING:
            return []
        return self.engine.on_status(run.task_id or "", state.wire, now, task.agent_id, task.message or "")

    def _kill(self, engine_task_id: str) -> None:
        parsed = parse_task_id(engine_task_id)
        if parsed is None:
            return
        mesos_id = self.mesos_ids.get(demand_key(*parsed))
        if mesos_id is not None and hasattr(self, "context"):
            self.context.kill(mesos_id)

    def _prune(self) -> None:
        for run_id, launch in list(self.pending.items()):
            run = self.engine.runs.get(run_id)
            if run is None or run.attempt != launch.attempt or run.state not in (RunState.QUEUED, RunState.STARTING):
                del self.pending[run_id]
        for run_id in list(self._demands):
            if run_id not in self.pending:
                del self._demands[run_id]

    def _guarded(self, fn: Callable[[], list], now: float) -> None:
        try:
            effects = fn()
        except VersionConflictError as exc:
            log.error("cron_store_conflict key=%s: another instance wrote; re-reading", exc.key)
            self.resync(self.context.tasks(), now)
            return
        self.carry(effects, now)

    def _reschedule(self, now: float) -> None:
        when = self.engine.next_wakeup(now, self.prepare_seconds)
        if when != self.wakeup_at:
            self.wakeup_at = when
            self.on_wakeup(when)
