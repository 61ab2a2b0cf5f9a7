"""Marathon's event bus: event constructors with Marathon's exact type names, and a fan-out to subscribers.

Every event is a dict with `eventType` and `timestamp`. Order across subscribers is not guaranteed (as in
Marathon). `publish` is safe from any thread; an asyncio subscriber receives events on its own loop.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from typing import Any, AsyncIterator, Callable, Sequence

from schedulers.longrun.service import EventSubscription, iso

log = logging.getLogger("mesosframe.longrun.events")

EVENT_TYPES = frozenset({
    "api_post_event", "scheduler_registered_event", "scheduler_reregistered_event",
    "scheduler_disconnected_event", "subscribe_event", "unsubscribe_event", "event_stream_attached",
    "event_stream_detached", "add_health_check_event", "remove_health_check_event", "failed_health_check_event",
    "health_status_changed_event", "unhealthy_instance_kill_event", "group_change_success",
    "group_change_failed", "deployment_success", "deployment_failed", "deployment_info",
    "deployment_step_success", "deployment_step_failure", "app_terminated_event", "status_update_event",
    "instance_changed_event", "unknown_instance_terminated_event", "instance_health_changed_event",
    "framework_message_event", "pod_created_event", "pod_updated_event", "pod_deleted_event",
})


def make_event(event_type: str, now: float, **fields: Any) -> dict[str, Any]:
    """An event dict; raises ValueError for a type name Marathon does not have."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return {"eventType": event_type, "timestamp": iso(now), **fields}


class _QueueSubscription(EventSubscription):
    def __init__(self, bus: EventBus, types: frozenset[str], loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self._bus = bus
        self.types = types
        self._loop = loop
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=limit)
        self.closed = False

    def wants(self, event: dict[str, Any]) -> bool:
        return not self.types or event["eventType"] in self.types

    def deliver(self, event: dict[str, Any] | None) -> None:
        try:
            self._loop.call_soon_threadsafe(self._put, event)
        except RuntimeError:  # the subscriber's loop is gone
            self.close()

    def _put(self, event: dict[str, Any] | None) -> None:
        if self._queue.full():
            log.warning("event_dropped reason=slow_subscriber type=%s", event and event["eventType"])
            return
        self._queue.put_nowait(event)

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:  # type: ignore[override]
        while not self.closed:
            event = await self._queue.get()
            if event is None:
                return
            yield event

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._bus.unsubscribe(self)
            try:
                self._loop.call_soon_threadsafe(self._put, None)
            except RuntimeError:
                pass


class EventBus:
    """Fan-out of events to live subscribers; keeps the last `history` events for inspection."""

    def __init__(self, history: int = 1000, subscriber_queue: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[_QueueSubscription] = []
        self.recent: deque[dict[str, Any]] = deque(maxlen=history)
        self._limit = subscriber_queue
        self._taps: tuple[Callable[[dict[str, Any]], None], ...] = ()

    def publish(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.recent.append(event)
            targets = [s for s in self._subscribers if s.wants(event)]
        for tap in self._taps:
            tap(event)
        for subscriber in targets:
            subscriber.deliver(event)

    def tap(self, fn: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call `fn(event)` for every event, synchronously on the publishing thread (often the core loop: it
        must be quick and must not raise). For measurements and tests; returns a function that removes it."""
        with self._lock:
            self._taps += (fn,)

        def untap() -> None:
            with self._lock:
                self._taps = tuple(t for t in self._taps if t is not fn)
        return untap

    def subscribe(self, event_types: Sequence[str] = ()) -> EventSubscription:
        """Subscribe from inside a running asyncio loop (events arrive on that loop)."""
        subscription = _QueueSubscription(self, frozenset(event_types), asyncio.get_running_loop(), self._limit)
        with self._lock:
            self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: _QueueSubscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

    def close_all(self) -> None:
        """End every subscription (their event streams finish cleanly, e.g. before the server stops)."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription.close()

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def types_seen(self) -> list[str]:
        with self._lock:
            return [e["eventType"] for e in self.recent]
