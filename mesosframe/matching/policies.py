"""Placement policies: which acceptable offer a task goes to. Pluggable: subclass `PlacementPolicy`."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, NamedTuple

from .offers import OfferView


class Load(NamedTuple):
    """How loaded an offer's agent is, from the point of view of one group, at one moment of a `place` call."""
    free_cpus: float
    free_mem: float
    group_on_agent: int      # instances of the group on the agent (existing and placed in this call)
    tasks_on_agent: int      # instances of every group on the agent (existing and placed in this call)


class PlacementPolicy(ABC):
    """Orders the offers a task may go to: lower `rank` first, ties broken by offer order.

    If `dynamic` is False, ranks are computed once per call, before any placement (with `group_on_agent`
    0), and the order is kept, so an offer keeps receiving tasks until it cannot take more. If `dynamic`
    is True, an offer is re-ranked after it receives a task; its rank must then never decrease as tasks are
    placed (free resources only shrink and counts only grow), which lets `place` use a lazy heap. That is: a
    dynamic rank must not decrease when `group_on_agent` or `tasks_on_agent` grows or free resources shrink
    (`place` starts every group from the ranks with `group_on_agent` 0 and treats them as lower bounds).
    """

    dynamic: ClassVar[bool] = False

    @abstractmethod
    def rank(self, offer: OfferView, load: Load) -> tuple:
        """The sort key of `offer` under `load`; a pure function of its arguments (results may be cached)."""


class FirstFit(PlacementPolicy):
    """Offers in the order given."""

    def rank(self, offer: OfferView, load: Load) -> tuple:
        return ()


class BinPack(PlacementPolicy):
    """Fullest agent first: the offers with the least free cpus, then memory, come first (and stay first)."""

    def rank(self, offer: OfferView, load: Load) -> tuple:
        return (load.free_cpus, load.free_mem)


class Spread(PlacementPolicy):
    """Fewest instances of this group on the agent first, then fewest tasks, then the most free cpus/memory."""

    dynamic = True

    def rank(self, offer: OfferView, load: Load) -> tuple:
        return (load.group_on_agent, load.tasks_on_agent, -load.free_cpus, -load.free_mem)
