"""Compact records of the master's state: agents, frameworks, tasks, offers, filters.

Every record uses `__slots__`; a task keeps only what reconciliation, resource recovery and the operator
endpoint need (about 1 KB per task), never the whole TaskInfo.
"""
from __future__ import annotations

from collections import deque
from typing import Protocol

from mesosframe.local.master.resources import ResourceBag
from mesosframe.local.protocol import AgentHandle

TERMINAL_STATES = frozenset({
    "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED",
    "TASK_GONE", "TASK_GONE_BY_OPERATOR"})

# States only PARTITION_AWARE frameworks see; the others get TASK_LOST instead.
PARTITION_STATES = frozenset({
    "TASK_DROPPED", "TASK_UNREACHABLE", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"})


class EventSink(Protocol):
    """Where a framework's events go (the HTTP stream, or a list in tests). Called on the loop."""

    def send(self, event: dict) -> None: ...

    def close(self) -> None: ...


class AgentRecord:
    """A registered agent. `free` is what is neither used by tasks nor offered, per role."""

    __slots__ = ("agent_id", "handle", "info", "total", "free", "state", "last_seen", "registered_time",
                 "reregistered_time", "unreachable_time", "task_ids", "executor_task_ids", "offer_ids", "has_gpus",
                 "removal_timer", "offer_base")

    def __init__(self, handle: AgentHandle, total: dict[str, ResourceBag], now: float, mono: float) -> None:
        self.agent_id = handle.info.agent_id
        self.handle = handle
        self.info = handle.info
        self.total = total
        self.free = dict(total)
        self.state = "active"            # "active" | "unreachable"
        self.last_seen = mono
        self.registered_time = now
        self.reregistered_time: float | None = None
        self.unreachable_time: float | None = None
        self.task_ids: set[tuple[str, str]] = set()     # (framework_id, task_id)
        self.executor_task_ids: set[tuple[str, str]] = set()   # the subset run by an executor
        self.offer_ids: set[str] = set()
        self.has_gpus = any(bag.scalars.get("gpus", 0) > 0 for bag in total.values())
        self.removal_timer = None
        self.offer_base = self._offer_base()

    def _offer_base(self) -> dict:
        """The parts of every offer for this agent that never change (shared, read-only)."""
        info = self.info
        base = {"hostname": info.hostname,
                "url": {"scheme": "http", "address": {"hostname": info.hostname, "ip": info.hostname,
                                                       "port": info.port or 5051}, "path": "/slave(1)"}}
        if info.attributes:
            base["attributes"] = info.attributes
        return base


class TaskRecord:
    """What the master keeps of a task: identity, resources, and its latest status in compact form."""

    __slots__ = ("task_id", "framework_id", "agent_id", "name", "executor_id", "role", "resources",
                 "state", "timestamp", "status_extra", "uuid", "statuses")

    def __init__(self, task_id: str, framework_id: str, agent_id: str, name: str, executor_id: str,
                 role: str, resources: dict[str, ResourceBag], now: float) -> None:
        self.task_id = task_id
        self.framework_id = framework_id
        self.agent_id = agent_id
        self.name = name
        self.executor_id = executor_id
        self.role = role
        self.resources = resources
        self.state = "TASK_STAGING"
        self.timestamp = now
        self.status_extra: dict | None = None   # healthy, check_status, container_status, unreachable_time
        self.uuid: str | None = None            # base64 uuid of the latest agent update
        self.statuses: list[tuple[str, float]] | None = None   # (state, timestamp) history

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES


class OfferRecord:
    """An outstanding offer."""

    __slots__ = ("offer_id", "framework_id", "agent_id", "role", "resources", "timer")

    def __init__(self, offer_id: str, framework_id: str, agent_id: str, role: str,
                 resources: dict[str, ResourceBag]) -> None:
        self.offer_id = offer_id
        self.framework_id = framework_id
        self.agent_id = agent_id
        self.role = role
        self.resources = resources
        self.timer = None


class FrameworkRecord:
    """A framework known to the master; `sink` is its event stream while connected."""

    __slots__ = ("framework_id", "info", "capabilities", "roles", "suppressed", "sink", "stream_id",
                 "connected", "active", "tasks", "completed", "offer_ids", "filters", "allocated",
                 "registered_time", "reregistered_time", "unregistered_time", "failover_timer",
                 "heartbeat_timer")

    def __init__(self, framework_id: str, info: dict, now: float, max_completed: int) -> None:
        self.framework_id = framework_id
        self.info = info
        self.capabilities: frozenset[str] = frozenset()
        self.roles: tuple[str, ...] = ("*",)
        self.suppressed: set[str] = set()
        self.sink: EventSink | None = None
        self.stream_id: str | None = None
        self.connected = False
        self.active = False
        self.tasks: dict[str, TaskRecord] = {}
        self.completed: deque[TaskRecord] = deque(maxlen=max_completed)
        self.offer_ids: set[str] = set()
        self.filters: dict[str, list[tuple[float, dict[str, ResourceBag]]]] = {}
        self.allocated: dict[str, int] = {}       # scalar name -> thousandths (used + offered)
        self.registered_time = now
        self.reregistered_time = now
        self.unregistered_time: float | None = None
        self.failover_timer = None
        self.heartbeat_timer = None
        self.update_info(info)

    def update_info(self, info: dict) -> None:
        """Apply a (validated) FrameworkInfo: capabilities and roles."""
        self.info = info
        self.capabilities = frozenset(c.get("type", "") for c in info.get("capabilities", []) if c)
        if "MULTI_ROLE" in self.capabilities:
            self.roles = tuple(info.get("roles") or ()) or ("*",)
        else:
            self.roles = (info.get("role") or "*",)

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def partition_aware(self) -> bool:
        return "PARTITION_AWARE" in self.capabilities

    @property
    def failover_timeout(self) -> float:
        return float(self.info.get("failover_timeout", 0.0) or 0.0)

    def charge(self, bags: dict[str, ResourceBag], sign: int) -> None:
        """Add (sign=1) or remove (sign=-1) resources from the DRF allocation counters."""
        for bag in bags.values():
            for name, value in bag.scalars.items():
                self.allocated[name] = self.allocated.get(name, 0) + sign * value

    def share(self, totals: dict[str, int]) -> float:
        """Dominant share of the cluster's scalar resources."""
        best = 0.0
        for name, value in self.allocated.items():
            total = totals.get(name)
            if total:
                best = max(best, value / total)
        return best
