"""`TaskRecord`: what the core knows and persists about one launched task (frozen, JSON round-trip).

A record is written to the state store BEFORE the task is launched, so a new leader knows every task that
may be running. `key` is the plugin's demand key the task fulfils and `group` its placement group
(constraints count instances per group); `labels` carry the launch size (`cpus`, `mem`) used for fair
sharing; `ports` are the host ports placement chose and `attributes` the agent's (formatted as constraints
read them), both as of the launch. `state` is the last observed Mesos state (a `TaskState` value);
`goal` is the desired state (a `Goal` value). Records carry `"version": 1`; `from_json` refuses newer versions.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from mesosframe.errors import RecordFormatError

RECORD_VERSION = 1


@dataclass(frozen=True, slots=True)
class TaskRecord:
    task_id: str
    plugin: str
    name: str
    key: str = ""
    group: str = ""
    state: str = "STAGING"
    goal: str = "RUNNING"
    agent_id: str | None = None
    hostname: str | None = None
    healthy: bool | None = None
    reason: str | None = None
    message: str | None = None
    launched_at: float = 0.0
    updated_at: float = 0.0
    reconciled_at: float = 0.0
    attempt: int = 0
    labels: dict[str, str] = field(default_factory=dict)
    ports: tuple[int, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _FIELDS}
        data["labels"] = dict(self.labels)
        data["ports"] = list(self.ports)
        data["attributes"] = dict(self.attributes)
        data["version"] = RECORD_VERSION
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TaskRecord":
        """Parse a stored record; raises RecordFormatError for a newer version or missing fields."""
        version = data.get("version", RECORD_VERSION)
        if not isinstance(version, int) or version > RECORD_VERSION:
            raise RecordFormatError(f"task record version {version!r} is newer than {RECORD_VERSION}")
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        try:
            if "ports" in fields:
                fields["ports"] = tuple(int(p) for p in fields["ports"])
            return cls(**fields)
        except (TypeError, ValueError) as exc:
            raise RecordFormatError(f"bad task record: {exc}") from exc


_FIELDS = tuple(f.name for f in fields(TaskRecord))
