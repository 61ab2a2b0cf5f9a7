"""`FakeDriver`: records calls for unit tests and lets tests inject events; no network."""
from __future__ import annotations

from typing import Any, Sequence

from mesosframe.core.events import Event, Subscribed
from mesosframe.driver.base import EventSink
from mesosframe.errors import NotSubscribedError


class FakeDriver:
    """`calls` is a list of `(name, args...)` tuples, in order. `subscribe(fid)` emits `Subscribed`."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.sink: EventSink | None = None
        self.framework_info: dict | None = None
        self.subscribed = False
        self.started = 0
        self.stopped: list[bool] = []

    # -- test helpers ----------------------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        assert self.sink is not None, "driver not started"
        self.sink(event)

    def subscribe(self, framework_id: str = "fw-0000", heartbeat: float = 15.0) -> None:
        self.subscribed = True
        self.emit(Subscribed(framework_id, heartbeat))

    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] == name]

    # -- MesosDriver -----------------------------------------------------------------------------------
    def start(self, sink: EventSink, framework_info: dict) -> None:
        self.sink = sink
        self.framework_info = framework_info
        self.started += 1

    def stop(self, failover: bool = True) -> None:
        self.stopped.append(failover)
        self.subscribed = False

    def reconnect(self) -> None:
        self.calls.append(("reconnect",))
        self.subscribed = False

    def _call(self, *call: Any) -> None:
        if not self.subscribed:
            raise NotSubscribedError(f"{call[0]} while not subscribed")
        self.calls.append(call)

    def accept(self, offer_id: str, operations: Sequence[dict], refuse_seconds: float) -> None:
        self._call("accept", offer_id, list(operations), refuse_seconds)

    def decline(self, offer_ids: Sequence[str], refuse_seconds: float) -> None:
        self._call("decline", tuple(offer_ids), refuse_seconds)

    def kill(self, task_id: str, agent_id: str | None = None) -> None:
        self._call("kill", task_id, agent_id)

    def prepare_accept(self, offer_id: str, operations: Sequence[dict], refuse_seconds: float) -> None:
        """Nothing to prepare: calls are recorded when made."""

    def wait_sent(self, timeout: float) -> None:
        """Calls are recorded at once: nothing to wait for."""

    def acknowledge(self, agent_id: str, task_id: str, uuid: str) -> None:
        self._call("acknowledge", agent_id, task_id, uuid)

    def reconcile(self, tasks: Sequence[tuple[str, str | None]]) -> None:
        self._call("reconcile", tuple(tasks))

    def revive(self, roles: Sequence[str] = ()) -> None:
        self._call("revive", tuple(roles))

    def suppress(self, roles: Sequence[str] = ()) -> None:
        self._call("suppress", tuple(roles))

    def teardown(self) -> None:
        self._call("teardown")
