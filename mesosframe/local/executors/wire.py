"""Pure pieces of the agent side of the v1 executor API: RecordIO records, call validation, event bodies and
the executor's environment. Nothing here does I/O or reads the time.

Validation follows `validateExecutorCall` (src/slave/http.cpp, src/slave/validation.cpp): every call needs
`type`, `framework_id` and `executor_id`; SUBSCRIBE needs `subscribe`, MESSAGE needs `message.data`, UPDATE
needs `update.status` whose uuid decodes to 16 bytes, whose `source` is SOURCE_EXECUTOR, whose state is not
TASK_STAGING and whose `executor_id` (when present) names the calling executor. Failures raise
`ExecutorCallError` carrying the HTTP status and the text reason the agent answers with.
"""
from __future__ import annotations

import base64
import binascii
import json
import pathlib
from dataclasses import dataclass
from typing import Any, Mapping

from mesosframe.errors import ProtocolError

__all__ = ["ExecutorCallError", "ExecutorCall", "parse_call", "record", "event", "executor_environment",
           "duration_text", "nanoseconds_to_seconds", "wait_status", "CALL_TYPES"]

CALL_TYPES = frozenset({"SUBSCRIBE", "UPDATE", "MESSAGE", "HEARTBEAT"})
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class ExecutorCallError(ProtocolError):
    """An executor call the agent refuses: `status` is the HTTP status (400, 403, 415...), `reason` the body."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class ExecutorCall:
    """A syntactically valid call: its type, the ids as plain strings and the whole JSON body."""
    type: str
    framework_id: str
    executor_id: str
    body: dict

    @property
    def status(self) -> dict:
        """UPDATE's TaskStatus."""
        return self.body["update"]["status"]

    @property
    def uuid(self) -> bytes:
        """UPDATE's raw 16-byte uuid."""
        return base64.b64decode(self.status["uuid"])


def _id(body: dict, field: str) -> str:
    value = body.get(field)
    if isinstance(value, dict) and isinstance(value.get("value"), str) and value["value"]:
        return value["value"]
    raise ExecutorCallError(400, f"Failed to validate agent::Call: Expecting '{field}' to be present")


def parse_call(raw: bytes, content_type: str | None) -> ExecutorCall:
    """Decode and validate one executor call body (see the module docstring)."""
    if content_type is None or content_type.split(";")[0].strip() != "application/json":
        raise ExecutorCallError(415, f"Unsupported '{content_type}' Content-Type; expecting 'application/json'")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ExecutorCallError(400, f"Failed to parse body into JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ExecutorCallError(400, "Failed to convert JSON into Call protobuf: expecting an object")
    kind = body.get("type")
    if kind not in CALL_TYPES:
        raise ExecutorCallError(400, f"Failed to validate executor::Call: unknown call type {kind!r}")
    call = ExecutorCall(kind, _id(body, "framework_id"), _id(body, "executor_id"), body)
    if kind == "SUBSCRIBE":
        if not isinstance(body.get("subscribe"), dict):
            raise ExecutorCallError(400, "Expecting 'subscribe' to be present")
    elif kind == "MESSAGE":
        message = body.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("data"), str):
            raise ExecutorCallError(400, "Expecting 'message' to be present")
        _b64(message["data"], "message.data")
    elif kind == "UPDATE":
        _validate_update(body, call.executor_id)
    return call


def _b64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ExecutorCallError(400, f"'{field}' is not valid base64") from None


def _validate_update(body: dict, executor_id: str) -> None:
    update = body.get("update")
    if not isinstance(update, dict) or not isinstance(update.get("status"), dict):
        raise ExecutorCallError(400, "Expecting 'update' to be present")
    status = update["status"]
    if not isinstance(status.get("task_id"), dict) or not status["task_id"].get("value"):
        raise ExecutorCallError(400, "Expecting 'update.status.task_id' to be present")
    if not isinstance(status.get("state"), str):
        raise ExecutorCallError(400, "Expecting 'update.status.state' to be present")
    uuid = status.get("uuid")
    if not isinstance(uuid, str) or len(_b64(uuid, "update.status.uuid")) != 16:
        raise ExecutorCallError(400, "'uuid' is not a valid UUID")
    if status.get("source") != "SOURCE_EXECUTOR":
        raise ExecutorCallError(400, f"Received Call from executor {executor_id} of type UPDATE with "
                                     f"invalid source, expecting 'SOURCE_EXECUTOR'")
    if status["state"] == "TASK_STAGING":
        raise ExecutorCallError(400, "Received TASK_STAGING from executor which is not allowed")
    sender = status.get("executor_id")
    if sender is not None and (not isinstance(sender, dict) or sender.get("value") != executor_id):
        raise ExecutorCallError(400, f"ExecutorID in Call: {executor_id} does not match ExecutorID in "
                                     f"TaskStatus: {sender.get('value') if isinstance(sender, dict) else sender}")


def record(payload: dict) -> bytes:
    """One RecordIO record: `<length>\\n<compact JSON without newlines>`."""
    data = _dumps(payload).encode("utf-8")
    return b"%d\n%s" % (len(data), data)


def event(kind: str, **body: Any) -> dict:
    """An executor Event: `{"type": KIND, "<kind>": body}` (SHUTDOWN and HEARTBEAT carry no body)."""
    if kind in ("SHUTDOWN", "HEARTBEAT"):
        return {"type": kind}
    return {"type": kind, kind.lower(): body}


def wait_status(returncode: int) -> int:
    """asyncio's returncode (negative = killed by that signal) -> the raw wait status Mesos reports in
    FAILURE (`exit code << 8`, or the signal number)."""
    return -returncode if returncode < 0 else (returncode & 0xFF) << 8


def nanoseconds_to_seconds(duration: dict | None, default: float) -> float:
    """DurationInfo JSON (`{"nanoseconds": n}`) -> seconds; `default` when absent."""
    if not duration or "nanoseconds" not in duration:
        return default
    return max(0.0, int(duration["nanoseconds"]) / 1e9)


def duration_text(seconds: float) -> str:
    """Seconds in stout's Duration syntax (`5secs`, `1.5secs`, `20mins`), as Mesos writes env vars."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}mins"
    return f"{int(seconds)}secs" if float(seconds).is_integer() else f"{seconds:g}secs"


def executor_environment(*, base: Mapping[str, str], agent_id: str, endpoint: str, framework_id: str,
                         executor_id: str, directory: pathlib.Path, sandbox: pathlib.Path | None = None,
                         checkpoint: bool, http_command_executor: bool = False, shutdown_grace: float = 5.0,
                         recovery_timeout: float = 900.0, subscription_backoff_max: float = 2.0,
                         extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a Mesos agent gives an executor (`executorEnvironment()` in src/slave/slave.cpp).

    `base` is inherited first, `extra` (ExecutorInfo.command.environment VALUE variables) last. The recovery
    variables are set only with checkpointing. `sandbox` defaults to `directory` (no container rootfs).
    """
    env = dict(base)
    env.update({
        "MESOS_FRAMEWORK_ID": framework_id,
        "MESOS_EXECUTOR_ID": executor_id,
        "MESOS_DIRECTORY": str(directory),
        "MESOS_SANDBOX": str(sandbox or directory),
        "MESOS_SLAVE_ID": agent_id,
        "MESOS_SLAVE_PID": f"slave(1)@{endpoint}",
        "MESOS_AGENT_ENDPOINT": endpoint,
        "MESOS_CHECKPOINT": "1" if checkpoint else "0",
        "MESOS_HTTP_COMMAND_EXECUTOR": "1" if http_command_executor else "0",
        "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": duration_text(shutdown_grace),
        "LIBPROCESS_PORT": "0",
    })
    for name in ("MESOS_RECOVERY_TIMEOUT", "MESOS_SUBSCRIPTION_BACKOFF_MAX"):
        env.pop(name, None)
    if checkpoint:
        env["MESOS_RECOVERY_TIMEOUT"] = duration_text(recovery_timeout)
        env["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = duration_text(subscription_backoff_max)
    env.update(extra or {})
    return env
