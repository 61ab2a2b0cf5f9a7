"""PURE consequences of a job's outcome: its counters, and the dependency runs it fires (Chronos semantics).

    counted(job, success, now) -> Job
        success: successCount+1, lastSuccess=now, errorsSinceLastSuccess=0; failure: errorCount+1, lastError=now,
        errorsSinceLastSuccess+1.
    fan_out(graph, deps, parent, jobs, active, now) -> (DependencyState, [Run])
        the parent's success (or soft failure) recorded; one DEPENDENCY run (trigger = now) per child now ready,
        SKIPPED when the child is disabled or its concurrencyPolicy FORBIDs a second active run; a child that
        starts waits for all its parents again.

The engine writes the ended run, `counted(...)`, the new dependency state and the children's records in one
transaction (see `CronEngine._outcome`).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from .dag import DependencyState, JobGraph
from .job import Job
from .runs import Admission, Run, RunKind, RunState, admit
from .schedule import format_instant

__all__ = ["counted", "fan_out"]


def counted(job: Job, success: bool, now: float) -> Job:
    stamp = format_instant(now)
    if success:
        update = {"successCount": job.successCount + 1, "lastSuccess": stamp, "errorsSinceLastSuccess": 0}
    else:
        update = {"errorCount": job.errorCount + 1, "lastError": stamp,
                  "errorsSinceLastSuccess": job.errorsSinceLastSuccess + 1}
    return job.model_copy(update=update)


def fan_out(graph: JobGraph, deps: DependencyState, parent: str, jobs: Mapping[str, Job],
            active: Callable[[str], list[Run]], now: float) -> tuple[DependencyState, list[Run]]:
    deps, ready = deps.on_parent_done(graph, parent)
    children = []
    for name in ready:
        job = jobs[name]
        run = Run(name, int(round(now * 1000)), kind=RunKind.DEPENDENCY)
        if job.disabled or admit(job.policy, active(name)) is Admission.SKIP:
            reason = "job disabled" if job.disabled else "concurrencyPolicy FORBID: a run is active"
            run = dataclasses.replace(run, state=RunState.SKIPPED, ended=now, reason=reason)
        else:
            deps = deps.on_child_started(name)
        children.append(run)
    return deps, children
