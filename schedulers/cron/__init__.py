"""mesosframe cron: a Chronos-compatible job scheduler (pure core + REST layer).

    parse_schedule(text, time_zone=None, now=None) -> Schedule      ISO 8601 `R[n]/<start>/<period>` or cron
    next_run(schedule, after, now, time_zone=None) -> float | None   first slot strictly after `after`
    Schedule.slots_between(start, end) / .tail_between(start, end, keep)
    Job                                                              Chronos 3 job JSON (pydantic v2)
    JobGraph, DependencyState                                        DAG rules, DOT/CSV/text output
    Run, RunPolicy, apply(run, event, now, policy), plan_due, admit  run FSM, missed slots, concurrency
    SlotLedger, recover(run, observed, now, policy, deadline)        exactly-once slot records, failover
    CronEngine(store)                                                the core the Mesos plugin drives
    CronService, InMemoryCronService, create_app(service)            REST API (FastAPI), Chronos 3 routes
    CronPlugin(store, clock)                                         the engine as a core SchedulerPlugin
    MesosCronService(plugin, framework, address=, leader_lookup=)    CronService over the core loop
    task_spec(job, run), demand_key(job, slot_ms, attempt)           what a run launches, and its identity

On Mesos (not imported here, as they start threads and servers): `server.CronServer` / `server.start_demo_cron`
(scheduler process: Framework + REST + HA), `command` (`mesosframe cron` and `mesosframe jobs`),
`client.CronClient`. The exactly-once protocol across failovers is documented in `plugin.py` and `ledger.py`.

Schedule rules (month ends, time zones, DST gaps and repeats) are documented in `schedule.py`.
"""
from __future__ import annotations

from .api import create_app
from .dag import CycleError, DependencyState, JobGraph, MissingParentError
from .engine import CronEngine, UnknownJobError
from .history import RunRecord, duration_stats
from .job import ConcurrencyPolicy, Job
from .ledger import SlotLedger, SlotTakenError, recover
from .mesos import MesosCronService
from .plugin import CronPlugin
from .runs import Run, RunKind, RunPolicy, RunState, admit, apply, plan_due, task_id_for
from .schedule import CronSchedule, IsoSchedule, Schedule, next_run, parse_schedule
from .service import CronService, InMemoryCronService
from .taskspec import demand_key, task_spec

__all__ = [
    "ConcurrencyPolicy",
    "CronEngine",
    "CronPlugin",
    "CronSchedule",
    "CronService",
    "CycleError",
    "DependencyState",
    "InMemoryCronService",
    "IsoSchedule",
    "Job",
    "JobGraph",
    "MesosCronService",
    "MissingParentError",
    "Run",
    "RunKind",
    "RunPolicy",
    "RunRecord",
    "RunState",
    "Schedule",
    "SlotLedger",
    "SlotTakenError",
    "UnknownJobError",
    "admit",
    "apply",
    "create_app",
    "demand_key",
    "duration_stats",
    "next_run",
    "parse_schedule",
    "plan_due",
    "recover",
    "task_spec",
    "task_id_for",
]
