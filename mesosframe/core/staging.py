"""Launches prepared ahead of their time (`Demand.not_before`), PURE: placed, recorded, sent later.

A plugin that knows when its demand falls due (a cron slot) returns it a little early with `not_before`.
The engine then places it on offers it holds, persists the task records and builds the ACCEPT, and keeps
that ACCEPT here, `Staged` per offer, until `release_at`. At that time the engine sends only the launches
whose (plugin, key) the plugin still asks for with the same spec; the others are reverted, and an offer
left with nothing is declined. Staged launches die with their offers: a rescind, a disconnection or a new
subscription reverts them, so their keys are free again and the plugin's demand places them anew. They also
give way to launches due now: new due demand reclaims the staged offers and the round is planned again (due
first), as a staged offer may hold an agent's whole free resources.

Staged tasks are not yet known to the master, so they are left out of reconciliation (`task_ids`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from mesosframe.core.effects import AcceptOffer
from mesosframe.core.offers import Launch


@dataclass(frozen=True)
class Staged:
    """The ACCEPT of one offer, to be sent at `release_at` (the latest `not_before` of its launches)."""
    release_at: float
    launches: tuple[Launch, ...]
    offer: dict                    # the offer itself: reclaimed for launches due now (`Engine.reevaluate`)
    accept: AcceptOffer            # as planned (and prepared by the driver): sent as it is if nothing is dropped

    @property
    def offer_id(self) -> str:
        return self.accept.offer_id

    @property
    def task_ids(self) -> tuple[str, ...]:
        return tuple(task_id for launch in self.launches for task_id in launch.task_ids)

    def narrowed(self, wanted: Mapping[tuple[str, str], object]) -> tuple[AcceptOffer | None, tuple[str, ...]]:
        """The ACCEPT of the launches still wanted (`wanted[(plugin, key)]` is the spec asked for now), or None
        if none is; and the task ids of the launches dropped."""
        kept, dropped = [], []
        for launch in self.launches:
            spec = wanted.get((launch.want.plugin, launch.want.demand.key))
            if spec is not None and (spec is launch.want.demand.spec or spec == launch.want.demand.spec):
                kept.append(launch)
            else:
                dropped.extend(launch.task_ids)
        if not kept:
            return None, tuple(dropped)
        if not dropped:
            return self.accept, ()
        accept = AcceptOffer(self.offer_id, tuple(launch.operation for launch in kept), self.accept.refuse_seconds,
                             tuple(task_id for launch in kept for task_id in launch.task_ids))
        return accept, tuple(dropped)


def stage(accepts: Iterable[AcceptOffer], launches: Iterable[Launch], offers: Mapping[str, dict],
          now: float) -> list[Staged]:
    """Group a round's launches by their offer (`offers` by id); each offer is released at its launches' latest
    `not_before`."""
    by_offer: dict[str, list[Launch]] = {}
    for launch in launches:
        by_offer.setdefault(launch.offer_id, []).append(launch)
    out = []
    for accept in accepts:
        mine = tuple(by_offer.get(accept.offer_id, ()))
        release_at = max((launch.want.demand.not_before or now for launch in mine), default=now)
        out.append(Staged(release_at, mine, offers[accept.offer_id], accept))
    return out


class Staging:
    """Staged ACCEPTs by offer id."""

    def __init__(self) -> None:
        self.by_offer: dict[str, Staged] = {}
        self.task_ids: set[str] = set()

    def __len__(self) -> int:
        return len(self.by_offer)

    def add(self, staged: Staged) -> None:
        self.by_offer[staged.offer_id] = staged
        self.task_ids.update(staged.task_ids)

    def next_at(self) -> float | None:
        """The earliest release time, or None when nothing is staged."""
        return min((s.release_at for s in self.by_offer.values()), default=None)

    def take_due(self, now: float) -> list[Staged]:
        """Remove and return what is due at `now`, earliest first."""
        due = sorted((s for s in self.by_offer.values() if s.release_at <= now), key=lambda s: s.release_at)
        for staged in due:
            self._remove(staged.offer_id)
        return due

    def take_offer(self, offer_id: str) -> Staged | None:
        """Remove and return what is staged on `offer_id` (rescinded), if anything."""
        return self._remove(offer_id)

    def take_all(self) -> list[Staged]:
        staged = list(self.by_offer.values())
        self.by_offer.clear()
        self.task_ids.clear()
        return staged

    def _remove(self, offer_id: str) -> Staged | None:
        staged = self.by_offer.pop(offer_id, None)
        if staged is not None:
            self.task_ids.difference_update(staged.task_ids)
        return staged
