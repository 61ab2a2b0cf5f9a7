"""The agent link's wire format (pure: no I/O, no clock).

One HTTP endpoint on the master's port, `POST /internal/agent/v1`, JSON bodies `{"type": ..., ...}`:

- `REGISTER {agent_info, tasks: [{framework_id, status, task}]}` (`task`: the TaskInfo, so a new leader
  can adopt the task) answers 200 with a chunked RecordIO stream
  (`<length>\\n<json>` records, as the scheduler API) and a `Mesos-Agent-Stream-Id` header. The stream
  carries the master's commands to the agent: `REGISTERED {agent_id}`, `LAUNCH {framework, tasks,
  executor}`, `KILL {framework_id, task_id, kill_policy}`, `ACKNOWLEDGE {framework_id, task_id, uuid}`,
  `SHUTDOWN_FRAMEWORK {framework_id}`, `SHUTDOWN_EXECUTOR {framework_id, executor_id}`, `MESSAGE
  {framework_id, executor_id, data}` and `PING` (keep-alive). A master that is not leading answers 307
  with `Location` (the leader) or 503.
- `UPDATE {framework_id, status}`, `HEARTBEAT {}`, `EXECUTOR_MESSAGE {framework_id, executor_id, data}`,
  `EXECUTOR_EXITED {framework_id, executor_id, status}`: agent -> master, 202; each carries `agent_id`
  and the `Mesos-Agent-Stream-Id` of the agent's current stream. A stale or unknown stream id answers 409:
  the agent must register again.

Bytes (`uuid`, `data`) are base64 strings, as in Mesos's JSON mapping.
"""
from __future__ import annotations

import base64
import json
import random
from dataclasses import asdict

from mesosframe.errors import ProtocolError
from mesosframe.local.protocol import AgentInfo
from mesosframe.local.recordio import encode_record  # noqa: F401  (re-exported: the link uses the same records)

PATH = "/internal/agent/v1"
STREAM_HEADER = "Mesos-Agent-Stream-Id"

AGENT_CALLS = frozenset({"REGISTER", "UPDATE", "HEARTBEAT", "EXECUTOR_MESSAGE", "EXECUTOR_EXITED"})
MASTER_EVENTS = frozenset({"REGISTERED", "LAUNCH", "KILL", "ACKNOWLEDGE", "SHUTDOWN_FRAMEWORK",
                           "SHUTDOWN_EXECUTOR", "MESSAGE", "PING"})

class LinkProtocolError(ProtocolError):
    """A malformed message on the agent link."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise LinkProtocolError(f"not base64: {text!r}") from exc


class RecordIODecoder:
    """Incremental RecordIO decoder: `feed(chunk)` returns the complete JSON records seen so far."""

    MAX_RECORD = 64 * 1024 * 1024

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[dict]:
        self._buffer += chunk
        out: list[dict] = []
        while True:
            head, sep, rest = self._buffer.partition(b"\n")
            if not sep:
                if len(head) > 20:
                    raise LinkProtocolError("RecordIO length prefix too long")
                return out
            try:
                length = int(head)
            except ValueError:
                raise LinkProtocolError(f"bad RecordIO length {head[:20]!r}") from None
            if not 0 <= length <= self.MAX_RECORD:
                raise LinkProtocolError(f"RecordIO length out of range: {length}")
            if len(rest) < length:
                return out
            self._buffer = rest[length:]
            out.append(parse_message(rest[:length], MASTER_EVENTS))


def parse_message(body: bytes, allowed: frozenset[str]) -> dict:
    """A JSON object whose `type` is in `allowed`, else LinkProtocolError."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LinkProtocolError(f"not JSON: {exc}") from None
    kind = message.get("type") if isinstance(message, dict) else None
    if kind not in allowed:
        raise LinkProtocolError(f"unexpected message: {kind or message!r}")
    return message


def info_to_json(info: AgentInfo) -> dict:
    return asdict(info)


def info_from_json(data: object) -> AgentInfo:
    """AgentInfo from its JSON form; requires a non-empty `agent_id` and `hostname`."""
    if not isinstance(data, dict):
        raise LinkProtocolError("agent_info must be an object")
    known = {k: data[k] for k in AgentInfo.__dataclass_fields__ if k in data}
    if not known.get("agent_id") or not known.get("hostname"):
        raise LinkProtocolError("agent_info needs agent_id and hostname")
    for key in ("resources", "attributes", "capabilities"):
        if not isinstance(known.get(key, []), list):
            raise LinkProtocolError(f"agent_info.{key} must be a list")
    return AgentInfo(**known)


def register_call(info: AgentInfo, tasks: list[tuple]) -> dict:
    """A REGISTER call; `tasks` holds (framework_id, status) or (framework_id, task_info, status) tuples."""
    entries = []
    for entry in tasks:
        item = {"framework_id": entry[0], "status": entry[-1]}
        if len(entry) == 3:
            item["task"] = entry[1]
        entries.append(item)
    return {"type": "REGISTER", "agent_info": info_to_json(info), "tasks": entries}


def registered_task_infos(call: dict) -> list[tuple[str, dict, dict]]:
    """The (framework_id, TaskInfo, TaskStatus) triples of a REGISTER call; a missing TaskInfo becomes
    `{"task_id": ...}` (an older agent)."""
    tasks = call.get("tasks") or []
    if not isinstance(tasks, list) or not all(isinstance(t, dict) and isinstance(t.get("status"), dict)
                                              and isinstance(t.get("framework_id"), str)
                                              and isinstance(t["status"].get("task_id"), dict)
                                              and isinstance(t.get("task", {}), dict) for t in tasks):
        raise LinkProtocolError("REGISTER.tasks must be a list of {framework_id, status, task?}")
    return [(t["framework_id"], t.get("task") or {"task_id": t["status"]["task_id"]}, t["status"])
            for t in tasks]


def registered_tasks(call: dict) -> list[tuple[str, dict]]:
    """The (framework_id, TaskStatus) pairs of a REGISTER call."""
    return [(fid, status) for fid, _, status in registered_task_infos(call)]


class Backoff:
    """Reconnection delays: `initial` doubling to `maximum`, each scaled by a random factor in
    [1 - jitter, 1]. `reset()` after a success. `rng` is injectable for tests."""

    def __init__(self, initial: float = 0.2, maximum: float = 5.0, jitter: float = 0.2,
                 rng: random.Random | None = None) -> None:
        if not 0 < initial <= maximum or not 0 <= jitter < 1:
            raise ValueError("need 0 < initial <= maximum and 0 <= jitter < 1")
        self.initial, self.maximum, self.jitter = initial, maximum, jitter
        self._rng = rng or random.Random()
        self._next = initial

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay * (1 - self.jitter * self._rng.random())

    def reset(self) -> None:
        self._next = self.initial
