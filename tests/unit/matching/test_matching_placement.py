"""place(): policies, several tasks per offer, constraints across calls, reasons, ports and declines."""
from __future__ import annotations

import pytest

from mesosframe.errors import ValidationError
from mesosframe.matching import (Agent, BinPack, Constraint, FirstFit, Load, NoMatch, OfferView, PlacedInstance,
                                 PlacementPolicy, Spread, TaskRequest, place)
from mesosframe.resources import Ranges, ResourceRequest, Resources


def offer(n, cpus=4.0, mem=4096.0, ports=(31000, 31009), rack=None, role=None, allocation_role=None):
    resources = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
                 {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}]
    if role:
        resources.append({"name": "cpus", "type": "SCALAR", "scalar": {"value": 2.0}, "role": role})
    if ports:
        resources.append({"name": "ports", "type": "RANGES",
                          "ranges": {"range": [{"begin": ports[0], "end": ports[1]}]}})
    raw = {"id": {"value": f"O{n}"}, "agent_id": {"value": f"S{n}"}, "hostname": f"h{n}", "resources": resources,
           "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": rack}}] if rack else []}
    if allocation_role:
        raw["allocation_info"] = {"role": allocation_role}
    return OfferView.from_mesos(raw)


def tasks(group, count, cpus=1.0, mem=128.0, constraints=(), **needs):
    parsed = tuple(Constraint.parse(c) for c in constraints)
    return [TaskRequest(f"{group}.{i}", group, ResourceRequest(cpus=cpus, mem=mem, **needs), parsed)
            for i in range(count)]


def where(result):
    return [a.offer_id for a in result.assignments]


def test_first_fit_packs_several_tasks_per_offer_in_offer_order():
    result = place(tasks("/a", 5), [offer(0), offer(1)])
    assert where(result) == ["O0"] * 4 + ["O1"]
    assert result.unplaced == {} and result.unused_offer_ids == ()
    assert result.remaining["O0"].cpus == 0 and result.remaining["O1"].cpus == 3


def test_assigned_plus_remaining_equals_the_offer():
    offers = [offer(0), offer(1)]
    result = place(tasks("/a", 5, ports=(31005,), port_count=1), offers)
    for o in offers:
        used = [a.resources for a in result.assignments if a.offer_id == o.offer_id]
        total = result.remaining[o.offer_id]
        for r in used:
            total = total + r
        assert total == o.resources


def test_bin_pack_fills_the_fullest_offer_first():
    offers = [offer(0, cpus=8), offer(1, cpus=2), offer(2, cpus=4)]
    result = place(tasks("/a", 4), offers, policy=BinPack())
    assert where(result) == ["O1", "O1", "O2", "O2"]
    assert result.unused_offer_ids == ("O0",)


def test_spread_puts_each_instance_on_the_least_loaded_agent():
    offers = [offer(0), offer(1), offer(2)]
    existing = [PlacedInstance("/a", offers[0].agent), PlacedInstance("/other", offers[1].agent)]
    result = place(tasks("/a", 4), offers, existing, Spread())
    # O2 is empty; O1 has no /a but another task; O0 has an /a; then ties go to the most free cpus.
    assert where(result) == ["O2", "O1", "O0", "O2"]


def test_custom_policy_is_pluggable():
    class LastFirst(PlacementPolicy):
        def rank(self, offer, load):
            assert isinstance(load, Load)
            return (-int(offer.offer_id[1:]),)

    assert where(place(tasks("/a", 2), [offer(0), offer(1), offer(2)], policy=LastFirst())) == ["O2", "O2"]


def test_unique_hostname_counts_existing_and_earlier_placements():
    offers = [offer(0), offer(1), offer(2)]
    existing = [PlacedInstance("/a", offers[1].agent), PlacedInstance("/b", offers[0].agent)]
    result = place(tasks("/a", 3, constraints=[["hostname", "UNIQUE"]]), offers, existing)
    assert where(result) == ["O0", "O2"]
    assert result.unplaced["/a.2"] == NoMatch("/a.2", "/a", {"constraint:hostname:UNIQUE": 3}, 3)


def test_group_by_rack_balances_within_one_call():
    offers = [offer(0, rack="r1"), offer(1, rack="r1"), offer(2, rack="r2"), offer(3, rack="r3")]
    result = place(tasks("/a", 6, cpus=0.5, constraints=[["rack", "GROUP_BY", "3"]]), offers)
    racks = {"O0": "r1", "O1": "r1", "O2": "r2", "O3": "r3"}
    counts = {}
    for assignment in result.assignments:
        counts[racks[assignment.offer_id]] = counts.get(racks[assignment.offer_id], 0) + 1
    assert counts == {"r1": 2, "r2": 2, "r3": 2}


def test_max_per_rack_and_reasons_for_the_rest():
    offers = [offer(0, rack="r1"), offer(1, rack="r1"), offer(2, rack="r2")]
    result = place(tasks("/a", 5, cpus=0.1, constraints=[["rack", "MAX_PER", "2"]]), offers)
    assert sorted(where(result)) == ["O0", "O0", "O2", "O2"]
    assert result.unplaced["/a.4"].reasons == {"constraint:rack:MAX_PER": 3}


def test_reasons_count_each_offer_once_under_its_first_reason():
    offers = [offer(0, cpus=0.5), offer(1, mem=64), offer(2, ports=None), offer(3, rack="r9"),
              offer(4, role="other", cpus=0, mem=0, ports=None)]
    (request,) = tasks("/a", 1, constraints=[["rack", "UNLIKE", "r9"]], port_count=1)
    result = place([request], offers)
    no_match = result.unplaced["/a.0"]
    assert no_match.reasons == {"cpus": 1, "mem": 1, "ports": 1, "constraint:rack:UNLIKE": 1, "role": 1}
    assert sum(no_match.reasons.values()) == no_match.offers == 5
    assert result.assignments == () and result.unused_offer_ids == ("O0", "O1", "O2", "O3", "O4")
    assert result.remaining["O0"] is offers[0].resources


def test_later_requests_of_an_exhausted_shape_get_the_same_reasons():
    result = place(tasks("/a", 10, cpus=2), [offer(0), offer(1)])
    assert len(result.assignments) == 4
    assert {key: m.reasons for key, m in result.unplaced.items()} == {f"/a.{i}": {"cpus": 2} for i in range(4, 10)}


def test_ports_fixed_and_picked_do_not_collide_across_tasks():
    requests = tasks("/a", 3, cpus=0.1, port_count=2) + tasks("/b", 1, cpus=0.1, ports=(31009,))
    result = place(requests, [offer(0)])
    all_ports = [p for a in result.assignments for p in a.ports]
    assert all_ports == [31000, 31001, 31002, 31003, 31004, 31005, 31009]
    assert result.assignments[-1].resources.ports == Ranges.from_ports([31009])
    blocked = place(tasks("/c", 2, cpus=0.1, ports=(31009,)), [offer(0)])
    assert len(blocked.assignments) == 1 and blocked.unplaced["/c.1"].reasons == {"ports": 1}


def test_roles_reserved_first_and_allocation_role_respected():
    (web,) = tasks("/w", 1, cpus=3, role="web")
    result = place([web], [offer(0, cpus=2, role="web")])
    assert result.assignments[0].resources.scalar("cpus", role="web") == 2
    assert result.assignments[0].resources.scalar("cpus", role="*") == 1
    other = place([web], [offer(1, allocation_role="batch")])
    assert other.unplaced["/w.0"].reasons == {"role": 1}


@pytest.mark.parametrize("policy", [FirstFit(), BinPack(), Spread()])
def test_place_is_deterministic(policy):
    offers = [offer(i, cpus=2 + i % 3, rack=f"r{i % 2}") for i in range(6)]
    requests = tasks("/a", 7, constraints=[["rack", "GROUP_BY"]]) + tasks("/b", 5, cpus=0.5)
    first, second = place(requests, offers, (), policy), place(requests, offers, (), policy)
    assert first == second and len(first.assignments) + len(first.unplaced) == 12


def test_duplicate_request_keys_are_rejected():
    request = tasks("/a", 1)[0]
    with pytest.raises(ValidationError) as info:
        place([request, request], [offer(0)])
    assert info.value.path == "requests[1].key"


def test_empty_inputs():
    assert place([], [offer(0)]).unused_offer_ids == ("O0",)
    result = place(tasks("/a", 1), [])
    assert result.unplaced["/a.0"] == NoMatch("/a.0", "/a", {}, 0)


def test_offer_view_from_mesos():
    view = offer(7, rack="r1", allocation_role="web")
    assert (view.offer_id, view.agent_id, view.hostname, view.allocation_role) == ("O7", "S7", "h7", "web")
    assert view.agent == Agent("S7", "h7", {"rack": "r1"})
    assert isinstance(view.resources, Resources) and view.resources.cpus == 4
    with pytest.raises(ValidationError):
        OfferView.from_mesos({"id": {"value": "x"}})


def test_offers_used_up_by_one_group_are_explained_for_another():
    requests = tasks("/a", 8, cpus=1.0) + tasks("/b", 1, cpus=0.5, mem=8192) + tasks("/c", 1, cpus=2.0)
    result = place(requests, [offer(0), offer(1)])
    assert len(result.assignments) == 8
    assert result.unplaced["/b.0"].reasons == {"cpus": 2}     # cpus are checked before mem
    assert result.unplaced["/c.0"].reasons == {"cpus": 2}


@pytest.mark.parametrize("policy", [FirstFit(), BinPack(), Spread()])
def test_every_policy_fills_all_offers_before_giving_up(policy):
    offers = [offer(i, cpus=2, rack=f"r{i % 2}") for i in range(4)]
    requests = tasks("/a", 5, constraints=[["rack", "GROUP_BY"]]) + tasks("/b", 5)
    result = place(requests, offers, (), policy)
    assert len(result.assignments) == 8 and result.unused_offer_ids == ()
    assert all(result.remaining[o.offer_id].cpus == 0 for o in offers)
    assert {m.key: m.reasons for m in result.unplaced.values()} == {"/b.3": {"cpus": 4}, "/b.4": {"cpus": 4}}


def test_spread_ranks_a_new_group_with_the_load_left_by_earlier_groups():
    offers = [offer(0), offer(1), offer(2)]
    result = place(tasks("/a", 2) + tasks("/b", 2) + tasks("/c", 1), offers, (), Spread())
    # /b starts on the only idle agent (O2), then goes to O0 (least loaded of those without /b, first in
    # order); /c avoids O0 (two tasks) and takes O1, the first of the two agents with one task each.
    assert where(result) == ["O0", "O1", "O2", "O0", "O1"]


@pytest.mark.parametrize("requests_, existing, expected", [
    # An instance of /a already on S0: a new /a shape avoids S0 although the tasks per agent are equal.
    ([("/a", 1.0)], [("/a", 0), ("/b", 1)], ["O1"]),
    # A second /a shape in the same call sees the instance the first one placed on S0.
    ([("/a", 1.0), ("/a", 2.0)], [("/b", 1)], ["O0", "O1"]),
    # No other instances: the first goes to the most free cpus, the second shape still avoids its agent.
    ([("/c", 1.0), ("/c", 2.0)], [], ["O0", "O1"]),
])
def test_spread_counts_the_groups_instances_for_every_new_shape(requests_, existing, expected):
    offers = [offer(0, cpus=8), offer(1, cpus=4)]
    requests = [TaskRequest(f"{group}.{i}", group, ResourceRequest(cpus=cpus)) for i, (group, cpus)
                in enumerate(requests_)]
    instances = [PlacedInstance(group, offers[n].agent) for group, n in existing]
    assert where(place(requests, offers, instances, Spread())) == expected
