"""Ranking offers for `place`: fast rank functions for the built-in policies, and the shared order of offers as
a group with no instances on them sees it (which every new dynamic shape starts from instead of ranking all
offers again).

A rank function takes (slot, group_on_agent, tasks_on_agent) and returns a sort key. For the built-in
policies it reads the slot's free amounts in thousandths, which orders offers exactly as the policy's `rank`
does on the float `Load` (dividing by 1000 is monotone); any other policy is called with a `Load`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .policies import BinPack, FirstFit, Load, PlacementPolicy, Spread


class RankedSlot(Protocol):
    """What ranking reads of a slot (an offer being filled by `place`); amounts in thousandths."""
    index: int
    agent_no: int
    offer: Any
    free_cpus: int
    free_mem: int


RankFunction = Callable[[RankedSlot, int, int], Any]
_EMPTY_RANK: tuple = ()
_CAP = (1 << 64) - 1   # packed Spread ranks hold counts and free thousandths below 2**64 in 64-bit fields


def rank_function(policy: PlacementPolicy) -> RankFunction:
    """The rank of a slot for `policy`, given the group's and all tasks' counts on its agent."""
    method = type(policy).rank
    if method is Spread.rank:  # (on_agent, tasks, -cpus, -mem) packed into one integer: cheaper to compare
        return lambda slot, on_agent, tasks: ((on_agent << 192) | (tasks << 128) | ((_CAP - slot.free_cpus) << 64)
                                              | (_CAP - slot.free_mem))
    if method is BinPack.rank:
        return lambda slot, on_agent, tasks: (slot.free_cpus, slot.free_mem)
    if method is FirstFit.rank:
        return lambda slot, on_agent, tasks: _EMPTY_RANK
    rank = policy.rank
    return lambda slot, on_agent, tasks: rank(slot.offer, Load(slot.free_cpus / 1000, slot.free_mem / 1000,
                                                               on_agent, tasks))


class FreshOrder:
    """Every slot's (rank, index, agent version) for a group with no instances, sorted, kept up to date
    lazily: a placement only marks its agent stale, and `current` re-ranks the stale agents' slots.

    `place` merges this order (read from a cursor, never changed in place) with each dynamic shape's own heap.
    The version is the number of placements on the agent when the rank was computed: equal versions mean an
    unchanged rank."""

    __slots__ = ("slots", "rank", "tasks", "versions", "agent_slots", "entries", "order", "stale")

    def __init__(self, slots: Sequence[RankedSlot], rank: RankFunction, tasks: list[int], versions: list[int],
                 agent_slots: Sequence[Sequence[int]]) -> None:
        self.slots, self.rank, self.tasks, self.versions = slots, rank, tasks, versions
        self.agent_slots = agent_slots
        self.entries: list[tuple] | None = None
        self.order: list[tuple] = []
        self.stale: set[int] = set()

    def touch(self, agent_no: int) -> None:
        """Note a placement on agent `agent_no` (its slots' ranks may have changed)."""
        if self.entries is not None:
            self.stale.add(agent_no)

    def current(self) -> list[tuple]:
        """The current (rank, index, version) of every slot for group count 0, sorted. The list is shared and
        must not be changed: a later call that finds stale agents returns a new list."""
        rank, tasks, versions, slots = self.rank, self.tasks, self.versions, self.slots
        if self.entries is None:
            self.entries = [(rank(slot, 0, tasks[slot.agent_no]), slot.index, versions[slot.agent_no])
                            for slot in slots]
            self.order = sorted(self.entries)
        elif self.stale:
            entries, agent_slots = self.entries, self.agent_slots
            changed = []
            for agent_no in self.stale:
                tasks_on_agent, version = tasks[agent_no], versions[agent_no]
                for index in agent_slots[agent_no]:
                    changed.append(index)
                    entries[index] = (rank(slots[index], 0, tasks_on_agent), index, version)
            if len(changed) * 8 < len(entries):   # a few changed: drop them, append them re-ranked, merge
                moved = set(changed)
                order = [entry for entry in self.order if entry[1] not in moved]
                order += [entries[index] for index in changed]
                order.sort()                      # one sorted run plus a short tail: a cheap merge
            else:
                order = sorted(entries)
            self.order = order
            self.stale.clear()
        return self.order
