"""PURE run state machine of one job run (one slot, or one manual/dependency trigger), and slot admission.

    QUEUED --Launched--> STARTING --TASK_RUNNING--> RUNNING --TASK_FINISHED--> SUCCEEDED
       |                    |  \\__ failure (TASK_FAILED/LOST/ERROR/DROPPED/GONE...) __/ |
       |                    |        attempt < retries: RETRY_WAIT --Tick(retry_at)--> QUEUED (attempt+1)
       |                    |        else: FAILED
       +--KillRequested--> KILLED   (a task being killed becomes KILLED on TASK_KILLED; never retried)

`apply(run, event, now, policy) -> (run, effects)` is pure. Effects ask the caller to launch a task (with the
deterministic task id of the attempt), kill a task, or record the outcome (job counters, children).
`maxCompletionTime` is enforced on `Tick`: past `deadline` the task is killed and the run ends FAILED
("timed out"). `MarkedSuccess` ends an active run SUCCEEDED (killing its task). Retries follow `retries`
literally (unlike Chronos, a job whose last run failed still gets its retries; retries=0 never retries).

`plan_due(schedule, cursor, now, deadline)` decides what the slots that came due since `cursor` become: the
latest runs (one catch-up run even when many were missed: they coalesce, as Chronos 3), the others are
COALESCED; with a starting deadline, slots older than it are MISSED (and the latest too, if it is).
`admit(policy, active)` applies the concurrency policy to a due slot.
"""
from __future__ import annotations

import dataclasses
import heapq
from dataclasses import dataclass
from enum import Enum

from .job import ConcurrencyPolicy, Job
from .schedule import Schedule

__all__ = ["RunState", "RunKind", "Run", "RunTable", "RunPolicy", "Launched", "TaskUpdate", "Tick",
           "KillRequested", "MarkedSuccess", "LaunchTask", "KillTask", "RecordOutcome", "apply", "DuePlan", "plan_due",
           "Admission", "admit", "ACTIVE", "TERMINAL", "task_id_for", "parse_task_id"]


class RunState(str, Enum):
    QUEUED = "QUEUED"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    RETRY_WAIT = "RETRY_WAIT"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    KILLED = "KILLED"
    MISSED = "MISSED"        # a slot beyond its starting deadline: never ran
    SKIPPED = "SKIPPED"      # a slot refused by concurrencyPolicy FORBID, or a disabled job
    COALESCED = "COALESCED"  # a missed slot folded into a later catch-up run


class RunKind(str, Enum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    DEPENDENCY = "dependency"


ACTIVE = frozenset({RunState.QUEUED, RunState.STARTING, RunState.RUNNING, RunState.RETRY_WAIT})
TERMINAL = frozenset(RunState) - ACTIVE
_RUNNING_STATES = {"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING"}
_FAILURE_STATES = {"TASK_FAILED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR",
                   "TASK_UNREACHABLE", "TASK_UNKNOWN"}


def task_id_for(job: str, trigger_ms: int, attempt: int, arguments: tuple[str, ...] = ()) -> str:
    """The deterministic Mesos task id of an attempt: Chronos's `ct:<dueMillis>:<attempt>:<name>[:<args>]`."""
    suffix = ":" + " ".join(arguments).replace(":", "") if arguments else ""
    return f"ct:{trigger_ms}:{attempt}:{job}{suffix}"


def parse_task_id(task_id: str) -> tuple[str, int, int] | None:
    """`(job, trigger_ms, attempt)` of a task id made by `task_id_for`, or None for another id."""
    parts = task_id.split(":", 4)
    if len(parts) < 4 or parts[0] != "ct" or not (parts[1] + parts[2]).isascii() or not parts[1].isdigit() or not parts[2].isdigit() or not parts[3]:
        return None
    return parts[3], int(parts[1]), int(parts[2])


@dataclass(frozen=True)
class RunPolicy:
    """What governs a run: retries and their delay (s), maxCompletionTime (s, None = none), softError."""

    retries: int = 2
    retry_delay: float = 60.0
    max_completion: float | None = None
    soft_error: bool = False

    @classmethod
    def from_job(cls, job: Job) -> RunPolicy:
        return cls(retries=job.retries, retry_delay=job.retryDelaySeconds,
                   max_completion=job.maxCompletionTime / 1000 if job.maxCompletionTime else None,
                   soft_error=job.softError)


@dataclass(frozen=True)
class Run:
    """One run; `trigger_ms` is the slot (or request) time in ms, the run's identity with `job`."""

    job: str
    trigger_ms: int
    kind: RunKind = RunKind.SCHEDULED
    state: RunState = RunState.QUEUED
    attempt: int = 0
    arguments: tuple[str, ...] = ()
    task_id: str | None = None
    agent: str | None = None
    started: float | None = None
    ended: float | None = None
    retry_at: float | None = None
    deadline: float | None = None
    coalesced: int = 0
    reason: str = ""
    kill_requested: bool = False

    @property
    def run_id(self) -> str:
        return f"{self.job}:{self.trigger_ms}"

    @property
    def slot(self) -> float:
        return self.trigger_ms / 1000

    def next_task_id(self) -> str:
        return task_id_for(self.job, self.trigger_ms, self.attempt, self.arguments)


@dataclass(frozen=True)
class Launched:
    task_id: str
    agent: str | None = None


@dataclass(frozen=True)
class TaskUpdate:
    task_id: str
    state: str  # a Mesos TaskState name, e.g. TASK_RUNNING
    agent: str | None = None
    message: str = ""


@dataclass(frozen=True)
class Tick:
    pass


@dataclass(frozen=True)
class KillRequested:
    pass


@dataclass(frozen=True)
class MarkedSuccess:
    pass


@dataclass(frozen=True)
class LaunchTask:
    run_id: str
    task_id: str
    attempt: int


@dataclass(frozen=True)
class KillTask:
    task_id: str


@dataclass(frozen=True)
class RecordOutcome:
    """The run is over: `success` updates the job's counters; `fire_children` says whether children count it."""

    run_id: str
    success: bool
    fire_children: bool


Event = Launched | TaskUpdate | Tick | KillRequested | MarkedSuccess
Effect = LaunchTask | KillTask | RecordOutcome


def _finish(run: Run, state: RunState, now: float, policy: RunPolicy, reason: str = "") -> tuple[Run, list]:
    done = dataclasses.replace(run, state=state, ended=now, reason=reason or run.reason, retry_at=None,
                               deadline=None)
    success = state is RunState.SUCCEEDED
    fire = success or (state is RunState.FAILED and policy.soft_error)
    return done, [RecordOutcome(run.run_id, success, fire)]


def _failure(run: Run, now: float, policy: RunPolicy, reason: str) -> tuple[Run, list]:
    if run.kill_requested:
        return _finish(run, RunState.KILLED, now, policy, reason)
    if run.attempt < policy.retries and not run.reason.startswith("timed out"):
        waiting = dataclasses.replace(run, state=RunState.RETRY_WAIT, retry_at=now + policy.retry_delay,
                                      deadline=None, reason=reason)
        return waiting, []
    return _finish(run, RunState.FAILED, now, policy, reason)


def apply(run: Run, event: Event, now: float, policy: RunPolicy) -> tuple[Run, list]:
    """The run after `event` at `now`, and the effects to carry out. Events that do not apply change nothing."""
    if run.state in TERMINAL:
        return run, []
    if isinstance(event, Launched):
        if run.state is not RunState.QUEUED:
            return run, []
        deadline = now + policy.max_completion if policy.max_completion else None
        return dataclasses.replace(run, state=RunState.STARTING, task_id=event.task_id, agent=event.agent,
                                   started=run.started if run.started is not None else now,
                                   deadline=deadline), []
    if isinstance(event, TaskUpdate):
        if event.task_id != run.task_id or run.state not in (RunState.STARTING, RunState.RUNNING):
            return run, []
        agent = event.agent or run.agent
        if event.state in _RUNNING_STATES:
            return dataclasses.replace(run, state=RunState.RUNNING, agent=agent), []
        run = dataclasses.replace(run, agent=agent)
        if event.state == "TASK_FINISHED":
            return _finish(run, RunState.SUCCEEDED, now, policy)
        if event.state == "TASK_KILLED":
            if run.reason.startswith("timed out"):
                return _finish(run, RunState.FAILED, now, policy)
            return _finish(run, RunState.KILLED, now, policy, event.message or "killed")
        if event.state in _FAILURE_STATES:
            return _failure(run, now, policy, f"{event.state}: {event.message}" if event.message else event.state)
        return run, []
    if isinstance(event, Tick):
        if run.state is RunState.RETRY_WAIT and run.retry_at is not None and now >= run.retry_at:
            retry = dataclasses.replace(run, state=RunState.QUEUED, attempt=run.attempt + 1, retry_at=None,
                                        task_id=None, agent=None)
            return retry, [LaunchTask(run.run_id, retry.next_task_id(), retry.attempt)]
        if run.deadline is not None and now >= run.deadline and run.task_id and not run.reason.startswith("timed"):
            timed_out = dataclasses.replace(run, reason="timed out: maxCompletionTime exceeded")
            return timed_out, [KillTask(run.task_id)]
        return run, []
    if isinstance(event, KillRequested):
        if run.state in (RunState.STARTING, RunState.RUNNING) and run.task_id:
            return dataclasses.replace(run, kill_requested=True), [KillTask(run.task_id)]
        return _finish(run, RunState.KILLED, now, policy, "killed before launch")
    if isinstance(event, MarkedSuccess):
        effects = [KillTask(run.task_id)] if run.state in (RunState.STARTING, RunState.RUNNING) and run.task_id else []
        done, outcome = _finish(run, RunState.SUCCEEDED, now, policy, "marked as success")
        return done, effects + outcome
    raise TypeError(f"not a run event: {event!r}")


@dataclass(frozen=True)
class DuePlan:
    """What the slots due in `(cursor, now]` become. `coalesced`/`missed` list at most `keep` slots each (the
    latest); `coalesced_count`/`missed_count` count them all. `cursor` is the new cursor (the latest due slot)."""

    run: float | None
    coalesced: tuple[float, ...]
    missed: tuple[float, ...]
    cursor: float | None
    coalesced_count: int = 0
    missed_count: int = 0


class RunTable(dict):
    """Active runs by run id that know their earliest `retry_at` and `deadline` without a scan: a run stored
    with a new time pushes it on that time's heap; entries no longer true are dropped when they surface."""

    def __init__(self) -> None:
        super().__init__()
        self._heaps: dict[str, list[tuple[float, str]]] = {"retry_at": [], "deadline": []}

    def __setitem__(self, run_id: str, run: Run) -> None:
        old = self.get(run_id)
        super().__setitem__(run_id, run)
        for field, heap in self._heaps.items():
            t = getattr(run, field)
            if t is not None and (old is None or getattr(old, field) != t):
                heapq.heappush(heap, (t, run_id))

    def earliest(self, field: str) -> float | None:
        """The earliest `retry_at` or `deadline` (`field`) among the runs, or None."""
        heap = self._heaps[field]
        while heap:
            t, run_id = heap[0]
            run = self.get(run_id)
            if run is not None and getattr(run, field) == t:
                return t
            heapq.heappop(heap)
        return None


def plan_due(schedule: Schedule, cursor: float | None, now: float, deadline: float | None,
             keep: int = 100) -> DuePlan:
    """Plan the slots that came due after `cursor` up to `now` inclusive. `cursor` None means from the first
    slot: right for ISO schedules (their start); cron callers pass the job's creation time instead.

    The latest due slot runs if `deadline` is None or `now - slot <= deadline`; other due slots within the
    deadline are COALESCED into it; slots older than the deadline are MISSED.
    """
    start = cursor if cursor is not None else -1e12
    total, recent = schedule.tail_between(start, now, keep + 1)
    if not recent:
        return DuePlan(None, (), (), cursor)
    missed_count, missed = 0, []
    if deadline is not None:
        missed_count, missed = schedule.tail_between(start, now - deadline - 0.001, keep)
    latest = recent[-1]
    run = latest if missed_count < total else None
    coalesced = tuple(s for s in recent[:-1] if deadline is None or now - s <= deadline)[-keep:]
    return DuePlan(run, coalesced, tuple(missed), latest,
                   coalesced_count=total - missed_count - (run is not None), missed_count=missed_count)


class Admission(str, Enum):
    START = "START"
    SKIP = "SKIP"
    REPLACE = "REPLACE"


def admit(policy: ConcurrencyPolicy, active: list[Run]) -> Admission:
    """START if nothing is active or the policy allows overlap; SKIP under FORBID; REPLACE under REPLACE."""
    if not active or policy is ConcurrencyPolicy.ALLOW:
        return Admission.START
    return Admission.SKIP if policy is ConcurrencyPolicy.FORBID else Admission.REPLACE
