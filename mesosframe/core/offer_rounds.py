"""The engine's offer rounds: offers and demand in, ACCEPTs (now or staged) and DECLINEs out. PURE.

`OfferRounds` is a part of `Engine` (`mesosframe.core.engine`), kept apart for size: it reads and updates the
engine's state (records, keys taken, held and staged offers, no-match reasons) and returns effects. Every
offer handled is accepted (now or when staged launches fall due) or declined.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Collection, Sequence

from mesosframe.core.effects import DeclineOffers, Effect, Notify, PrepareAccept, PutRecord, Revive, Suppress
from mesosframe.core.offers import UNREADABLE, Launch, RoundPlan, Want, placement_spec, plan_round
from mesosframe.core.staging import Staged, stage
from mesosframe.model.task import TaskRecord
from mesosframe.tasks.lifecycle import TaskState

if TYPE_CHECKING:
    from mesosframe.core.engine import Engine

log = logging.getLogger("mesosframe.core.engine")


def answerable(offers: Sequence[dict], known: Collection[str]) -> list[dict]:
    """The offers that can be answered once: those with a string id (no master sends one without), each id
    once, and none the engine already holds or has staged launches on (`known`): a repeated offer would be
    answered twice. What is dropped is logged."""
    kept: list[dict] = []
    seen: set[str] = set()
    missing = repeated = 0
    for offer in offers:
        try:
            offer_id = offer["id"]["value"]
        except (KeyError, TypeError):
            offer_id = None
        if not isinstance(offer_id, str):
            missing += 1
        elif offer_id in seen or offer_id in known:
            repeated += 1
        else:
            seen.add(offer_id)
            kept.append(offer)
    if missing:
        log.warning("offers_without_id dropped=%d", missing)
    if repeated:
        log.warning("offers_repeated dropped=%d", repeated)
    return kept


def demand_soon(expected: float | None, now: float, lead: float) -> bool:
    """True when announced demand is due within `lead` seconds (or overdue by less than `lead`)."""
    return lead > 0 and expected is not None and now - lead <= expected <= now + lead


class OfferRounds:
    """Offer handling of `Engine` (see the module docstring)."""

    def _on_offers(self: Engine, offers: Sequence[dict], now: float) -> list[Effect]:
        """One round: hold the offers for announced demand, or place the pending demand on them (due launches
        ACCEPTed now, later ones staged) and decline the rest."""
        if not self.subscribed or self.paused:
            return []
        offers = answerable(offers, self.held.keys() | self.staging.by_offer.keys())
        if not offers:
            return []
        wants = self.pending_wants(now)
        if not wants and demand_soon(self.expected_demand_at(now), now, self.config.offer_lead_seconds):
            self.held.update((o["id"]["value"], o) for o in offers)     # answered when the demand comes
            return []
        if self.held:
            offers, self.held = [*self.held.values(), *offers], {}
        ids = tuple(o["id"]["value"] for o in offers)
        self.remember_agents(offers)
        if not wants:
            idle: list[Effect] = [DeclineOffers(ids, self.config.idle_refuse_seconds)]
            if self.suppressed is not True:
                self.suppressed = True
                idle.append(Suppress())
            return idle
        live = {w.ref for w in wants}
        self.no_match = {ref: reason for ref, reason in self.no_match.items() if ref in live}
        # launches due now first, on every offer; demand announced ahead (`not_before`) on the offers left,
        # staged until its time, so that an early launch never waits for a later one in the same ACCEPT
        due = [w for w in wants if w.due(now)]
        later = [w for w in wants if not w.due(now)]
        effects: list[Effect] = []
        notify: list[Effect] = []
        rest = by_id = {o["id"]["value"]: o for o in offers}
        capped = False
        for batch in (due, later):
            if not batch or not rest:
                continue
            plan = plan_round(list(rest.values()), batch, existing=self._placed(), usage=self.usage(),
                              policy=self.policy, framework_id=self.framework_id or "",
                              refuse_seconds=self.config.refuse_seconds, new_id=self.new_id,
                              max_per_offer=self.config.max_tasks_per_offer)
            for offer_id, error in plan.malformed.items():
                log.warning("offer_unreadable offer=%s error=%s", offer_id, error)
            unused = set(plan.decline.offer_ids) if plan.decline is not None else set()
            rest = {oid: o for oid, o in rest.items() if oid in unused}
            capped |= plan.capped
            effects.extend(self._record_round(plan, batch, now, notify))
            if batch is due:
                effects.extend(plan.accepts)
                notify.extend(self._launched(plan.launches, now))
            else:
                for staged in stage(plan.accepts, plan.launches, by_id, now):
                    self.staging.add(staged)
                    effects.append(PrepareAccept(staged.accept))
        if rest:
            effects.append(DeclineOffers(tuple(rest), self.config.refuse_seconds))
        if capped:     # what the cap left over fits the remainders: have them offered now, not next pass
            effects.append(Revive())
            self.suppressed = False
        self.dirty = True
        return [*effects, *notify]

    def _record_round(self: Engine, plan: RoundPlan, wants: Sequence[Want], now: float,
                      notify: list[Effect]) -> list[Effect]:
        """Record the round's launches (task records, keys taken); returns their PutRecords and adds the
        no-match and invalid notifications to `notify`."""
        persist: list[Effect] = []
        for launch in plan.launches:
            spec = placement_spec(launch.want.demand.spec)
            for task_id in launch.task_ids:
                record = TaskRecord(task_id=task_id, plugin=launch.want.plugin, name=spec.name,
                                    key=launch.want.demand.key, group=launch.want.group,
                                    agent_id=launch.agent_id, hostname=launch.hostname, launched_at=now,
                                    updated_at=now, labels={"cpus": str(spec.cpus), "mem": str(spec.mem)},
                                    ports=launch.ports, attributes=launch.attributes)
                self.records[task_id] = record
                self.active.setdefault((record.plugin, record.key), set()).add(task_id)
                persist.append(PutRecord(self.task_key(task_id), record.to_json()))
            self.no_match.pop(launch.want.ref, None)
        for ref, reason in plan.unplaced.items():
            self.no_match[ref] = reason
            plugin, key = ref.split("/", 1)
            notify.append(Notify(plugin, "on_no_match", (key, reason, now)))
        specs = {w.ref: w.demand.spec for w in wants} if plan.invalid else {}
        for ref, error in plan.invalid.items():
            plugin, key = ref.split("/", 1)
            self.invalid[ref] = (specs[ref], error)
            notify.append(Notify(plugin, "on_invalid", (key, error, now)))
        return persist

    def _launched(self: Engine, launches: Sequence[Launch], now: float) -> list[Effect]:
        return [Notify(launch.want.plugin, "on_launched", (self.records[task_id], now))
                for launch in launches for task_id in launch.task_ids if task_id in self.records]

    # -- staged launches (`mesosframe.core.staging`) -------------------------------------------------------
    def release(self: Engine, now: float) -> list[Effect]:
        """Send the staged ACCEPTs that are due, narrowed to the launches their plugins still want."""
        if self.paused or not self.subscribed or not self.staging.by_offer:
            return []
        due = self.staging.take_due(now)
        if not due:
            return []
        wanted = {(p.name, d.key): d.spec for p in self.plugins.values() for d in self.demand_of(p, now)}
        effects: list[Effect] = []
        notify: list[Effect] = []
        for staged in due:
            accept, dropped = staged.narrowed(wanted)
            effects.extend(self.revert_launch(dropped))
            if accept is None:
                effects.append(DeclineOffers((staged.offer_id,), self.config.refuse_seconds))
                continue
            effects.append(accept)
            sent = set(accept.task_ids)
            kept = [launch for launch in staged.launches if launch.task_ids[0] in sent]
            notify.extend(self._launched(kept, now))
        return [*effects, *notify]

    def _unstage(self: Engine, staged: Sequence[Staged]) -> list[Effect]:
        """Staged launches whose offers are gone: forget their tasks (their keys are free again)."""
        return self.revert_launch([task_id for s in staged for task_id in s.task_ids])

    def _placed(self: Engine):
        from mesosframe.matching import Agent, PlacedInstance
        placed = []
        for r in self.records.values():
            if r.agent_id and not TaskState(r.state).is_terminal:
                agent = self.agents.get(r.agent_id) or Agent(r.agent_id, r.hostname or "", r.attributes)
                placed.append(PlacedInstance(r.group, agent))
        return placed

    def remember_agents(self: Engine, offers: Sequence[dict]) -> None:
        from mesosframe.matching import Agent
        for offer in offers:
            try:
                self.agents[offer["agent_id"]["value"]] = Agent.from_offer(offer)
            except UNREADABLE:
                continue        # plan_round declines it as unreadable
