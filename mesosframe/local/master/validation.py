"""Validation of scheduler calls and of the tasks in LAUNCH / LAUNCH_GROUP, with Mesos's messages (pure).

`validate_call` raises `CallError(400, text)` exactly where a Mesos 1.11 master answers 400;
`validate_task` returns the TASK_ERROR message for an invalid task, or None.
"""
from __future__ import annotations

import base64
import binascii
import json
import re

import orjson

from mesosframe.errors import ProtocolError
from mesosframe.local.master.schema import check_shape

CALL_TYPES = frozenset({
    "UNKNOWN", "SUBSCRIBE", "TEARDOWN", "ACCEPT", "DECLINE", "ACCEPT_INVERSE_OFFERS",
    "DECLINE_INVERSE_OFFERS", "REVIVE", "KILL", "SHUTDOWN", "ACKNOWLEDGE", "ACKNOWLEDGE_OPERATION_STATUS",
    "RECONCILE", "RECONCILE_OPERATIONS", "MESSAGE", "REQUEST", "SUPPRESS", "UPDATE_FRAMEWORK"})

# The call field that must be present for each type (Mesos's `validation::scheduler::call::validate`).
_BODY_FIELD = {
    "SUBSCRIBE": "subscribe", "ACCEPT": "accept", "DECLINE": "decline",
    "ACCEPT_INVERSE_OFFERS": "accept_inverse_offers", "DECLINE_INVERSE_OFFERS": "decline_inverse_offers",
    "KILL": "kill", "SHUTDOWN": "shutdown", "ACKNOWLEDGE": "acknowledge",
    "ACKNOWLEDGE_OPERATION_STATUS": "acknowledge_operation_status", "RECONCILE": "reconcile",
    "RECONCILE_OPERATIONS": "reconcile_operations", "MESSAGE": "message", "REQUEST": "request",
    "UPDATE_FRAMEWORK": "update_framework"}

_PREFIX = "Failed to validate scheduler::Call: "
_BAD_ID = re.compile(r"[\s/]")


class CallError(ProtocolError):
    """A call the master refuses; `status` is the HTTP status and `text` the plain-text body."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text}")
        self.status = status
        self.text = text


def parse_json_body(body: bytes) -> dict:
    """Decode a JSON request body like stout/picojson; raises CallError(400) with its message.

    orjson reads what it can (an ACCEPT of 1,000 launches: 31 to 18 ms); what it refuses is read again by the
    standard library, which gives the error messages (and accepts a lone surrogate escape or deep nesting, as
    before). An integer beyond 64 bits reads as a float with orjson, as picojson reads it as a double."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = _parse_slowly(body)
    if not isinstance(value, dict):
        raise CallError(400, "Failed to convert JSON into Call protobuf: Expecting a JSON object")
    if b"null" not in body:               # no "null" anywhere: no JSON null
        return value
    try:
        return _without_nulls(value)
    except RecursionError:
        raise CallError(400, "Failed to parse body into JSON: RecursionError") from None


def _parse_slowly(body: bytes):
    """The standard library's reading of `body`, or CallError(400) with picojson's kind of message."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise CallError(400, "Failed to parse body into JSON: invalid UTF-8") from None
    try:
        return json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        line_end = text.find("\n", exc.pos)
        near = text[exc.pos: line_end if line_end >= 0 else len(text)]
        raise CallError(400, f"Failed to parse body into JSON: syntax error at line {exc.lineno} "
                             f"near: {near}") from None
    except (ValueError, RecursionError) as exc:       # NaN / Infinity, a 4,300-digit number, nesting too deep
        raise CallError(400, f"Failed to parse body into JSON: {type(exc).__name__}") from None


def _not_json(constant: str):
    """picojson refuses NaN and Infinity, which Python's parser would read."""
    raise ValueError(f"{constant} is not JSON")


def _without_nulls(value):
    """JSON nulls mean "not set", as when Mesos parses JSON into protobuf."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value if v is not None]
    return value


def _is_id(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("value"), str)


def _expect(cond: bool, what: str) -> None:
    if not cond:
        raise CallError(400, f"{_PREFIX}Expecting '{what}' to be present")


def decode_uuid(text: object) -> bytes:
    """A base64 uuid of exactly 16 bytes; raises CallError(400, 'Not a valid UUID')."""
    try:
        raw = base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        raise CallError(400, f"{_PREFIX}Not a valid UUID")
    return raw


def validate_call(call: dict) -> str:
    """Check the envelope, the JSON types and the body's required fields; return the call type."""
    problem = check_shape(call)
    if problem is not None:
        raise CallError(400, f"Failed to convert JSON into Call protobuf: {problem}")
    ctype = call.get("type")
    _expect(isinstance(ctype, str) and ctype in CALL_TYPES, "type")
    if ctype == "SUBSCRIBE":
        sub = call.get("subscribe")
        _expect(isinstance(sub, dict), "subscribe")
        info = sub.get("framework_info")
        _expect(isinstance(info, dict), "framework_info")
        if "framework_id" in call or "id" in info:
            if call.get("framework_id") != info.get("id"):
                raise CallError(400, f"{_PREFIX}'framework_id' differs from 'subscribe.framework_info.id'")
        return ctype
    _expect(_is_id(call.get("framework_id")), "framework_id")
    field = _BODY_FIELD.get(ctype)
    if field is not None:
        _expect(isinstance(call.get(field), dict), field)
    body = call.get(field) if field else None
    if ctype == "KILL":
        _expect(_is_id(body.get("task_id")), "task_id")
    elif ctype == "SHUTDOWN":
        _expect(_is_id(body.get("executor_id")), "executor_id")
        _expect(_is_id(body.get("agent_id")), "agent_id")
    elif ctype == "ACKNOWLEDGE":
        _expect(_is_id(body.get("agent_id")), "agent_id")
        _expect(_is_id(body.get("task_id")), "task_id")
        _expect("uuid" in body, "uuid")
        decode_uuid(body["uuid"])
    elif ctype == "MESSAGE":
        _expect(_is_id(body.get("agent_id")), "agent_id")
        _expect(_is_id(body.get("executor_id")), "executor_id")
        _expect(isinstance(body.get("data"), str), "data")
    elif ctype == "UPDATE_FRAMEWORK":
        info = body.get("framework_info")
        _expect(isinstance(info, dict), "framework_info")
        if info.get("id") != call["framework_id"]:
            raise CallError(400, f"{_PREFIX}'framework_id' differs from 'update_framework.framework_info.id'")
    elif ctype in ("ACCEPT", "DECLINE"):
        ids = body.get("offer_ids", [])
        if not isinstance(ids, list) or not all(_is_id(i) for i in ids):
            raise CallError(400, f"{_PREFIX}Expecting 'offer_ids' to be a list of OfferID")
    elif ctype == "RECONCILE":
        tasks = body.get("tasks", [])
        if not isinstance(tasks, list) or not all(isinstance(t, dict) and _is_id(t.get("task_id"))
                                                  for t in tasks):
            raise CallError(400, f"{_PREFIX}Expecting 'task_id' to be present")
    return ctype


def validate_framework_info(info: dict) -> str | None:
    """The reason a SUBSCRIBE's FrameworkInfo is refused (sent as an ERROR event), or None."""
    if not isinstance(info.get("user"), str) or not isinstance(info.get("name"), str):
        return "Invalid FrameworkInfo: 'user' and 'name' are required"
    caps = {c.get("type") for c in info.get("capabilities", []) if isinstance(c, dict)}
    roles = info.get("roles") or []
    if "MULTI_ROLE" in caps and info.get("role") is not None:
        return "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable"
    if "MULTI_ROLE" not in caps and roles:
        return "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"
    for role in roles or [info.get("role") or "*"]:
        if not isinstance(role, str) or not role or role in (".", "..") or role.startswith("-") \
                or any(ch.isspace() or ch == "/" for ch in role):
            return f"Role '{role}' is invalid"
    return None


def validate_task(task: dict, *, agent_id: str, seen_ids: set[str], known_ids: set[str],
                  group_executor: dict | None = None) -> str | None:
    """The TASK_ERROR message for an invalid TaskInfo, or None. `seen_ids` collects ids in this call."""
    task_id = (task.get("task_id") or {}).get("value")
    if not isinstance(task_id, str) or not task_id:
        return "Task ID must not be empty"
    if _BAD_ID.search(task_id) or task_id in (".", ".."):
        return f"'{task_id}' contains invalid characters"
    if task_id in seen_ids or task_id in known_ids:
        return f"Task has duplicate ID: {task_id}"
    if (task.get("agent_id") or {}).get("value") != agent_id:
        return f"Task uses invalid agent: {(task.get('agent_id') or {}).get('value', '')}"
    if not isinstance(task.get("name"), str):
        return "Task must have a name"
    has_command, has_executor = "command" in task, "executor" in task
    if group_executor is None:
        if has_command == has_executor:
            return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
        executor = task.get("executor")
        if executor is not None:
            if not _is_id(executor.get("executor_id")):
                return "Expecting 'executor.executor_id' to be present"
            if executor.get("type", "CUSTOM") != "CUSTOM":
                return "'ExecutorInfo.type' must be 'CUSTOM'"
            if "command" not in executor:
                return "Executor must have a CommandInfo"
    else:
        if has_executor:
            return "'TaskInfo.executor' must not be set"
        if (task.get("container") or {}).get("type") == "DOCKER":
            return "Docker ContainerInfo is not supported on the task"
    grace = ((task.get("kill_policy") or {}).get("grace_period") or {}).get("nanoseconds", 0)
    if not isinstance(grace, (int, float)) or grace < 0:
        return "Task's 'kill_policy.grace_period' must be non-negative"
    if not task.get("resources"):
        return "Task uses no resources"
    return None


def validate_group_executor(executor: object, framework_id: str) -> str | None:
    """The TASK_ERROR message for an invalid LAUNCH_GROUP executor, or None."""
    if not isinstance(executor, dict) or not _is_id(executor.get("executor_id")):
        return "Expecting 'executor.executor_id' to be present"
    if executor.get("type") not in ("DEFAULT", "CUSTOM"):
        return "'ExecutorInfo.type' must be set"
    if (executor.get("framework_id") or {}).get("value") != framework_id:
        return "ExecutorInfo has an invalid FrameworkID (Actual: " \
               f"{(executor.get('framework_id') or {}).get('value', '')} vs Expected: {framework_id})"
    if executor.get("type") == "CUSTOM" and "command" not in executor:
        return "Executor must have a CommandInfo"
    return None
