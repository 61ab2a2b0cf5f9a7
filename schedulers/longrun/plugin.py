"""`LongrunPlugin`: the longrun service's face to the framework core (a `SchedulerPlugin`).

It holds no state: every callback, already on the core loop thread, goes to `MesosLongrunService`, which owns
the apps, deployments and instances (`schedulers.longrun.mesos`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from mesosframe.core.plugin import Demand, SchedulerPlugin
from mesosframe.errors import ValidationError
from mesosframe.model.task import TaskRecord

if TYPE_CHECKING:
    from schedulers.longrun.mesos import MesosLongrunService


class LongrunPlugin(SchedulerPlugin):
    """The core's view of the service: every call is forwarded to `MesosLongrunService`."""

    name = "longrun"

    def __init__(self, service: "MesosLongrunService") -> None:
        self.service = service

    def recover(self, records: Sequence[TaskRecord]) -> None:
        self.service._recover(records)

    def demand(self, now: float) -> Sequence[Demand]:
        return self.service._demand(now)

    def on_launched(self, task: TaskRecord, now: float) -> None:
        self.service._on_launched(task, now)

    def on_status(self, task: TaskRecord, now: float) -> None:
        self.service._on_status(task, now)

    def on_no_match(self, key: str, reason, now: float) -> None:
        self.service.no_match[key] = reason

    def on_invalid(self, key: str, error: ValidationError, now: float) -> None:
        self.service.invalid[key] = str(error)

    def on_idle(self, now: float) -> None:
        self.service._on_idle()
