"""Properties of the resource algebra, checked with hypothesis."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mesosframe.resources import Ranges, ResourceRequest, Resources, from_milli, to_milli

ROLES = st.sampled_from(["*", "prod", "dev"])
NAMES = st.sampled_from(["cpus", "mem", "disk", "gpus"])
MILLI = st.integers(min_value=1, max_value=10_000_000)


@st.composite
def scalar_json(draw):
    raw = {"name": draw(NAMES), "type": "SCALAR", "scalar": {"value": draw(MILLI) / 1000}}
    role = draw(ROLES)
    if role != "*":
        if draw(st.booleans()):
            raw["reservations"] = [{"type": "DYNAMIC", "role": role, "principal": "p"}]
        else:
            raw["role"] = role
    return raw


@st.composite
def ranges_json(draw, base=1000):
    starts = draw(st.lists(st.integers(min_value=base, max_value=base + 200), min_size=1, max_size=4))
    pairs = [(s, s + draw(st.integers(min_value=0, max_value=30))) for s in starts]
    return {"name": "ports", "type": "RANGES", "role": draw(ROLES),
            "ranges": {"range": [{"begin": b, "end": e} for b, e in pairs]}}


RESOURCES = st.lists(st.one_of(scalar_json(), ranges_json()), max_size=6).map(Resources.from_mesos)
# Ranges and sets add as sets (union), as in Mesos, so (a + b) - b == a needs b's ports disjoint from a's.
OTHER_RESOURCES = st.lists(st.one_of(scalar_json(), ranges_json(5000)), max_size=6).map(Resources.from_mesos)
FAST = settings(max_examples=60, deadline=None)


@FAST
@given(RESOURCES, OTHER_RESOURCES)
def test_add_then_subtract_is_identity(a, b):
    assert (a + b) - b == a
    assert (a + b).contains(a) and (a + b).contains(b)
    assert a + b == b + a


@FAST
@given(RESOURCES, st.booleans(), st.booleans())
def test_round_trip_through_mesos_json(a, refinement, allocation_info):
    assert Resources.from_mesos(a.to_mesos(refinement=refinement, allocation_info=allocation_info)) == a


@FAST
@given(RESOURCES, st.integers(0, 4000), st.integers(0, 5000), st.integers(0, 6), ROLES)
def test_find_result_is_contained_and_satisfies(a, cpus, mem, nports, role):
    request = ResourceRequest(cpus=cpus / 1000, mem=mem / 1000 * 100, port_count=nports, role=role)
    found = a.find(request)
    if found is None:
        assert a.shortfall(request)
        return
    assert a.contains(found.resources)
    got = found.resources
    assert to_milli(got.cpus) == to_milli(request.cpus) and to_milli(got.mem) == to_milli(request.mem)
    assert len(got.ports) == nports == len(set(found.ports)) and all(p in got.ports for p in found.ports)
    assert all(entry.role in (role, "*") for entry in got)
    assert (a - got) + got == a


def test_no_float_drift_over_ten_thousand_additions():
    tenth = Resources.from_mesos([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}])
    total = Resources()
    for _ in range(10_000):
        total = total + tenth
    assert total.cpus == 1000.0
    for _ in range(10_000):
        total = total - tenth
    assert total.is_empty()


@FAST
@given(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 20)), max_size=6),
       st.lists(st.tuples(st.integers(0, 200), st.integers(0, 20)), max_size=6))
def test_ranges_behave_like_sets(a_pairs, b_pairs):
    a = Ranges.of([(s, s + w) for s, w in a_pairs])
    b = Ranges.of([(s, s + w) for s, w in b_pairs])
    sa, sb = set(a.values()), set(b.values())
    assert set((a + b).values()) == sa | sb
    assert set((a - b).values()) == sa - sb
    assert a.contains(b) == (sb <= sa)
    assert len(a) == len(sa)


@FAST
@given(st.integers(-10**12, 10**12))
def test_fixed_point_round_trip(milli):
    assert to_milli(from_milli(milli)) == milli
