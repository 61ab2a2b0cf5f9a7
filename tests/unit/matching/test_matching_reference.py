"""place() against a deliberately naive reference: same assignments, ports, remaining resources and reasons.

The reference re-ranks every offer for every request (no heaps, no pruned candidates, no caches) and checks
constraints with `Constraint.accepts` and resources with `Resources.find`, so it guards the fast paths
(shared rank lists, lazy heaps, per-shape pruning, precomputed scalar plans) against drifting from the contract.
"""
from __future__ import annotations

import random
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesosframe.matching import (Agent, BinPack, Constraint, FirstFit, Load, OfferView, PlacedInstance,
                                 PlacementPolicy, Spread, TaskRequest, place)
from mesosframe.matching import placement as placement_module
from mesosframe.matching.constraints import Operator
from mesosframe.resources import ResourceRequest, Resources


def _rank(policy, view, remaining, group_counts, task_counts, group):
    agent_id = view.agent.agent_id
    load = Load(remaining.cpus, remaining.mem, group_counts.get((group, agent_id), 0) if group else 0,
                task_counts.get(agent_id, 0))
    return policy.rank(view, load)


def _reasons(request, views, remaining, placed):
    """Each offer's first failing check: role (nothing in the offer as made is usable by the request's role),
    constraints, then the first resource missing from what is left."""
    reasons: dict[str, int] = {}
    for view in views:
        reason = None
        if view.resources.for_role(request.needs.role).is_empty() and (request.needs.needs
                                                                        or request.needs.wants_ports):
            reason = "role"
        for constraint in request.constraints:
            if reason is None and not constraint.accepts(view.agent, placed):
                reason = constraint.reason
        if reason is None:
            missing = remaining[view.offer_id].shortfall(request.needs)
            if missing == ("role",):  # all of it was taken: the first need is what is missing
                missing = tuple(name for name, _ in request.needs.needs) + ("ports",)
            reason = missing[0] if missing else "unexplained"
        reasons[reason] = reasons.get(reason, 0) + 1
    return reasons


def reference_place(requests, views, existing, policy):
    """(assignments as (key, offer_id, ports, resources), unplaced key -> reasons, remaining)."""
    remaining = {v.offer_id: v.resources for v in views}
    placed: dict[str, list[Agent]] = {}
    group_counts: dict[tuple, int] = {}
    task_counts: dict[str, int] = {}
    for instance in existing:
        placed.setdefault(instance.group, []).append(instance.agent)
        group_counts[(instance.group, instance.agent.agent_id)] = \
            group_counts.get((instance.group, instance.agent.agent_id), 0) + 1
        task_counts[instance.agent.agent_id] = task_counts.get(instance.agent.agent_id, 0) + 1
    static = sorted(range(len(views)), key=lambda i: (_rank(policy, views[i], views[i].resources, {}, task_counts,
                                                            None), i))
    cursors: dict[tuple, int] = {}
    explained: dict[tuple, dict] = {}
    assignments, unplaced = [], {}
    for request in requests:
        shape = (request.group, request.needs, request.constraints)
        if shape in explained:
            unplaced[request.key] = explained[shape]
            continue
        group_placed = placed.setdefault(request.group, [])
        if policy.dynamic:
            order = sorted(range(len(views)), key=lambda i: (_rank(policy, views[i], remaining[views[i].offer_id],
                                                                   group_counts, task_counts, request.group), i))
        else:
            order = static
            if any(c.operator is Operator.GROUP_BY for c in request.constraints):
                start = cursors.get(shape, 0)
                order = order[start:] + order[:start]
        for index in order:
            view = views[index]
            found = remaining[view.offer_id].find(request.needs) if all(
                c.accepts(view.agent, group_placed) for c in request.constraints) else None
            if found is not None:
                remaining[view.offer_id] = remaining[view.offer_id] - found.resources
                assignments.append((request.key, view.offer_id, found.ports, found.resources))
                group_placed.append(view.agent)
                agent_id = view.agent.agent_id
                group_counts[(request.group, agent_id)] = group_counts.get((request.group, agent_id), 0) + 1
                task_counts[agent_id] = task_counts.get(agent_id, 0) + 1
                cursors[shape] = static.index(index)
                break
        else:
            reasons = _reasons(request, views, remaining, group_placed)
            if all(c.operator is not Operator.GROUP_BY for c in request.constraints):
                explained[shape] = reasons
            unplaced[request.key] = reasons
    return assignments, unplaced, remaining


class Crowded(PlacementPolicy):
    """A dynamic policy without a fast rank function, with many ties: fewest tasks (this group's count
    twice), then most free memory."""
    dynamic = True

    def rank(self, offer, load):
        return (load.tasks_on_agent + load.group_on_agent, -load.free_mem)


CONSTRAINTS = st.sampled_from([(), (["hostname", "UNIQUE"],), (["rack", "MAX_PER", "2"],), (["rack", "GROUP_BY"],),
                               (["rack", "CLUSTER"],), (["rack", "LIKE", "r[01]"],), (["zone", "UNLIKE", "z1"],)])


@st.composite
def offers(draw):
    result = []
    for n in range(draw(st.integers(0, 7))):
        first = 31000 + 10 * n
        resources = [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": draw(st.integers(0, 8)) / 2}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": float(draw(st.integers(0, 4)) * 256)}},
            {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": first, "end": first + draw(
                st.integers(0, 5))}]}}]
        if draw(st.booleans()):
            resources.append({"name": "cpus", "type": "SCALAR", "role": "web",
                              "scalar": {"value": draw(st.integers(1, 4)) / 2}})
        if draw(st.booleans()):
            resources.append({"name": "disk", "type": "SCALAR", "scalar": {"value": float(draw(st.integers(0, 3)))}})
        attributes = [{"name": "rack", "type": "TEXT", "text": {"value": f"r{n % 3}"}}]
        if n % 2:
            attributes.append({"name": "zone", "type": "TEXT", "text": {"value": f"z{n % 4}"}})
        raw = {"id": {"value": f"O{n}"}, "agent_id": {"value": f"S{n % 4}"}, "hostname": f"h{n % 4}",
               "resources": resources, "attributes": attributes}
        result.append(OfferView.from_mesos(raw))
    return result


@st.composite
def requests(draw):
    result = []
    for g in range(draw(st.integers(1, 4))):
        constraints = tuple(Constraint.parse(c) for c in draw(CONSTRAINTS))
        needs = ResourceRequest(cpus=draw(st.integers(0, 4)) / 2, mem=float(draw(st.integers(0, 2)) * 128),
                                disk=float(draw(st.integers(0, 1))), port_count=draw(st.integers(0, 2)),
                                ports=draw(st.sampled_from([(), (31001,), (31012, 31011)])),
                                role=draw(st.sampled_from(["*", "*", "web"])))
        group = f"/g{draw(st.integers(0, 2))}"
        result += [TaskRequest(f"{g}.{i}", group, needs, constraints) for i in range(draw(st.integers(1, 5)))]
    return result


@st.composite
def existing(draw):
    return [PlacedInstance(f"/g{draw(st.integers(0, 2))}",
                           Agent(f"S{n}", f"h{n}", {"rack": f"r{n % 3}"} | ({"zone": f"z{n % 4}"} if n % 2 else {})))
            for n in draw(st.lists(st.integers(0, 3), max_size=4))]


@pytest.mark.parametrize("heaps_kept", [8, 1])
@settings(max_examples=100, deadline=None)
@given(offers(), requests(), existing(), st.sampled_from([FirstFit(), BinPack(), Spread(), Crowded()]))
def test_place_matches_the_naive_reference(heaps_kept, views, request_list, instances, policy):
    assignments, unplaced, remaining = reference_place(request_list, views, instances, policy)
    with mock.patch.object(placement_module, "_HEAPS_KEPT", heaps_kept):  # 1: Spread rebuilds dropped heaps
        result = place(request_list, views, instances, policy)
    assert [(a.key, a.offer_id, a.ports, a.resources) for a in result.assignments] == assignments
    assert {k: dict(v.reasons) for k, v in result.unplaced.items()} == unplaced
    assert dict(result.remaining) == remaining
    assert set(result.unused_offer_ids) == {v.offer_id for v in views} - {a[1] for a in assignments}


def _round(seed: int):
    """A larger random round than the hypothesis ones: 40 offers on 16 agents, 4 groups whose requests are
    interleaved in runs (so dynamic shapes are left and resumed), and existing instances."""
    rng = random.Random(seed)
    views = []
    for n in range(40):
        raw = {"id": {"value": f"O{n}"}, "agent_id": {"value": f"S{n % 16}"}, "hostname": f"h{n % 16}",
               "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": rng.randint(1, 8) / 2}},
                             {"name": "mem", "type": "SCALAR", "scalar": {"value": float(rng.randint(1, 8) * 128)}},
                             {"name": "ports", "type": "RANGES",
                              "ranges": {"range": [{"begin": 31000, "end": 31000 + rng.randint(0, 6)}]}}],
               "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": f"r{n % 5}"}}]}
        views.append(OfferView.from_mesos(raw))
    shapes = []
    for g in range(4):
        constraints = tuple(Constraint.parse(c) for c in rng.choice(
            [(), (), (["hostname", "UNIQUE"],), (["rack", "MAX_PER", "3"],), (["rack", "GROUP_BY"],)]))
        needs = ResourceRequest(cpus=rng.randint(1, 3) / 2, mem=float(rng.randint(0, 2) * 128),
                                port_count=rng.randint(0, 1))
        shapes.append((f"/g{g}", needs, constraints))
    request_list = []
    for run in range(12):
        group, needs, constraints = shapes[rng.randrange(4)]
        request_list += [TaskRequest(f"{run}.{i}", group, needs, constraints) for i in range(rng.randint(1, 8))]
    instances = [PlacedInstance(f"/g{rng.randrange(4)}", views[rng.randrange(40)].agent)
                 for _ in range(rng.randint(0, 8))]
    return views, request_list, instances


@pytest.mark.parametrize("heaps_kept", [8, 2])
@pytest.mark.parametrize("seed", range(12))
def test_dynamic_policies_match_the_reference_on_larger_interleaved_rounds(seed, heaps_kept):
    views, request_list, instances = _round(seed)
    for policy in (Spread(), Crowded()):
        assignments, unplaced, remaining = reference_place(request_list, views, instances, policy)
        with mock.patch.object(placement_module, "_HEAPS_KEPT", heaps_kept):
            result = place(request_list, views, instances, policy)
        assert [(a.key, a.offer_id, a.ports, a.resources) for a in result.assignments] == assignments
        assert {k: dict(v.reasons) for k, v in result.unplaced.items()} == unplaced
        assert dict(result.remaining) == remaining
