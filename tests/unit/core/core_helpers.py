"""Builders shared by the core unit tests: offers, statuses, a simple plugin."""
from __future__ import annotations

import base64
import itertools

from mesosframe.core.plugin import Demand, SchedulerPlugin
from mesosframe.tasks.lifecycle import TaskState
from mesosframe.tasks.spec import TaskSpec

_seq = itertools.count()


def offer(agent: str = "a1", cpus: float = 4.0, mem: float = 4096.0, ports=(31000, 31009),
          hostname: str | None = None, attributes: dict | None = None, offer_id: str | None = None) -> dict:
    resources = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}, "role": "*"},
                 {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}, "role": "*"}]
    if ports:
        resources.append({"name": "ports", "type": "RANGES", "role": "*",
                          "ranges": {"range": [{"begin": ports[0], "end": ports[1]}]}})
    return {"id": {"value": offer_id or f"O{next(_seq)}"}, "framework_id": {"value": "fw-0000"},
            "agent_id": {"value": agent}, "hostname": hostname or f"{agent}.example",
            "resources": resources,
            "attributes": [{"name": k, "type": "TEXT", "text": {"value": v}} for k, v in (attributes or {}).items()]}


def status(task_id: str, state: str, agent: str = "a1", uuid: bool = True, **extra) -> dict:
    out = {"task_id": {"value": task_id}, "state": f"TASK_{state}", "agent_id": {"value": agent}, **extra}
    if uuid:
        out["uuid"] = base64.b64encode(bytes(16)).decode()
    return out


class ListPlugin(SchedulerPlugin):
    """Wants tasks `keys` until each finished; retries failed ones up to `retries` times."""

    def __init__(self, name: str = "p", keys=("t0",), spec: TaskSpec | None = None, priority: int = 0,
                 retries: int = 0) -> None:
        self.name = name
        self.priority = priority
        self.wanted = list(keys)
        self.spec = spec or TaskSpec(name="job", command="true", cpus=1.0, mem=128.0)
        self.retries = retries
        self.failures: dict[str, int] = {}
        self.done: set[str] = set()
        self.seen: list[tuple[str, str]] = []
        self.no_match: dict[str, object] = {}
        self.invalid: dict[str, object] = {}

    def demand(self, now):
        return [Demand(k, self.spec) for k in self.wanted if k not in self.done]

    def on_status(self, task, now):
        self.seen.append((task.key, task.state))
        state = TaskState(task.state)
        if state is TaskState.FINISHED:
            self.done.add(task.key)
        elif state.is_terminal:
            self.failures[task.key] = self.failures.get(task.key, 0) + 1
            if self.failures[task.key] > self.retries:
                self.done.add(task.key)

    def on_no_match(self, key, reason, now):
        self.no_match[key] = reason

    def on_invalid(self, key, error, now):
        self.invalid[key] = error

    def is_done(self):
        return set(self.wanted) <= self.done
