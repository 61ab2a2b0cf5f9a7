"""Offer allocation: free resources per agent go to connected frameworks in DRF order.

One pass (`allocate`) walks the agents with free resources; for each it picks, among the frameworks that
may receive it (a role not suppressed, no refuse filter covering the resources, GPU rule), the one with
the lowest dominant share, and offers it the agent's unreserved resources plus those reserved for its
role. All offers of a pass go out as one OFFERS event per framework. Passes are batched: `request()`
schedules at most one pass on the next loop iteration. As in Mesos, a pass is requested by a subscription,
REVIVE, UPDATE_FRAMEWORK, an agent joining and a master elected, never by resources coming back (declined,
left over by an ACCEPT, freed by a finished task): those wait for the periodic pass every
`allocation_interval`, which also picks up expired filters.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mesosframe.local.master.events import rescind_event
from mesosframe.local.master.records import AgentRecord, FrameworkRecord, OfferRecord
from mesosframe.local.master.resources import ResourceBag, add_roles, roles_contain

if TYPE_CHECKING:
    from mesosframe.local.master.core import Master

log = logging.getLogger("mesosframe.local.master")

MAX_REFUSE_SECONDS = 365 * 24 * 3600.0
DEFAULT_REFUSE_SECONDS = 5.0
_MIN_CPUS, _MIN_MEM = 10, 32_000        # Mesos's min_allocatable_resources "cpus:0.01|mem:32"


def allocatable(bags: dict[str, ResourceBag]) -> bool:
    cpus = sum(b.scalars.get("cpus", 0) for b in bags.values())
    mem = sum(b.scalars.get("mem", 0) for b in bags.values())
    return cpus >= _MIN_CPUS or mem >= _MIN_MEM


def refuse_seconds(filters: object) -> float:
    """`Filters.refuse_seconds`, defaulting to 5 s and capped at one year."""
    value = DEFAULT_REFUSE_SECONDS
    if isinstance(filters, dict) and isinstance(filters.get("refuse_seconds"), (int, float)):
        value = float(filters["refuse_seconds"])
    return min(value, MAX_REFUSE_SECONDS)


class Allocator:
    """Makes, tracks and recovers offers for a `Master` (whose state it reads and changes)."""

    def __init__(self, master: "Master") -> None:
        self.master = master
        self._pending = False
        self._next_offer = 1

    def request(self) -> None:
        """Schedule one allocation pass soon (coalesces many requests)."""
        if not self._pending:
            self._pending = True
            self.master.loop.call_soon(self._run_pending)

    def _run_pending(self) -> None:
        self._pending = False
        self.allocate()

    def _totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for agent in self.master.agents.values():
            if agent.state != "active":
                continue
            for bag in agent.total.values():
                for name, value in bag.scalars.items():
                    totals[name] = totals.get(name, 0) + value
        return totals

    def allocate(self) -> int:
        """Run one pass now; returns the number of offers made."""
        master = self.master
        if not master.leading:
            return 0
        candidates = [fw for fw in master.frameworks.values()
                      if fw.connected and fw.active and any(r not in fw.suppressed for r in fw.roles)]
        if not candidates:
            return 0
        now = master.clock.monotonic()
        totals = self._totals()
        made: dict[str, list[dict]] = {}
        count = 0
        single = candidates if len(candidates) == 1 else None
        for agent in master.agents.values():
            if agent.state != "active" or not agent.free:
                continue
            order = single or sorted(candidates, key=lambda f: f.share(totals))
            for fw in order:
                if agent.has_gpus and not fw.has("GPU_RESOURCES"):
                    continue
                role, bags = self._offerable(fw, agent)
                if role is None or not allocatable(bags) or self._filtered(fw, agent.agent_id, bags, now):
                    continue
                offer = self._make_offer(fw, agent, role, bags)
                made.setdefault(fw.framework_id, []).append(offer)
                count += 1
                break
        for framework_id, offers in made.items():
            fw = master.frameworks[framework_id]
            if fw.sink is not None:
                fw.sink.send({"type": "OFFERS", "offers": {"offers": offers}})
        return count

    @staticmethod
    def _offerable(fw: FrameworkRecord, agent: AgentRecord) -> tuple[str | None, dict[str, ResourceBag]]:
        for role in fw.roles:
            if role in fw.suppressed:
                continue
            bags = {r: b for r, b in agent.free.items() if r == "*" or r == role}
            if bags:
                return role, bags
        return None, {}

    @staticmethod
    def _filtered(fw: FrameworkRecord, agent_id: str, bags: dict[str, ResourceBag], now: float) -> bool:
        filters = fw.filters.get(agent_id)
        if not filters:
            return False
        live = [f for f in filters if f[0] > now]
        if live:
            fw.filters[agent_id] = live
        else:
            del fw.filters[agent_id]
        return any(roles_contain(refused, bags) for _, refused in live)

    def _make_offer(self, fw: FrameworkRecord, agent: AgentRecord, role: str,
                    bags: dict[str, ResourceBag]) -> dict:
        master = self.master
        offer_id = f"{master.master_id}-O{self._next_offer}"
        self._next_offer += 1
        record = OfferRecord(offer_id, fw.framework_id, agent.agent_id, role, bags)
        master.offers[offer_id] = record
        fw.offer_ids.add(offer_id)
        agent.offer_ids.add(offer_id)
        agent.free = {r: b for r, b in agent.free.items() if r not in bags}
        fw.charge(bags, 1)
        if master.options.offer_timeout:
            record.timer = master.loop.call_later(master.options.offer_timeout, self.rescind, offer_id)
        multi = fw.has("MULTI_ROLE")
        allocation_role = role if multi else None
        if len(bags) == 1:
            res_role, bag = next(iter(bags.items()))
            resources = bag.to_mesos(res_role, allocation_role)
        else:
            resources = [r for res_role, bag in bags.items() for r in bag.to_mesos(res_role, allocation_role)]
        offer = {"id": {"value": offer_id}, "framework_id": {"value": fw.framework_id},
                 "agent_id": {"value": agent.agent_id}, **agent.offer_base, "resources": resources}
        executors = master.executor_ids(fw.framework_id, agent.agent_id)
        if executors:
            offer["executor_ids"] = [{"value": e} for e in executors]
        if multi:
            offer["allocation_info"] = {"role": role}
        return offer

    def take(self, offer_id: str) -> OfferRecord | None:
        """Remove an outstanding offer (used, declined, rescinded); its resources are still charged."""
        record = self.master.offers.pop(offer_id, None)
        if record is None:
            return None
        if record.timer is not None:
            record.timer.cancel()
        fw = self.master.frameworks.get(record.framework_id)
        if fw is not None:
            fw.offer_ids.discard(offer_id)
        agent = self.master.agents.get(record.agent_id)
        if agent is not None:
            agent.offer_ids.discard(offer_id)
        return record

    def recover(self, framework_id: str, agent_id: str, bags: dict[str, ResourceBag],
                refuse: float | None = None) -> None:
        """Return resources to the agent's free pool; with `refuse` > 0, filter them for that long, but at
        least one `allocation_interval` (MESOS-4302). As in Mesos's allocator, recovery does not trigger an
        allocation (MESOS-3078): the resources are offered again by the next periodic pass, or sooner by
        whatever triggers one (REVIVE, a subscription, an agent joining)."""
        if not bags:
            return
        fw = self.master.frameworks.get(framework_id)
        if fw is not None:
            fw.charge(bags, -1)
            if refuse is not None and refuse > 0:
                expires = self.master.clock.monotonic() + max(refuse, self.master.options.allocation_interval)
                fw.filters.setdefault(agent_id, []).append((expires, bags))
        agent = self.master.agents.get(agent_id)
        if agent is not None and agent.state == "active":
            agent.free = add_roles(agent.free, bags)

    def decline(self, fw: FrameworkRecord, offer_id: str, refuse: float) -> None:
        record = self.take(offer_id)
        if record is None or record.framework_id != fw.framework_id:
            return
        self.recover(fw.framework_id, record.agent_id, record.resources, refuse)

    def rescind(self, offer_id: str, notify: bool = True) -> None:
        """Withdraw an offer (timeout, agent lost, framework gone); sends RESCIND when `notify`."""
        record = self.take(offer_id)
        if record is None:
            return
        fw = self.master.frameworks.get(record.framework_id)
        if notify and fw is not None and fw.sink is not None:
            fw.sink.send(rescind_event(offer_id))
        self.recover(record.framework_id, record.agent_id, record.resources)

    def revive(self, fw: FrameworkRecord, roles: list[str]) -> None:
        targets = set(roles) if roles else set(fw.roles)
        fw.suppressed -= targets
        fw.filters.clear()
        self.request()

    def suppress(self, fw: FrameworkRecord, roles: list[str]) -> None:
        fw.suppressed |= set(roles) if roles else set(fw.roles)
