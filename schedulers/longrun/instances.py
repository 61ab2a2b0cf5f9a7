"""Instances from the core's task records (PURE): what a new leader finds, and task ports.

`rebuild(records, apps)` maps the plugin's task records back to apps by their demand keys
(`taskspec.parse_key`): live tasks of known apps become `Task`s, live tasks of unknown apps are orphans (to
kill), and the highest slot number seen is returned so new keys never collide with old ones.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from mesosframe.model.task import TaskRecord
from mesosframe.tasks.lifecycle import TaskState
from schedulers.longrun.service import Task
from schedulers.longrun.simstate import config_version
from schedulers.longrun.spec import AppDefinition
from schedulers.longrun.taskspec import key_prefix, key_version, parse_key

ADRIFT = ("UNREACHABLE", "UNKNOWN")


def record_ports(record: TaskRecord) -> list[int]:
    """The task's host ports as the core recorded them at launch."""
    return list(record.ports)


def recorded_placement(record: TaskRecord) -> bool:
    """The record says where the task went (ports, agent attributes): records written before the core kept
    them have neither, and those tasks are looked up in the master's state (`ports.MasterState`)."""
    return bool(record.ports or record.attributes)


def task_from_record(r: TaskRecord, app: AppDefinition, stamp: str) -> Task:
    """An instance as a new leader finds it; `stamp` is the config version from its demand key."""
    current = key_version(config_version(app)) == stamp
    adrift = r.state in ADRIFT
    return Task(id=r.task_id, app_id=app.id, version=(app.version if current else stamp) or "",
                config_version=config_version(app) if current else stamp,
                host=r.hostname or "", agent_id=r.agent_id or "", ports=record_ports(r),
                state="TASK_UNREACHABLE" if adrift else f"TASK_{r.state}", healthy=r.healthy,
                staged_at=r.launched_at, started_at=r.launched_at if r.state == "RUNNING" else None,
                killing=r.goal == "STOPPED", unreachable_since=r.updated_at if adrift else None,
                attributes={"hostname": r.hostname or "", **r.attributes}, checked=bool(app.healthChecks),
                placed=recorded_placement(r))


def rebuild(records: Sequence[TaskRecord], apps: Mapping[str, AppDefinition]) -> tuple[dict[str, Task], list[str], int]:
    """(live tasks by id, orphan task ids, highest slot number or -1)."""
    by_prefix = {key_prefix(a): a for a in apps}
    tasks: dict[str, Task] = {}
    orphans: list[str] = []
    highest = -1
    for r in records:
        parsed = parse_key(r.key)
        if parsed is not None:
            highest = max(highest, parsed[2])
        if TaskState(r.state).is_terminal:
            continue
        app = apps.get(by_prefix.get(parsed[0], "")) if parsed else None
        if app is None:
            orphans.append(r.task_id)
        else:
            tasks[r.task_id] = task_from_record(r, app, parsed[1])
    return tasks, orphans, highest
