"""Reliable, ordered delivery of an agent's status updates (Mesos's status update manager).

Per task there is a queue of TaskStatus JSON objects, each stamped with a fresh 16-byte uuid (base64 in
JSON) and a timestamp. Only the head of a queue is in flight: it is sent with `send(framework_id, status)`
and re-sent after `retry[0]` seconds, doubling up to `retry[1]` (Mesos: 10 s .. 10 min), until
`acknowledge()` names its uuid; then the next update is sent. An acknowledged terminal update ends the
stream and the task is forgotten. Timers come from the loop (`call_later`); nothing here blocks.
"""
from __future__ import annotations

import base64
import logging
import os
from typing import Any, Callable

log = logging.getLogger("mesosframe.local.agents.updates")

__all__ = ["StatusUpdateManager", "TERMINAL_STATES", "is_terminal", "stamp"]

TERMINAL_STATES = frozenset({
    "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED",
    "TASK_GONE", "TASK_GONE_BY_OPERATOR",
})


def is_terminal(state: str) -> bool:
    """Mesos's `isTerminalState`."""
    return state in TERMINAL_STATES


def stamp(status: dict, now: float) -> bytes:
    """Give `status` a fresh uuid and `timestamp` (in place); return the raw 16-byte uuid."""
    raw = os.urandom(16)
    status["uuid"] = base64.b64encode(raw).decode("ascii")
    status["timestamp"] = now
    return raw


class _Stream:
    """The unacknowledged updates of one task: (raw uuid, status) pairs; the head is in flight."""

    __slots__ = ("updates", "timer", "delay")

    def __init__(self) -> None:
        self.updates: list[tuple[bytes, dict]] = []   # short: a task has a handful of states
        self.timer: Any = None
        self.delay = 0.0


class StatusUpdateManager:
    """Queues, sends and re-sends status updates until acknowledged, in order per task.

    `send(framework_id, status)` must not raise. `loop` only needs `call_later(delay, fn)` returning a
    handle with `cancel()`. While paused (agent partitioned or crashed) nothing is sent; `resume()` re-sends
    every head at once.
    """

    __slots__ = ("_send", "_loop", "_min", "_max", "_streams", "_paused")

    def __init__(self, send: Callable[[str, dict], None], loop: Any,
                 retry: tuple[float, float] = (10.0, 600.0)) -> None:
        if not 0 < retry[0] <= retry[1]:
            raise ValueError(f"status_update_retry must be 0 < min <= max, got {retry!r}")
        self._send = send
        self._loop = loop
        self._min, self._max = float(retry[0]), float(retry[1])
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._paused = False

    def update(self, framework_id: str, status: dict, uuid: bytes) -> None:
        """Queue `status` (already stamped, see `stamp`) and send it if it is the task's only pending one."""
        key = (framework_id, status["task_id"]["value"])
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream()
        stream.updates.append((uuid, status))
        if len(stream.updates) == 1:
            stream.delay = self._min
            self._transmit(key, stream)

    def acknowledge(self, framework_id: str, task_id: str, uuid: bytes) -> dict | None:
        """Drop the in-flight update if `uuid` is its uuid, send the next; return the acknowledged status.

        Returns None (and changes nothing) for an unknown task or a uuid that is not the head's.
        """
        key = (framework_id, task_id)
        stream = self._streams.get(key)
        if stream is None or not stream.updates or stream.updates[0][0] != uuid:
            log.debug("ack_ignored framework=%s task=%s", framework_id, task_id)
            return None
        _, status = stream.updates.pop(0)
        self._cancel(stream)
        if stream.updates:
            stream.delay = self._min
            self._transmit(key, stream)
        elif is_terminal(status["state"]):
            del self._streams[key]
        return status

    def pending(self, framework_id: str, task_id: str) -> list[dict]:
        """The task's unacknowledged updates, oldest (in flight) first."""
        stream = self._streams.get((framework_id, task_id))
        return [status for _, status in stream.updates] if stream else []

    def tasks(self) -> list[tuple[str, str]]:
        """(framework_id, task_id) of every task with a stream (pending updates or not yet terminal)."""
        return list(self._streams)

    def forget(self, framework_id: str, task_id: str | None = None) -> None:
        """Drop the streams of one task, or of every task of the framework when `task_id` is None."""
        for key in [k for k in self._streams if k[0] == framework_id and task_id in (None, k[1])]:
            self._cancel(self._streams.pop(key))

    def pause(self) -> None:
        """Stop sending and re-sending; queued updates are kept."""
        self._paused = True
        for stream in self._streams.values():
            self._cancel(stream)

    def resume(self) -> None:
        """Re-send every in-flight update now and restart the backoff."""
        self._paused = False
        for key, stream in self._streams.items():
            if stream.updates:
                stream.delay = self._min
                self._transmit(key, stream)

    def clear(self) -> None:
        """Drop everything and cancel all timers (agent stopped)."""
        for stream in self._streams.values():
            self._cancel(stream)
        self._streams.clear()

    def _transmit(self, key: tuple[str, str], stream: _Stream) -> None:
        if self._paused:
            return
        # arm the retry first: `send` may deliver an acknowledgement synchronously
        stream.timer = self._loop.call_later(stream.delay, self._retry, key, stream)
        self._send(key[0], stream.updates[0][1])

    def _retry(self, key: tuple[str, str], stream: _Stream) -> None:
        stream.timer = None
        if self._streams.get(key) is not stream or not stream.updates:
            return
        stream.delay = min(stream.delay * 2, self._max)
        log.debug("update_resend framework=%s task=%s next_in=%s", key[0], key[1], stream.delay)
        self._transmit(key, stream)

    @staticmethod
    def _cancel(stream: _Stream) -> None:
        if stream.timer is not None:
            stream.timer.cancel()
            stream.timer = None
