"""ACCEPT: validate the offers and operations of one call, then launch tasks on the agent.

Mesos semantics: if any offer is invalid every task gets TASK_LOST (TASK_DROPPED for PARTITION_AWARE)
with REASON_INVALID_OFFERS; invalid tasks get TASK_ERROR (REASON_TASK_INVALID / REASON_TASK_GROUP_INVALID);
resources not used by valid operations are recovered and filtered for `refuse_seconds`.
RESERVE, UNRESERVE, CREATE and DESTROY are not supported by this master: they are dropped (logged), and
when they carry an operation `id` the framework gets UPDATE_OPERATION_STATUS with OPERATION_ERROR.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mesosframe.local.master.allocator import refuse_seconds
from mesosframe.local.master.events import master_update
from mesosframe.local.master.records import FrameworkRecord, TaskRecord
from mesosframe.local.master.resources import (ResourceBag, ResourceError, add_roles, roles_contain,
                                               subtract_roles)
from mesosframe.local.master.validation import validate_group_executor, validate_task

if TYPE_CHECKING:
    from mesosframe.local.master.core import Master

log = logging.getLogger("mesosframe.local.master")

UNSUPPORTED_MESSAGE = "Operation {op} is not supported by this master (no reservations or volumes)"


def _task_list(operation: dict) -> list[dict]:
    if operation.get("type") == "LAUNCH":
        return list((operation.get("launch") or {}).get("task_infos") or [])
    if operation.get("type") == "LAUNCH_GROUP":
        return list(((operation.get("launch_group") or {}).get("task_group") or {}).get("tasks") or [])
    return []


def accept(master: "Master", fw: FrameworkRecord, body: dict) -> None:
    """Handle an ACCEPT call body (already envelope-validated)."""
    now = master.clock.now()
    offer_ids = [o["value"] for o in body.get("offer_ids", [])]
    operations = [op for op in body.get("operations", []) if isinstance(op, dict)]
    refuse = refuse_seconds(body.get("filters"))
    error = None
    records = []
    for offer_id in offer_ids:
        record = master.offers.get(offer_id)
        if record is None or record.framework_id != fw.framework_id:
            error = error or f"Offer {offer_id} is no longer valid"
            continue
        records.append(master.allocator.take(offer_id))
    if not offer_ids:
        error = "No offers specified"
    agent_ids = {r.agent_id for r in records}
    if error is None and len(agent_ids) > 1:
        error = "Aggregated offers must belong to one single agent"
    offered: dict[str, ResourceBag] = {}
    for record in records:
        offered = add_roles(offered, record.resources)
    if error is not None:
        lost = "TASK_DROPPED" if fw.partition_aware else "TASK_LOST"
        for operation in operations:
            for task in _task_list(operation):
                master.send_update(fw, master_update(
                    _task_id(task), lost, now=now, message=f"Task launched with invalid offers: {error}",
                    reason="REASON_INVALID_OFFERS", agent_id=_agent_id(task)))
        for record in records:
            master.allocator.recover(fw.framework_id, record.agent_id, record.resources)
        return
    agent_id = records[0].agent_id
    agent = master.agents.get(agent_id)
    available = offered
    try:
        for operation in operations:
            kind = operation.get("type")
            if kind == "LAUNCH":
                tasks = _task_list(operation)
                available = _launch(master, fw, agent_id, records[0].role, tasks, None, available, now)
            elif kind == "LAUNCH_GROUP":
                group = operation.get("launch_group") or {}
                available = _launch(master, fw, agent_id, records[0].role, _task_list(operation),
                                    group.get("executor"), available, now)
            else:
                _unsupported(master, fw, agent_id, operation, now)
    finally:      # also when an operation failed unexpectedly: what it had not used goes back to the pool
        if agent is not None:
            master.allocator.recover(fw.framework_id, agent_id, available, refuse)


def _task_id(task: dict) -> str:
    return str(((task.get("task_id") or {}).get("value")) or "")


def _agent_id(task: dict) -> str | None:
    return (task.get("agent_id") or {}).get("value")


def _launch(master: "Master", fw: FrameworkRecord, agent_id: str, role: str, tasks: list[dict],
            group_executor: dict | None, available: dict[str, ResourceBag], now: float):
    """Validate and start tasks (one group when `group_executor` is set); returns what is left."""
    reason = "REASON_TASK_GROUP_INVALID" if group_executor is not None else "REASON_TASK_INVALID"
    seen: set[str] = set()
    errors: dict[int, str] = {}
    demands: list[dict[str, ResourceBag]] = []
    group_error = None
    if group_executor is not None:
        group_error = validate_group_executor(group_executor, fw.framework_id)
        if not tasks:
            group_error = group_error or "Task group must contain at least one task"
    left = available
    exec_bags: dict[str, ResourceBag] = {}
    if group_executor is not None and group_error is None:
        executor_id = group_executor["executor_id"]["value"]
        if executor_id not in master.executor_ids(fw.framework_id, agent_id):
            try:
                exec_bags = ResourceBag.from_mesos(group_executor.get("resources", []))
            except ResourceError as exc:
                exec_bags, group_error = {}, str(exc)
            if group_error is None and not roles_contain(left, exec_bags):
                group_error = "Executor uses more resources than available"
            elif group_error is None:
                left = subtract_roles(left, exec_bags)
    running = set(master.executor_ids(fw.framework_id, agent_id))
    new_executors: set[str] = set()
    for index, task in enumerate(tasks):
        message = group_error or validate_task(task, agent_id=agent_id, seen_ids=seen,
                                               known_ids=fw.tasks.keys(), group_executor=group_executor)
        bags: dict[str, ResourceBag] = {}
        if message is None:
            try:
                bags = ResourceBag.from_mesos(task.get("resources", []))
            except ResourceError as exc:
                message = str(exc)
        executor = task.get("executor")
        if message is None and executor is not None:
            executor_id = executor["executor_id"]["value"]
            if executor_id not in running and executor_id not in new_executors:
                # A new custom executor's resources ride on its first task (recovered with it).
                try:
                    bags = add_roles(bags, ResourceBag.from_mesos(executor.get("resources", [])))
                    new_executors.add(executor_id)
                except ResourceError as exc:
                    message = str(exc)
        if message is None and not roles_contain(left, bags):
            offered = "; ".join(b.describe() for b in left.values())
            wanted = "; ".join(b.describe() for b in bags.values())
            message = f"Task uses more resources {wanted} than available {offered}"
        seen.add(_task_id(task))
        if message is not None:
            errors[index] = message
        else:
            left = subtract_roles(left, bags)
        demands.append(bags)
    if group_executor is not None and errors:
        first = next(iter(errors.values()))
        errors = {i: first for i in range(len(tasks))}
        left = available
    if exec_bags and not errors and demands:
        demands[0] = add_roles(demands[0], exec_bags)    # a new group executor rides on its first task
    launched = []
    for index, task in enumerate(tasks):
        if index in errors:
            master.send_update(fw, master_update(
                _task_id(task), "TASK_ERROR", now=now, message=errors[index], reason=reason,
                agent_id=_agent_id(task)))
            continue
        executor = group_executor or task.get("executor") or {}
        executor_id = (executor.get("executor_id") or {}).get("value", "")
        record = TaskRecord(_task_id(task), fw.framework_id, agent_id, str(task.get("name", "")),
                            executor_id, role, demands[index], now)
        master.add_task(fw, record)
        launched.append(task)
    if launched:
        agent = master.agents[agent_id]
        agent.handle.launch_tasks(master.framework_json(fw), launched, group_executor)
    return left


def _unsupported(master: "Master", fw: FrameworkRecord, agent_id: str, operation: dict, now: float) -> None:
    message = UNSUPPORTED_MESSAGE.format(op=operation.get("type", "UNKNOWN"))
    log.warning("operation_dropped framework=%s reason=%s", fw.framework_id, message)
    if "id" in operation and fw.sink is not None:
        fw.sink.send({"type": "UPDATE_OPERATION_STATUS", "update_operation_status": {"status": {
            "operation_id": operation["id"], "state": "OPERATION_ERROR", "message": message,
            "agent_id": {"value": agent_id}}}})
