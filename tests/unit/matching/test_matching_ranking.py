"""Internal ranking for place(): fast rank functions order offers exactly as the policies do, and the shared
fresh order stays equal to a full re-sort however placements touch agents."""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from mesosframe.matching import BinPack, FirstFit, Load, PlacementPolicy, Spread
from mesosframe.matching.ranking import FreshOrder, rank_function


@dataclass
class FakeSlot:
    index: int
    agent_no: int
    free_cpus: int   # thousandths
    free_mem: int
    offer: object = None


LOADS = st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 64_000), st.integers(0, 2**40))


def _sign(a, b) -> int:
    return (a > b) - (a < b)


@settings(max_examples=300, deadline=None)
@given(LOADS, LOADS, st.sampled_from([Spread(), BinPack(), FirstFit()]))
def test_fast_ranks_compare_like_the_policy_ranks(first, second, policy):
    fast = rank_function(policy)
    ranks = []
    for on_agent, tasks, cpus, mem in (first, second):
        slot = FakeSlot(0, 0, cpus, mem)
        ranks.append((fast(slot, on_agent, tasks),
                      policy.rank(None, Load(cpus / 1000, mem / 1000, on_agent, tasks))))  # type: ignore[arg-type]
    assert _sign(ranks[0][0], ranks[1][0]) == _sign(ranks[0][1], ranks[1][1])


def test_other_policies_get_a_load_in_units():
    seen = []

    class Recording(PlacementPolicy):
        def rank(self, offer, load):
            seen.append((offer, load))
            return (load.free_mem,)

    slot = FakeSlot(0, 0, 1500, 2048_000, offer="the offer")
    assert rank_function(Recording())(slot, 2, 3) == (2048.0,)
    assert seen == [("the offer", Load(1.5, 2048.0, 2, 3))]


def test_a_spread_subclass_that_overrides_rank_is_not_short_cut():
    class Reversed(Spread):
        def rank(self, offer, load):
            return (-load.tasks_on_agent,)

    assert rank_function(Reversed())(FakeSlot(0, 0, 1000, 1000), 0, 4) == (-4,)


# A step: (agent number, cpus taken, mem taken) for a placement on one of the agent's slots.
STEPS = st.lists(st.tuples(st.integers(0, 15), st.integers(0, 2000), st.integers(0, 1000)), max_size=25)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 15), min_size=1, max_size=40), STEPS, st.lists(st.integers(0, 25), max_size=4))
def test_fresh_order_equals_a_full_resort_and_is_never_changed_in_place(agent_of_slot, steps, read_after):
    slots = [FakeSlot(i, agent, 8000, 4000) for i, agent in enumerate(agent_of_slot)]
    agent_slots = [[s.index for s in slots if s.agent_no == agent] for agent in range(16)]
    tasks, versions = [0] * 16, [0] * 16   # few slots change per placement (a merge) or many (a full sort)
    rank = rank_function(Spread())
    fresh = FreshOrder(slots, rank, tasks, versions, agent_slots)
    fresh.touch(0)  # before the first read: nothing to do
    reads = []   # (the list returned, a copy of it then)
    for step, (agent, cpus, mem) in enumerate(steps + [(None, 0, 0)]):
        if step in read_after or agent is None:
            expected = sorted((rank(s, 0, tasks[s.agent_no]), s.index, versions[s.agent_no]) for s in slots)
            current = fresh.current()
            assert current == expected
            reads.append((current, list(current)))
        if agent is not None and agent_slots[agent]:
            slot = slots[agent_slots[agent][0]]
            slot.free_cpus = max(0, slot.free_cpus - cpus)
            slot.free_mem = max(0, slot.free_mem - mem)
            tasks[agent] += 1
            versions[agent] += 1
            fresh.touch(agent)
    assert all(returned == copy for returned, copy in reads)   # shared lists are replaced, never changed
