"""Events: what enters the core loop's inbox. Frozen value types built by driver callbacks, the election
listener, timers and public calls. They carry plain JSON payloads (already copied), never driver objects.
"""
from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class Subscribed(Event):
    framework_id: str
    heartbeat_interval: float = 15.0


@dataclass(frozen=True)
class Disconnected(Event):
    reason: str = ""


@dataclass(frozen=True)
class OffersReceived(Event):
    offers: tuple[dict, ...]


@dataclass(frozen=True)
class OfferRescinded(Event):
    offer_id: str


@dataclass(frozen=True)
class TaskStatusUpdated(Event):
    """A TaskStatus JSON as the master sent it (`uuid` present only when it must be acknowledged)."""
    status: dict


@dataclass(frozen=True)
class Heartbeat(Event):
    pass


@dataclass(frozen=True)
class FrameworkError(Event):
    """The master sent ERROR (e.g. the framework was removed, or failed over to another instance)."""
    message: str


@dataclass(frozen=True)
class AgentLost(Event):
    agent_id: str


@dataclass(frozen=True)
class LeadershipChanged(Event):
    """`kind` is ELECTED, SUSPENDED, RESUMED or LOST (from `mesosframe.ha.LeadershipEventKind`)."""
    kind: str
    term: int = 0


@dataclass(frozen=True)
class Tick(Event):
    """A timer is due (the loop emits one when the earliest deadline passes)."""
    name: str = ""


@dataclass(frozen=True)
class Command(Event):
    """A public call from another thread: `fn(core)` runs on the loop thread; its result completes `future`."""
    fn: Callable[[Any], Any] = field(compare=False)
    future: Future = field(default_factory=Future, compare=False)


@dataclass(frozen=True)
class Nudge(Event):
    """Wakes the loop for an urgent event queued beside the inbox; dispatches nothing itself."""


@dataclass(frozen=True)
class Stop(Event):
    """Stop the loop (failover=True keeps the framework and its tasks registered with the master)."""
    failover: bool = True
