"""Invariants of place() over random offers and requests, checked with hypothesis."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mesosframe.matching import BinPack, Constraint, FirstFit, OfferView, Spread, TaskRequest, place
from mesosframe.resources import ResourceRequest

CONSTRAINTS = st.sampled_from([(), (["hostname", "UNIQUE"],), (["rack", "MAX_PER", "2"],),
                               (["rack", "GROUP_BY"],), (["rack", "CLUSTER"],), (["rack", "LIKE", "r[01]"],)])


@st.composite
def offers(draw):
    count = draw(st.integers(0, 6))
    result = []
    for n in range(count):
        first = 31000 + 10 * n
        raw = {"id": {"value": f"O{n}"}, "agent_id": {"value": f"S{n % 4}"}, "hostname": f"h{n % 4}",
               "resources": [
                   {"name": "cpus", "type": "SCALAR", "scalar": {"value": draw(st.integers(0, 8)) / 2}},
                   {"name": "mem", "type": "SCALAR", "scalar": {"value": float(draw(st.integers(0, 4)) * 256)}},
                   {"name": "ports", "type": "RANGES",
                    "ranges": {"range": [{"begin": first, "end": first + draw(st.integers(0, 5))}]}}],
               "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": f"r{n % 3}"}}]}
        result.append(OfferView.from_mesos(raw))
    return result


@st.composite
def requests(draw):
    result = []
    for g in range(draw(st.integers(1, 3))):
        constraints = tuple(Constraint.parse(c) for c in draw(CONSTRAINTS))
        needs = ResourceRequest(cpus=draw(st.integers(0, 4)) / 2, mem=float(draw(st.integers(0, 2)) * 128),
                                port_count=draw(st.integers(0, 2)))
        result += [TaskRequest(f"g{g}.{i}", f"/g{g}", needs, constraints) for i in range(draw(st.integers(1, 5)))]
    return result


@settings(max_examples=60, deadline=None)
@given(offers(), requests(), st.sampled_from([FirstFit(), BinPack(), Spread()]))
def test_placement_invariants(offer_list, request_list, policy):
    result = place(request_list, offer_list, (), policy)
    by_key = {r.key: r for r in request_list}
    by_offer = {o.offer_id: o for o in offer_list}
    assert {a.key for a in result.assignments} | set(result.unplaced) == set(by_key)
    assert not {a.key for a in result.assignments} & set(result.unplaced)
    # Every offer is conserved: assigned + remaining == offered; ports are never handed out twice.
    for offer_id, view in by_offer.items():
        used = [a for a in result.assignments if a.offer_id == offer_id]
        total = result.remaining[offer_id]
        for assignment in used:
            assert view.resources.contains(assignment.resources)
            total = total + assignment.resources
        assert total == view.resources
        ports = [p for a in used for p in a.ports]
        assert len(ports) == len(set(ports))
        assert (not used) == (offer_id in result.unused_offer_ids)
    for assignment in result.assignments:
        needs = by_key[assignment.key].needs
        assert round(assignment.resources.cpus * 1000) == round(needs.cpus * 1000)
        assert len(assignment.ports) == needs.port_count
    # Constraints hold among the instances placed in this call.
    for group in {r.group for r in request_list}:
        placed = [by_offer[a.offer_id].agent for a in result.assignments if by_key[a.key].group == group]
        for constraint in by_key[next(k for k in by_key if by_key[k].group == group)].constraints:
            if constraint.field == "hostname" and constraint.operator.value == "UNIQUE":
                assert len({a.hostname for a in placed}) == len(placed)
            if constraint.operator.value == "MAX_PER":
                racks = [a.read("rack") for a in placed]
                assert all(racks.count(r) <= 2 for r in racks)
            if constraint.operator.value == "CLUSTER":
                assert len({a.read("rack") for a in placed}) <= 1
    # Every unplaced request has one reason per offer; without constraints, nothing left could take it.
    for key, no_match in result.unplaced.items():
        assert sum(no_match.reasons.values()) == no_match.offers == len(offer_list)
        if not by_key[key].constraints:
            assert all(r.find(by_key[key].needs) is None for r in result.remaining.values())
