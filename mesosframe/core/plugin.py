"""`SchedulerPlugin`: the interface through which a scheduler says WHAT should run and hears how it went.

One framework process hosts several plugins. On every offer round the core asks each plugin for its
`demand(now)`: `Demand`s, each with a `key` unique within the plugin and a TaskSpec (or TaskGroupSpec).
The core launches at most one task per (plugin, key) at a time: a key whose task is not terminal yet is
not launched again, so a plugin may simply keep returning every key it still wants. After a terminal
status the key is free again (return it to retry, drop it when done).

All plugin methods run on the core loop thread; they must not block for long. They get a `PluginContext`
in `attach()` to persist their own state, kill tasks and read the clock-free view of their tasks.
"""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence, Union

from mesosframe.errors import ValidationError
from mesosframe.model.task import TaskRecord
from mesosframe.tasks.spec import TaskGroupSpec, TaskSpec

if TYPE_CHECKING:
    from mesosframe.matching import NoMatch

_KEY = re.compile(r"^[A-Za-z0-9_:@+=,-][A-Za-z0-9._:@+=,-]*$")


@dataclass(frozen=True)
class Demand:
    """A task (or task group) the plugin wants running. `key` is a store-safe name unique in the plugin;
    `group` names instances that constraints count together (default: the spec's name). With `not_before`
    (epoch seconds) the core may place it, persist its record and build its TaskInfo ahead, but sends the
    launch at that time, not earlier (and only if the plugin still returns the key then)."""
    key: str
    spec: Union[TaskSpec, TaskGroupSpec]
    group: str | None = None
    not_before: float | None = None

    def check(self, plugin: str) -> None:
        if not _KEY.match(self.key):
            raise ValidationError(f"bad demand key {self.key!r} (use letters, digits, . _ : @ + = , -)",
                                  f"{plugin}.demand.key")


class PluginContext:
    """What a plugin may do besides answering the core's questions (implemented by the core)."""

    def load(self, name: str) -> dict | None:
        """The plugin's own record `name`, or None."""
        raise NotImplementedError

    def save(self, name: str, value: dict) -> None:
        """Persist the plugin's own record `name` (overwrites)."""
        raise NotImplementedError

    def kill(self, task_id: str) -> None:
        """Ask for a task to be killed (goal STOPPED); the result arrives through `on_status`."""
        raise NotImplementedError

    def tasks(self) -> Sequence[TaskRecord]:
        """This plugin's known task records (terminal ones included until they are forgotten)."""
        raise NotImplementedError

    def wake(self) -> None:
        """Demand has changed: re-evaluate it (revive offers if needed) on the next loop turn."""
        raise NotImplementedError


class SchedulerPlugin(ABC):
    """Base class of schedulers hosted by a `Framework`. Subclasses set `name` and maybe `priority`
    (higher first; equal priorities share offers by dominant resource share)."""

    name: str = "plugin"
    priority: int = 0
    roles: tuple[str, ...] = ("*",)

    def attach(self, context: PluginContext) -> None:
        """Called once, on the loop thread, before anything else."""
        self.context = context

    def recover(self, records: Sequence[TaskRecord]) -> None:
        """Called when leadership starts with the tasks persisted for this plugin (possibly running).

        Records are written before the plugin hears of a change, so after a crash they may be ahead of
        the plugin's own saved state (e.g. a FINISHED task whose `on_status` never ran): trust them."""

    @abstractmethod
    def demand(self, now: float) -> Sequence[Demand]:
        """Everything the plugin wants running now (launched or not; the core skips keys in flight)."""

    @abstractmethod
    def on_status(self, task: TaskRecord, now: float) -> None:
        """A task of this plugin changed state (`task.state`); terminal states are final for that task."""

    def next_demand_at(self, now: float) -> float | None:
        """When new demand is known to come (a schedule's next slot), or None. Within the engine's
        `offer_lead_seconds` of it the core revives and keeps the offers it gets instead of declining them,
        so the demand launches on offers already in hand, without a REVIVE-to-OFFERS round trip."""
        return None

    def on_launched(self, task: TaskRecord, now: float) -> None:
        """A task was persisted and its launch sent."""

    def on_no_match(self, key: str, reason: "NoMatch", now: float) -> None:
        """`key` could not be placed in the last offer round; `reason.reasons` counts offers per reason."""

    def on_invalid(self, key: str, error: ValidationError, now: float) -> None:
        """`key`'s spec is invalid; it will not be launched until the plugin changes it."""

    def on_idle(self, now: float) -> None:
        """The core's inbox has drained (a burst of events is over), while leading: work coalesced over the
        burst goes here. Runs before the core re-evaluates demand; it runs after nearly every event when
        events trickle in, so keep it cheap when there is nothing to do."""

    def is_done(self) -> bool:
        """True when the plugin has nothing more to do (used by `Framework.run_until_done`)."""
        return False

