"""`CronService`: what the REST layer needs from the cron scheduler, and an in-memory implementation.

The REST app (`api.create_app`) talks only to this interface. The Mesos plugin implements it by putting
commands on the framework's inbox; `InMemoryCronService` runs a `CronEngine` over a `MemoryStateStore` under
a lock, with no Mesos: the launches and kills it would send are collected in `launches`/`kills` (tests feed
task states back with `task_status`). Errors: `UnknownJobError` (a ValidationError) for unknown names,
`ValidationError`/`ScheduleError` for bad jobs, `NotLeaderError` when the instance cannot act.
"""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod

from mesosframe.core.clock import Clock, SystemClock
from mesosframe.state import MemoryStateStore, StateStore

from .dag import JobGraph
from .engine import CronEngine
from .history import RunRecord
from .job import Job
from .runs import KillTask, LaunchTask, Run

__all__ = ["CronService", "InMemoryCronService"]


class CronService(ABC):
    """Jobs CRUD, run now, kill, mark success, history and leader info. Implementations are thread-safe."""

    @abstractmethod
    def list_jobs(self) -> list[Job]:
        """All jobs, sorted by name."""

    @abstractmethod
    def get_job(self, name: str) -> Job:
        """The job; raises UnknownJobError."""

    @abstractmethod
    def put_job(self, job: Job) -> Job:
        """Create or replace; returns the stored job (server counters kept). Raises ValidationError."""

    @abstractmethod
    def delete_job(self, name: str) -> None:
        """Delete a job, kill its tasks and re-wire its children."""

    @abstractmethod
    def run_now(self, name: str, arguments: list[str]) -> None:
        """Start a manual run with `arguments` appended to the command."""

    @abstractmethod
    def kill_tasks(self, name: str) -> None:
        """Kill every active run of the job."""

    @abstractmethod
    def mark_success(self, name: str) -> None:
        """Record a success (ending active runs) and fire the children."""

    @abstractmethod
    def history(self, name: str) -> list[RunRecord]:
        """Finished runs of the job, oldest first."""

    @abstractmethod
    def active_runs(self, name: str) -> list[Run]:
        """Runs that are queued, starting, running or waiting to retry."""

    @abstractmethod
    def graph(self) -> JobGraph:
        """The dependency graph of all jobs."""

    @abstractmethod
    def leader(self) -> str:
        """`host:port` of the leading instance ("" if unknown)."""

    def metrics(self) -> dict:
        """Counters and gauges for `/metrics`."""
        jobs = self.list_jobs()
        return {"gauges": {"jobs": len(jobs), "jobs.disabled": sum(j.disabled for j in jobs),
                           "runs.active": sum(len(self.active_runs(j.name)) for j in jobs)},
                "counters": {"runs.success": sum(j.successCount for j in jobs),
                             "runs.error": sum(j.errorCount for j in jobs)}}


class InMemoryCronService(CronService):
    """A CronService over a CronEngine and a StateStore (memory by default), without Mesos."""

    def __init__(self, clock: Clock | None = None, store: StateStore | None = None,
                 leader: str = "localhost:4400") -> None:
        self.clock = clock or SystemClock()
        self.engine = CronEngine(store or MemoryStateStore())
        self.launches: list[LaunchTask] = []
        self.kills: list[KillTask] = []
        self._leader = leader
        self._lock = threading.Lock()

    def _collect(self, effects: list) -> None:
        for effect in effects:
            (self.launches if isinstance(effect, LaunchTask) else self.kills).append(effect)
            if isinstance(effect, LaunchTask):
                self.engine.launching(effect.run_id, effect.task_id, None, self.clock.now())

    def list_jobs(self) -> list[Job]:
        with self._lock:
            return [self.engine.jobs[name] for name in sorted(self.engine.jobs)]

    def get_job(self, name: str) -> Job:
        with self._lock:
            return self.engine.get_job(name)

    def put_job(self, job: Job) -> Job:
        with self._lock:
            return self.engine.put_job(job, self.clock.now())

    def delete_job(self, name: str) -> None:
        with self._lock:
            self._collect(self.engine.delete_job(name, self.clock.now()))

    def run_now(self, name: str, arguments: list[str]) -> None:
        with self._lock:
            self._collect(self.engine.run_now(name, self.clock.now(), tuple(arguments)))

    def kill_tasks(self, name: str) -> None:
        with self._lock:
            self._collect(self.engine.kill(name, self.clock.now()))

    def mark_success(self, name: str) -> None:
        with self._lock:
            self._collect(self.engine.mark_success(name, self.clock.now()))

    def history(self, name: str) -> list[RunRecord]:
        with self._lock:
            self.engine.get_job(name)
            return list(self.engine.history.get(name, ()))

    def active_runs(self, name: str) -> list[Run]:
        with self._lock:
            self.engine.get_job(name)
            return self.engine.active(name)

    def graph(self) -> JobGraph:
        with self._lock:
            return self.engine.graph

    def leader(self) -> str:
        return self._leader

    def tick(self) -> None:
        """Let time pass: plan due slots, retries and timeouts at the clock's now."""
        with self._lock:
            self._collect(self.engine.tick(self.clock.now()))

    def task_status(self, task_id: str, state: str, agent: str | None = None, message: str = "") -> None:
        """Feed a Mesos task state, as the plugin would."""
        with self._lock:
            self._collect(self.engine.on_status(task_id, state, self.clock.now(), agent, message))
