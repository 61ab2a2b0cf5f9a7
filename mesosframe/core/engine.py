"""The core's decision engine: all framework state, and deterministic handlers returning effects.

`Engine.handle(event, now) -> list[Effect]` does no I/O: it reads plugins' demand, updates in-memory
state (task records, reconciliation, suppression) and returns effects for the loop to apply in phase
order (persist, driver, ack, notify). The loop reports back what failed (`revert_launch`), and calls
`reevaluate(now)` after notifications, when plugins may have changed their demand.

Safety rules kept here: a task record is persisted before its launch; a (plugin, key) has at most one
live launch; every offer handled is accepted or declined; nothing is answered while paused
(not leader, or leadership SUSPENDED) or not subscribed; an unknown non-terminal task is killed.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from mesosframe.core import reconciliation as recon
from mesosframe.core.effects import (Acknowledge, DeclineOffers, DeleteRecord, Effect, KillTask, Notify,
                                     PutRecord, Revive, Suppress, TaskEnded)
from mesosframe.core.events import (Disconnected, Event, FrameworkError, OfferRescinded, OffersReceived,
                                    Subscribed, TaskStatusUpdated, Tick)
from mesosframe.core.offer_rounds import OfferRounds, demand_soon
from mesosframe.core.offers import Want
from mesosframe.core.plugin import Demand, SchedulerPlugin
from mesosframe.core.staging import Staging
from mesosframe.errors import DriverError, ValidationError
from mesosframe.model.task import TaskRecord
from mesosframe.tasks import lifecycle
from mesosframe.tasks.lifecycle import TaskState

log = logging.getLogger("mesosframe.core.engine")


class FrameworkRemovedError(DriverError):
    """The master no longer knows our framework ID (removed or torn down); a new ID is never minted
    silently, because tasks of the old one may still run."""


class FrameworkIdMismatchError(DriverError):
    """The master subscribed us with another framework ID than the stored one."""


@dataclass(frozen=True)
class EngineConfig:
    refuse_seconds: float = 5.0
    idle_refuse_seconds: float = 120.0
    keep_terminal_seconds: float = 3600.0
    replace_unknown_after: float = 300.0   # UNKNOWN/UNREACHABLE this long: kill it, free its key for a new launch
    housekeeping_interval: float = 60.0
    max_tasks_per_offer: int | None = None   # None: fill every offer (Mesos re-offers leftovers only next pass)
    offer_lead_seconds: float = 2.0   # revive this long before a plugin's announced demand, and hold offers for it
    reconcile: recon.ReconcileConfig = recon.ReconcileConfig()


_ADRIFT = frozenset({TaskState.UNKNOWN, TaskState.UNREACHABLE})


def _blocks_key(record: TaskRecord) -> bool:
    """A live task holds its key, unless it is adrift (UNKNOWN/UNREACHABLE) and was given up (goal STOPPED)."""
    state = TaskState(record.state)
    return not state.is_terminal and not (state in _ADRIFT and record.goal == "STOPPED")


def _value(obj: Mapping | None) -> str | None:
    return obj.get("value") if isinstance(obj, Mapping) else None


class Engine(OfferRounds):
    def __init__(self, name: str, plugins: Sequence[SchedulerPlugin], *, config: EngineConfig = EngineConfig(),
                 policy=None, new_id: Callable[[str], str] | None = None) -> None:
        self.name = name
        self.plugins: dict[str, SchedulerPlugin] = {p.name: p for p in plugins}
        if len(self.plugins) != len(plugins):
            raise ValidationError("plugin names must be unique", "plugins")
        self.config = config
        self.policy = policy
        self.new_id = new_id or (lambda prefix: f"{prefix}.{uuid.uuid4().hex[:12]}")
        self.framework_id: str | None = None
        self.records: dict[str, TaskRecord] = {}
        self.active: dict[tuple[str, str], set[str]] = {}
        self.subscribed = False
        self.paused = True
        self.suppressed: bool | None = None
        self.recon = recon.ReconcileState(config=config.reconcile)
        self.agents: dict[str, object] = {}
        self.no_match: dict[str, object] = {}
        self.invalid: dict[str, tuple[object, ValidationError]] = {}
        self.error: Exception | None = None
        self.dirty = False
        self.held: dict[str, dict] = {}     # offers kept (not declined) for demand announced within the lead
        self.pending_refs: set[str] = set()   # demand waiting at the last re-evaluation
        self.staging = Staging()            # ACCEPTs prepared ahead of their launches' `not_before`
        self.reclaimed_for: set[str] = set()   # due demand that has had the staged offers planned again once

    # -- keys --------------------------------------------------------------------------------------------
    @property
    def framework_id_key(self) -> str:
        return f"frameworks/{self.name}/framework_id"

    def task_key(self, task_id: str) -> str:
        return f"frameworks/{self.name}/tasks/{task_id}"

    def plugin_key(self, plugin: str, name: str) -> str:
        return f"frameworks/{self.name}/plugins/{plugin}/{name}"

    # -- leadership --------------------------------------------------------------------------------------
    def recover(self, framework_id: str | None, records: Sequence[TaskRecord]) -> list[Effect]:
        """Start leading with the persisted framework ID and task records; plugins get `recover`."""
        self.framework_id = framework_id
        self.staging, self.reclaimed_for = Staging(), set()
        self.records = {r.task_id: r for r in records}
        self.active = {}
        for r in records:
            if _blocks_key(r):
                self.active.setdefault((r.plugin, r.key), set()).add(r.task_id)
        self.paused = False
        return [Notify(name, "recover", (tuple(r for r in records if r.plugin == name),))
                for name in self.plugins]

    def pause(self) -> None:
        """SUSPENDED or not leading: make no decisions (statuses stay unacknowledged, offers unanswered)."""
        self.paused = True

    def resume(self, now: float) -> list[Effect]:
        """Leadership RESUMED: reconcile again, as statuses may have been skipped while paused."""
        self.paused = False
        if not self.subscribed:
            return []
        self.recon, effects = recon.on_subscribed(self.recon, self.live_tasks(), now)
        return [*effects, *self.release(now), *self.reevaluate(now, force=True)]

    # -- queries -------------------------------------------------------------------------------------------
    def live_tasks(self) -> list[tuple[str, str | None]]:
        staged = self.staging.task_ids
        return [(r.task_id, r.agent_id) for r in self.records.values()
                if not TaskState(r.state).is_terminal and r.task_id not in staged]

    def demand_of(self, plugin: SchedulerPlugin, now: float) -> Sequence[Demand]:
        """`plugin.demand(now)`; a plugin that raises wants nothing this time (logged), so that its bug does
        not leave every offer unanswered and every other plugin unlaunched."""
        try:
            return plugin.demand(now)
        except Exception:
            log.exception("plugin_failed plugin=%s method=demand", plugin.name)
            return ()

    def pending_wants(self, now: float) -> list[Want]:
        wants = []
        for plugin in self.plugins.values():
            for demand in self.demand_of(plugin, now):
                if (plugin.name, demand.key) in self.active:
                    continue
                want = Want(plugin.name, plugin.priority, demand)
                bad = self.invalid.get(want.ref)
                if bad is not None and bad[0] == demand.spec:
                    continue
                wants.append(want)
        return wants

    def usage(self) -> dict[str, tuple[float, float]]:
        """Per plugin (cpus, mem) of live tasks, from their recorded launch size."""
        out: dict[str, list[float]] = {}
        for r in self.records.values():
            if not TaskState(r.state).is_terminal:
                u = out.setdefault(r.plugin, [0.0, 0.0])
                u[0] += float(r.labels.get("cpus", 0.0))
                u[1] += float(r.labels.get("mem", 0.0))
        return {k: (v[0], v[1]) for k, v in out.items()}

    # -- events --------------------------------------------------------------------------------------------
    def handle(self, event: Event, now: float) -> list[Effect]:
        if isinstance(event, TaskStatusUpdated):
            return self._on_status(event.status, now)
        if isinstance(event, OffersReceived):
            return self._on_offers(event.offers, now)
        if isinstance(event, Subscribed):
            return self._on_subscribed(event, now)
        if isinstance(event, Disconnected):
            self.subscribed = False
            self.held.clear()                    # offers die with the subscription
            self.recon = recon.on_disconnected(self.recon)
            return self._unstage(self.staging.take_all())
        if isinstance(event, FrameworkError):
            return self._on_error(event.message)
        if isinstance(event, Tick):
            return self._on_tick(now)
        if isinstance(event, OfferRescinded):
            self.held.pop(event.offer_id, None)
            staged = self.staging.take_offer(event.offer_id)
            return self._unstage([staged] if staged else [])
        return []

    def _on_subscribed(self, event: Subscribed, now: float) -> list[Effect]:
        effects: list[Effect] = []
        if self.framework_id is None:
            self.framework_id = event.framework_id
            effects.append(PutRecord(self.framework_id_key, {"framework_id": event.framework_id}))
        elif self.framework_id != event.framework_id:
            self.error = FrameworkIdMismatchError(
                f"stored framework id {self.framework_id} but subscribed as {event.framework_id}")
            self.paused = True
            return []
        self.subscribed = True
        self.suppressed = None
        self.held.clear()
        effects.extend(self._unstage(self.staging.take_all()))   # offers of an earlier subscription
        if self.paused:
            return effects
        self.recon, reconcile = recon.on_subscribed(self.recon, self.live_tasks(), now)
        return [*effects, *reconcile, *self.reevaluate(now, force=True)]

    def _on_error(self, message: str) -> list[Effect]:
        self.subscribed = False
        self.paused = True
        lowered = message.lower()
        if "failed over" in lowered:
            self.error = DriverError(f"another scheduler took over framework {self.framework_id}: {message}")
        else:
            self.error = FrameworkRemovedError(f"master error for framework {self.framework_id}: {message}")
        log.error("framework_error framework_id=%s message=%s", self.framework_id, message)
        return []

    def _on_tick(self, now: float) -> list[Effect]:
        effects: list[Effect] = self.release(now)
        if self.subscribed and not self.paused:
            self.recon, reconcile = recon.on_timer(self.recon, now, self._answered)
            effects.extend(reconcile)
        effects.extend(self._replace_adrift(now))
        horizon = now - self.config.keep_terminal_seconds
        for task_id, r in list(self.records.items()):
            if TaskState(r.state).is_terminal and r.updated_at < horizon and not self.paused:
                del self.records[task_id]
                effects.append(DeleteRecord(self.task_key(task_id)))
        return effects

    def _replace_adrift(self, now: float) -> list[Effect]:
        """Give up tasks UNKNOWN/UNREACHABLE for `replace_unknown_after`: kill them (should they come back)
        and free their keys, so that their plugin's demand launches replacements (as Marathon does)."""
        if self.paused or not self.subscribed:
            return []
        effects: list[Effect] = []
        limit = now - self.config.replace_unknown_after
        for task_id, r in list(self.records.items()):
            if TaskState(r.state) in _ADRIFT and r.goal != "STOPPED" and r.updated_at <= limit:
                new, kills = lifecycle.apply(r, lifecycle.KillRequested(), now)
                self.records[task_id] = new
                self._free(new)
                self.dirty = True
                log.warning("task_replaced task_id=%s state=%s", task_id, r.state)
                effects.extend([PutRecord(self.task_key(task_id), new.to_json()), *kills])
        return effects

    def reevaluate(self, now: float, force: bool = False) -> list[Effect]:
        """REVIVE when demand appears (new keys, or any after SUPPRESS), SUPPRESS when none is left."""
        self.dirty = False
        if not self.subscribed or self.paused:
            return []
        wants = self.pending_wants(now)
        refs = {w.ref for w in wants}
        fresh, self.pending_refs = bool(refs - self.pending_refs), refs
        has_demand = bool(refs)
        self.reclaimed_for &= refs
        due_new = {w.ref for w in wants if w.due(now)} - self.reclaimed_for
        reclaim = bool(due_new) and len(self.staging) > 0
        if has_demand and (self.held or reclaim):   # demand has come: launch on the offers kept for it
            offers, self.held = list(self.held.values()), {}
            effects: list[Effect] = []
            if reclaim:     # launches due now do not wait behind launches staged for later: plan them together
                self.reclaimed_for |= due_new
                staged = self.staging.take_all()
                effects = self._unstage(staged)
                offers.extend(s.offer for s in staged)
            return [*effects, *self._on_offers(offers, now)]
        soon = not has_demand and demand_soon(self.expected_demand_at(now), now, self.config.offer_lead_seconds)
        # new demand revives even when not suppressed: REVIVE clears refuse filters and makes the master run an
        # allocation pass now, so freed resources (offered again only at its next periodic pass) come at once
        if (has_demand or soon) and (self.suppressed is not False or force or fresh):
            self.suppressed = False
            return [Revive()]
        if has_demand or soon:
            return []
        effects = []
        if self.held:
            effects.append(DeclineOffers(tuple(self.held), self.config.idle_refuse_seconds))
            self.held = {}
        if self.suppressed is not True:
            self.suppressed = True
            effects.append(Suppress())
        return effects

    def expected_demand_at(self, now: float) -> float | None:
        """The earliest time a plugin announced new demand for (`SchedulerPlugin.next_demand_at`)."""
        times = []
        for plugin in self.plugins.values():
            try:
                when = plugin.next_demand_at(now)
            except Exception:
                log.exception("plugin_failed plugin=%s method=next_demand_at", plugin.name)
                continue
            if when is not None:
                times.append(when)
        return min(times) if times else None

    def revert_launch(self, task_ids: Sequence[str]) -> list[Effect]:
        """The ACCEPT carrying `task_ids` was not sent: forget them and free their keys."""
        effects: list[Effect] = []
        for task_id in task_ids:
            record = self.records.pop(task_id, None)
            if record is None:
                continue
            self._free(record)
            effects.append(DeleteRecord(self.task_key(task_id)))
        self.dirty = True
        return effects

    def _free(self, record: TaskRecord) -> None:
        live = self.active.get((record.plugin, record.key))
        if live is not None:
            live.discard(record.task_id)
            if not live:
                del self.active[(record.plugin, record.key)]

    # -- statuses and kills --------------------------------------------------------------------------------
    def _on_status(self, status: dict, now: float) -> list[Effect]:
        if self.paused:
            return []
        task_id = _value(status.get("task_id")) or ""
        agent_id = _value(status.get("agent_id"))
        if not isinstance(task_id, str) or not (agent_id is None or isinstance(agent_id, str)):
            log.warning("status_unreadable task_id=%r agent_id=%r", task_id, agent_id)
            return []         # no master sends these; nothing here could be acknowledged or killed
        ack: list[Effect] = []
        if status.get("uuid") and agent_id:
            ack.append(Acknowledge(agent_id, task_id, status["uuid"]))
        try:
            state = TaskState.from_wire(status.get("state", ""))
        except (ValueError, AttributeError, TypeError):       # unknown, or not a string at all
            log.warning("unknown_task_state task_id=%s state=%s", task_id, status.get("state"))
            return ack
        record = self.records.get(task_id)
        if record is None:
            if not state.is_terminal:
                log.warning("unknown_task_killed task_id=%s state=%s", task_id, state.value)
                return [KillTask(task_id, agent_id), *ack]
            return ack
        event = lifecycle.StatusObserved(state, agent_id, status.get("healthy"),
                                         status.get("reason"), status.get("message"))
        new, lifecycle_effects = lifecycle.apply(record, event, now)
        self.recon, _ = recon.on_status(self.recon, task_id, now, first=record.reconciled_at < self.recon.started_at)
        effects: list[Effect] = []
        changed = (new.state, new.healthy) != (record.state, record.healthy)
        if changed:
            effects.append(PutRecord(self.task_key(task_id), new.to_json()))
        self.records[task_id] = new
        for effect in lifecycle_effects:
            if isinstance(effect, TaskEnded):
                self._free(new)
                self.dirty = True
            else:
                effects.append(effect)
        effects.extend(ack)
        if changed and new.plugin in self.plugins:
            effects.append(Notify(new.plugin, "on_status", (new, now)))
        return effects

    def _answered(self, task_id: str) -> bool:
        """The task has had a status since reconciliation started (or is no longer known)."""
        record = self.records.get(task_id)
        return record is None or record.reconciled_at >= self.recon.started_at

    def kill(self, task_id: str, now: float) -> list[Effect]:
        """Set a task's goal to STOPPED and kill it (again) unless it is terminal."""
        record = self.records.get(task_id)
        if record is None:
            raise KeyError(task_id)
        new, effects = lifecycle.apply(record, lifecycle.KillRequested(), now)
        self.records[task_id] = new
        out: list[Effect] = [PutRecord(self.task_key(task_id), new.to_json())]
        if self.subscribed and not self.paused:
            out.extend(effects)
        return out
