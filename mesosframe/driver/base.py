"""The `MesosDriver` seam between the core loop and a Mesos master.

A driver turns master events into core `Event`s handed to `sink` (it never runs core logic itself) and
sends calls. Every call raises `NotSubscribedError` when there is no subscribed stream: a call is never
silently dropped. Acknowledgements are explicit (`acknowledge`). Calls are made from the core loop thread.
"""
from __future__ import annotations

from typing import Callable, Protocol, Sequence

from mesosframe.core.events import Event

EventSink = Callable[[Event], None]


class MesosDriver(Protocol):
    @property
    def subscribed(self) -> bool: ...

    def start(self, sink: EventSink, framework_info: dict) -> None:
        """Connect and SUBSCRIBE with `framework_info` (its `id`, if set, is reused); events go to `sink`."""

    def stop(self, failover: bool = True) -> None:
        """Close the stream. `failover=True` keeps the framework (and its tasks) registered; False tears down."""

    def reconnect(self) -> None:
        """Drop the stream and subscribe again (same framework id), e.g. after missed heartbeats."""

    def accept(self, offer_id: str, operations: Sequence[dict], refuse_seconds: float) -> None: ...

    def decline(self, offer_ids: Sequence[str], refuse_seconds: float) -> None: ...

    def kill(self, task_id: str, agent_id: str | None = None) -> None: ...

    def acknowledge(self, agent_id: str, task_id: str, uuid: str) -> None: ...

    def reconcile(self, tasks: Sequence[tuple[str, str | None]]) -> None: ...

    def revive(self, roles: Sequence[str] = ()) -> None: ...

    def suppress(self, roles: Sequence[str] = ()) -> None: ...

    def prepare_accept(self, offer_id: str, operations: Sequence[dict], refuse_seconds: float) -> None:
        """May encode an ACCEPT ahead of its time: a later `accept` of the same offer with the same `operations`
        object then sends what was prepared. Raises `NotSubscribedError` without a subscription."""

    def wait_sent(self, timeout: float) -> None:
        """Return once every ACCEPT handed over so far is written to the master (or failed), or after `timeout`
        seconds: a driver that sends in the background lets the caller give way to its launches."""

    def teardown(self) -> None:
        """TEARDOWN: the master kills every task of the framework and forgets it."""
