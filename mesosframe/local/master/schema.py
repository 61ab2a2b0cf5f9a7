"""Shape checks of call bodies (pure): the JSON types of every field the master reads.

Mesos parses JSON into protobuf and answers 400 when a field has the wrong JSON type; `check_shape` does
the same for the fields this master uses, so the logic behind it can rely on them. Unknown fields are
ignored, as in Mesos.
"""
from __future__ import annotations

from typing import Any

ID = {"value": "str"}
FILTERS = {"refuse_seconds": "num"}
DURATION = {"nanoseconds": "num"}
KILL_POLICY = {"grace_period": DURATION}
LABELS = {"labels": [{"key": "str", "value": "str"}]}
EXECUTOR = {"executor_id": ID, "framework_id": ID, "type": "str", "resources": ["obj"], "command": "obj",
            "container": "obj", "labels": LABELS}
TASK = {"task_id": ID, "agent_id": ID, "name": "str", "command": "obj", "executor": EXECUTOR,
        "resources": ["obj"], "kill_policy": KILL_POLICY, "labels": LABELS, "container": "obj"}
OPERATION = {"type": "str", "id": ID, "launch": {"task_infos": [TASK]},
             "launch_group": {"executor": EXECUTOR, "task_group": {"tasks": [TASK]}}}
FRAMEWORK_INFO = {"user": "str", "name": "str", "id": ID, "failover_timeout": "num", "checkpoint": "bool",
                  "role": "str", "roles": ["str"], "hostname": "str", "principal": "str", "webui_url": "str",
                  "capabilities": [{"type": "str"}], "labels": LABELS}

CALL = {
    "type": "str", "framework_id": ID,
    "subscribe": {"framework_info": FRAMEWORK_INFO, "suppressed_roles": ["str"]},
    "accept": {"offer_ids": [ID], "operations": [OPERATION], "filters": FILTERS},
    "decline": {"offer_ids": [ID], "filters": FILTERS},
    "accept_inverse_offers": {"inverse_offer_ids": [ID], "filters": FILTERS},
    "decline_inverse_offers": {"inverse_offer_ids": [ID], "filters": FILTERS},
    "revive": {"roles": ["str"]}, "suppress": {"roles": ["str"]},
    "kill": {"task_id": ID, "agent_id": ID, "kill_policy": KILL_POLICY},
    "shutdown": {"executor_id": ID, "agent_id": ID},
    "acknowledge": {"agent_id": ID, "task_id": ID, "uuid": "str"},
    "acknowledge_operation_status": {"agent_id": ID, "uuid": "str", "operation_id": ID},
    "reconcile": {"tasks": [{"task_id": ID, "agent_id": ID}]},
    "reconcile_operations": {"operations": ["obj"]},
    "message": {"agent_id": ID, "executor_id": ID, "data": "str"},
    "request": {"requests": ["obj"]},
    "update_framework": {"framework_info": FRAMEWORK_INFO, "suppressed_roles": ["str"]},
}

_KINDS = {"str": (str,), "num": (int, float), "bool": (bool,), "obj": (dict,)}
_NAMES = {"str": "a JSON string", "num": "a JSON number", "bool": "a JSON boolean", "obj": "a JSON object"}


def check_shape(value: Any, spec: Any = None, path: str = "") -> str | None:
    """The first field of `value` whose JSON type does not match `spec` (default: a Call), or None.
    Fields are checked in the spec's order, so the same problem is reported whatever the JSON order."""
    spec = CALL if spec is None else spec
    if isinstance(spec, str):
        return None if _is_kind(value, spec) else f"Expecting {_NAMES[spec]} for field '{path}'"
    if isinstance(spec, list):
        if not isinstance(value, list):
            return f"Expecting a JSON array for field '{path}'"
        item_spec = spec[0]
        if isinstance(item_spec, str):
            return next((f"Expecting {_NAMES[item_spec]} for field '{path}'"
                         for item in value if not _is_kind(item, item_spec)), None)
        for item in value:
            problem = check_shape(item, item_spec, path)
            if problem:
                return problem
        return None
    if not isinstance(value, dict):
        return f"Expecting a JSON object for field '{path}'"
    keys = [key for key in value if key in spec]      # usually far fewer than the spec's fields
    if len(keys) > 1:
        order = _order(spec)
        keys.sort(key=order.__getitem__)
    for key in keys:
        sub, item = spec[key], value[key]
        if item is None:
            return f"Expecting a value for field '{path}.{key}'" if path else f"Expecting a value for '{key}'"
        if isinstance(sub, str):
            if _is_kind(item, sub):
                continue
            return f"Expecting {_NAMES[sub]} for field '{path}.{key}'" if path else \
                f"Expecting {_NAMES[sub]} for field '{key}'"
        problem = check_shape(item, sub, f"{path}.{key}" if path else key)
        if problem:
            return problem
    return None


def _is_kind(value: Any, kind: str) -> bool:
    return isinstance(value, _KINDS[kind]) and not (kind == "num" and isinstance(value, bool))


_ORDERS: dict[int, tuple[dict, dict[str, int]]] = {}


def _order(spec: dict) -> dict[str, int]:
    """Position of each field in a spec dict, cached per spec object (kept alive by the cache)."""
    cached = _ORDERS.get(id(spec))
    if cached is None or cached[0] is not spec or len(cached[1]) != len(spec):
        cached = _ORDERS[id(spec)] = (spec, {key: index for index, key in enumerate(spec)})
    return cached[1]
