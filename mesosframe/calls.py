"""PURE constructors of Mesos v1 scheduler Call bodies and Offer operations (Mesos JSON mapping).

This is the only module that spells wire field names of calls. Every function returns a fresh dict that
can be JSON-encoded and POSTed to `/api/v1/scheduler`. IDs are plain strings here and wrapped as
`{"value": ...}` on the wire.
"""
from __future__ import annotations

from typing import Any, Iterable

from mesosframe.errors import ConfigurationError

ONE_WEEK = 7 * 24 * 3600.0
MAX_REFUSE_SECONDS = 365 * 24 * 3600.0


def _id(value: str) -> dict[str, str]:
    return {"value": value}


def _call(kind: str, framework_id: str | None, body: dict[str, Any] | None = None) -> dict[str, Any]:
    call: dict[str, Any] = {"type": kind}
    if framework_id is not None:
        call["framework_id"] = _id(framework_id)
    if body is not None:
        call[kind.lower()] = body
    return call


def framework_info(name: str, *, user: str = "root", framework_id: str | None = None,
                   roles: Iterable[str] = ("*",), failover_timeout: float = ONE_WEEK, checkpoint: bool = True,
                   principal: str | None = None, hostname: str | None = None, webui_url: str | None = None,
                   capabilities: Iterable[str] = ("PARTITION_AWARE", "TASK_KILLING_STATE"),
                   ) -> dict[str, Any]:
    """A FrameworkInfo. The default capabilities make the master send partition-aware states.

    With the MULTI_ROLE capability `roles` is sent as a list; without it, the single role as `role`.
    """
    capabilities = list(capabilities)
    roles = list(roles)
    info: dict[str, Any] = {"name": name, "user": user, "failover_timeout": float(failover_timeout),
                            "checkpoint": checkpoint, "capabilities": [{"type": c} for c in capabilities]}
    if "MULTI_ROLE" in capabilities:
        info["roles"] = roles
    else:
        if len(roles) != 1:
            raise ConfigurationError("several roles need the MULTI_ROLE capability")
        info["role"] = roles[0]
    if framework_id:
        info["id"] = _id(framework_id)
    for key, value in (("principal", principal), ("hostname", hostname), ("webui_url", webui_url)):
        if value:
            info[key] = value
    return info


def filters(refuse_seconds: float) -> dict[str, float]:
    return {"refuse_seconds": min(float(refuse_seconds), MAX_REFUSE_SECONDS)}


def subscribe(info: dict[str, Any], suppressed_roles: Iterable[str] = ()) -> dict[str, Any]:
    """SUBSCRIBE; `framework_id` is set from `info["id"]` when present (resubscription)."""
    body: dict[str, Any] = {"framework_info": info}
    if suppressed_roles:
        body["suppressed_roles"] = list(suppressed_roles)
    fid = info.get("id", {}).get("value")
    return _call("SUBSCRIBE", fid, body)


def teardown(framework_id: str) -> dict[str, Any]:
    return _call("TEARDOWN", framework_id)


def launch(task_infos: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Offer.Operation LAUNCH."""
    return {"type": "LAUNCH", "launch": {"task_infos": list(task_infos)}}


def launch_group(executor: dict[str, Any], task_infos: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Offer.Operation LAUNCH_GROUP with a DEFAULT (or CUSTOM) executor."""
    return {"type": "LAUNCH_GROUP",
            "launch_group": {"executor": executor, "task_group": {"tasks": list(task_infos)}}}


def accept(framework_id: str, offer_ids: Iterable[str], operations: Iterable[dict[str, Any]],
           refuse_seconds: float = 5.0) -> dict[str, Any]:
    return _call("ACCEPT", framework_id, {"offer_ids": [_id(o) for o in offer_ids],
                                          "operations": list(operations), "filters": filters(refuse_seconds)})


def decline(framework_id: str, offer_ids: Iterable[str], refuse_seconds: float = 5.0) -> dict[str, Any]:
    return _call("DECLINE", framework_id, {"offer_ids": [_id(o) for o in offer_ids],
                                           "filters": filters(refuse_seconds)})


def revive(framework_id: str, roles: Iterable[str] = ()) -> dict[str, Any]:
    roles = list(roles)
    return _call("REVIVE", framework_id, {"roles": roles} if roles else None)


def suppress(framework_id: str, roles: Iterable[str] = ()) -> dict[str, Any]:
    roles = list(roles)
    return _call("SUPPRESS", framework_id, {"roles": roles} if roles else None)


def kill(framework_id: str, task_id: str, agent_id: str | None = None,
         grace_period_seconds: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"task_id": _id(task_id)}
    if agent_id:
        body["agent_id"] = _id(agent_id)
    if grace_period_seconds is not None:
        body["kill_policy"] = {"grace_period": {"nanoseconds": int(grace_period_seconds * 1e9)}}
    return _call("KILL", framework_id, body)


def acknowledge(framework_id: str, agent_id: str, task_id: str, uuid: str) -> dict[str, Any]:
    """ACKNOWLEDGE; `uuid` is the status's base64 uuid, passed through unchanged."""
    return _call("ACKNOWLEDGE", framework_id,
                 {"agent_id": _id(agent_id), "task_id": _id(task_id), "uuid": uuid})


def reconcile(framework_id: str, tasks: Iterable[tuple[str, str | None]] = ()) -> dict[str, Any]:
    """RECONCILE; no tasks means implicit reconciliation (the master reports every task it knows)."""
    items = []
    for task_id, agent_id in tasks:
        item: dict[str, Any] = {"task_id": _id(task_id)}
        if agent_id:
            item["agent_id"] = _id(agent_id)
        items.append(item)
    return _call("RECONCILE", framework_id, {"tasks": items})


def shutdown(framework_id: str, executor_id: str, agent_id: str) -> dict[str, Any]:
    return _call("SHUTDOWN", framework_id, {"executor_id": _id(executor_id), "agent_id": _id(agent_id)})


def message(framework_id: str, agent_id: str, executor_id: str, data_b64: str) -> dict[str, Any]:
    return _call("MESSAGE", framework_id,
                 {"agent_id": _id(agent_id), "executor_id": _id(executor_id), "data": data_b64})
