"""Exactly-once slot ledger: every run is a durable record, written before its task is launched.

Identity: a run is `<job>:<trigger_ms>` (the slot time for scheduled runs, the request time for manual and
dependency runs), stored at `<prefix>/<job>/<trigger_ms>` in a `mesosframe.state.StateStore`. The Mesos task id
of attempt n is derived from it (`ct:<trigger_ms>:<n>:<job>`), so after a failover the ledger alone says which
task to ask the master about.

Protocol (the plugin feeds events; the store is written with compare-and-swap, so a deposed leader's write
fails with VersionConflictError instead of overwriting):

1. A due slot is *claimed*: its record is created (create-only) in state QUEUED. A second claim fails.
2. Before a launch, the record moves to STARTING with the attempt's task id. Only then is the task launched.
3. Status updates move the record on (RUNNING, RETRY_WAIT, SUCCEEDED, ...), persisted before they are acked.

After a failover, `recover(run, observed, now, policy, deadline)` decides, from the record and what explicit
reconciliation said about its task (`observed` = a Mesos state, or None when the master does not know it):

| record      | observed                | decision                                                   |
|-------------|-------------------------|------------------------------------------------------------|
| terminal    | any                     | nothing (never relaunched)                                 |
| QUEUED      | -                       | launch attempt, if inside the starting deadline; else MISSED|
| STARTING    | None                    | launch again with the SAME task id (the master never saw it),|
|             |                         | if inside the starting deadline (first attempt); else MISSED |
| STARTING    | staging/running         | adopt (RUNNING)                                            |
| RUNNING     | None                    | TASK_LOST: failure, retried per `retries`                  |
| any active  | terminal state          | apply it (FINISHED -> SUCCEEDED, FAILED -> retry or FAILED) |
| RETRY_WAIT  | -                       | resume the retry timer (launch when due)                   |

Since the task id is the same for a relaunch, a launch that did reach the master cannot run twice.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from mesosframe.errors import VersionConflictError
from mesosframe.state import StateStore

from .runs import (ACTIVE, TERMINAL, LaunchTask, Run, RunKind, RunPolicy, RunState, TaskUpdate, Tick, apply)

__all__ = ["SlotLedger", "SlotTakenError", "run_to_json", "run_from_json", "recover"]

LEDGER_SCHEMA = 1


class SlotTakenError(VersionConflictError):
    """A slot was claimed already (by this leader before a failover, or by another)."""


_RUN_FIELDS = tuple(Run.__dataclass_fields__)


def run_to_json(run: Run) -> dict:
    data = {name: getattr(run, name) for name in _RUN_FIELDS}   # flat fields: no deep copy needed
    data["kind"] = run.kind.value
    data["state"] = run.state.value
    data["arguments"] = list(run.arguments)
    data["schema"] = LEDGER_SCHEMA
    return data


def run_from_json(data: dict) -> Run:
    fields = {name: data[name] for name in Run.__dataclass_fields__ if name in data}
    fields["kind"] = RunKind(fields.get("kind", "scheduled"))
    fields["state"] = RunState(fields.get("state", "QUEUED"))
    fields["arguments"] = tuple(fields.get("arguments", ()))
    return Run(**fields)


class SlotLedger:
    """Run records in a StateStore under `prefix`; every write is a CAS on the version last read or written."""

    def __init__(self, store: StateStore, prefix: str = "cron/runs") -> None:
        self.store = store
        self.prefix = prefix
        self._versions: dict[str, int] = {}

    def key(self, job: str, trigger_ms: int) -> str:
        return f"{self.prefix}/{job}/{trigger_ms}"

    def claim(self, runs: Iterable[Run], batch: int = 100) -> None:
        """Create the records of new runs, `batch` per transaction (ZooKeeper bounds a multi's size); raises
        SlotTakenError if one exists (batches before it are then written: re-read the store before acting)."""
        runs = list(runs)
        for start in range(0, len(runs), batch):
            chunk = runs[start:start + batch]
            try:
                with self.store.transaction() as tx:
                    for run in chunk:
                        tx.put(self.key(run.job, run.trigger_ms), run_to_json(run), None)
            except VersionConflictError as exc:
                raise SlotTakenError(exc.key, exc.expected, exc.actual) from None
            for run, version in zip(chunk, tx.versions or []):
                self._versions[run.run_id] = version

    def save(self, run: Run) -> None:
        """Write a changed run over the version this ledger last saw; raises VersionConflictError if it moved."""
        key = self.key(run.job, run.trigger_ms)
        self._versions[run.run_id] = self.store.put(key, run_to_json(run), self._versions.get(run.run_id))

    def version(self, run_id: str) -> int | None:
        """The version of the run's record last read or written (None: not known to exist)."""
        return self._versions.get(run_id)

    def remember(self, run_id: str, version: int | None) -> None:
        """Note the version of a record written outside this ledger (in a caller's transaction)."""
        self._versions[run_id] = version

    def load(self, job: str) -> list[Run]:
        """The job's runs, oldest first, remembering their versions for later CAS writes."""
        runs = []
        for name in self.store.list(f"{self.prefix}/{job}"):
            record = self.store.get(f"{self.prefix}/{job}/{name}")
            if record is not None:
                run = run_from_json(record.value)
                self._versions[run.run_id] = record.version
                runs.append(run)
        return sorted(runs, key=lambda r: r.trigger_ms)

    def delete_job(self, job: str) -> None:
        """Drop every record of a job (after the job itself is deleted)."""
        for name in self.store.list(f"{self.prefix}/{job}"):
            key = f"{self.prefix}/{job}/{name}"
            self.store.delete(key)
            self._versions.pop(f"{job}:{name}", None)


def recover(run: Run, observed: str | None, now: float, policy: RunPolicy,
            deadline: float | None) -> tuple[Run, list]:
    """The run and effects after a failover, given what reconciliation said about its task (see the table)."""
    if run.state in TERMINAL:
        return run, []
    never_started = run.state is RunState.QUEUED or (run.state is RunState.STARTING and observed is None)
    if (never_started and run.kind is RunKind.SCHEDULED and run.attempt == 0 and deadline is not None
            and now - run.slot > deadline):
        return dataclasses.replace(run, state=RunState.MISSED, ended=now,
                                   reason="starting deadline passed during failover"), []
    if run.state is RunState.QUEUED:
        return run, [LaunchTask(run.run_id, run.next_task_id(), run.attempt)]
    if run.state is RunState.RETRY_WAIT:
        return apply(run, Tick(), now, policy)
    assert run.state in ACTIVE and run.task_id is not None
    if observed is None:
        if run.state is RunState.STARTING:
            return run, [LaunchTask(run.run_id, run.task_id, run.attempt)]
        return apply(run, TaskUpdate(run.task_id, "TASK_LOST", message="unknown to the master after failover"),
                     now, policy)
    return apply(run, TaskUpdate(run.task_id, observed), now, policy)
