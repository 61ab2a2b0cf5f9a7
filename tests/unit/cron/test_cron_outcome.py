"""PURE: a job's counters after an outcome, and which dependency runs a parent's success fires."""
from __future__ import annotations

import pytest

from schedulers.cron.dag import DependencyState, JobGraph
from schedulers.cron.job import Job
from schedulers.cron.outcome import counted, fan_out
from schedulers.cron.runs import Run, RunKind, RunState

NOW = 1_700_000_000.0


@pytest.mark.parametrize("success,expected", [
    (True, {"successCount": 3, "errorCount": 1, "errorsSinceLastSuccess": 0, "lastSuccess": "2023-11-14T22:13:20.000Z"}),
    (False, {"successCount": 2, "errorCount": 2, "errorsSinceLastSuccess": 2, "lastError": "2023-11-14T22:13:20.000Z"}),
])
def test_counters(success, expected):
    job = Job(name="j", command="x", schedule="R//PT1M", successCount=2, errorCount=1, errorsSinceLastSuccess=1)
    after = counted(job, success, NOW).model_dump()
    assert {k: after[k] for k in expected} == expected


JOBS = {"p": Job(name="p", command="x", schedule="R//PT1M"), "q": Job(name="q", command="x", schedule="R//PT1M"),
        "one": Job(name="one", command="x", parents=["p"]), "both": Job(name="both", command="x", parents=["p", "q"]),
        "off": Job(name="off", command="x", parents=["p"], disabled=True),
        "busy": Job(name="busy", command="x", parents=["p"])}
GRAPH = JobGraph.build({name: job.parents for name, job in JOBS.items()})


@pytest.mark.parametrize("satisfied,parent,started,skipped", [
    ({}, "p", ["one"], ["busy", "off"]),                          # `both` still waits for q
    ({"both": frozenset({"q"})}, "p", ["both", "one"], ["busy", "off"]),
    ({}, "q", [], []),
])
def test_fan_out(satisfied, parent, started, skipped):
    active = {"busy": [Run("busy", 1, state=RunState.RUNNING)]}
    deps, children = fan_out(GRAPH, DependencyState(satisfied), parent, JOBS, lambda n: active.get(n, []), NOW)
    assert sorted(c.job for c in children if c.state is RunState.QUEUED) == started
    assert sorted(c.job for c in children if c.state is RunState.SKIPPED) == skipped
    assert all(c.kind is RunKind.DEPENDENCY and c.trigger_ms == int(NOW * 1000) for c in children)
    for name in started:
        assert name not in deps.satisfied                            # it waits for every parent again
