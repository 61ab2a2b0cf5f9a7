"""Resources: Mesos JSON in both reservation formats, the algebra, find (roles, ports) and shortfall."""
from __future__ import annotations

import pytest

from mesosframe.errors import MesosframeError, ValidationError
from mesosframe.resources import entry as entry_module
from mesosframe.resources import (InsufficientResourcesError, Ranges, ResourceFormatError, ResourceRequest,
                                  Resources, from_milli, to_milli)


def scalar(name, value, **extra):
    return {"name": name, "type": "SCALAR", "scalar": {"value": value}, **extra}


def ports(*pairs, **extra):
    return {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": b, "end": e} for b, e in pairs]},
            **extra}


AGENT = Resources.from_mesos([scalar("cpus", 4), scalar("mem", 4096), scalar("disk", 1000),
                              ports((31000, 31009))])


@pytest.mark.parametrize("value, milli", [(0.1, 100), (0.0005, 1), (0.0004, 0), (1.2345, 1235), (2.5, 2500),
                                          (1e6, 1_000_000_000), (-0.0015, -2)])
def test_fixed_point_rounds_to_thousandths_half_away_from_zero(value, milli):
    assert to_milli(value) == milli
    assert to_milli(from_milli(milli)) == milli


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 1e306, -1e306])
def test_fixed_point_refuses_what_has_no_finite_thousandths(value):
    with pytest.raises(ValueError, match="not a finite number of thousandths"):
        to_milli(value)


def test_from_mesos_merges_same_identity_and_sums():
    r = Resources.from_mesos([scalar("cpus", 1.5), scalar("cpus", 0.25), ports((1, 2)), ports((3, 4))])
    assert r.cpus == 1.75 and len(r) == 2
    assert r.ports == Ranges.of([(1, 4)])


@pytest.mark.parametrize("raw, expected_role, expected_type", [
    (scalar("cpus", 1), "*", None),
    (scalar("cpus", 1, role="*"), "*", None),
    (scalar("cpus", 1, role="prod"), "prod", "STATIC"),
    (scalar("cpus", 1, role="prod", reservation={"principal": "ops"}), "prod", "DYNAMIC"),
    (scalar("cpus", 1, reservations=[{"type": "STATIC", "role": "prod"}]), "prod", "STATIC"),
    (scalar("cpus", 1, reservations=[{"type": "STATIC", "role": "a"},
                                     {"type": "DYNAMIC", "role": "a/b", "principal": "p"}]), "a/b", "DYNAMIC"),
])
def test_reservation_formats_give_the_effective_role(raw, expected_role, expected_type):
    (entry,) = list(Resources.from_mesos([raw]))
    assert entry.role == expected_role
    assert (entry.reservations[-1].type if entry.reservations else None) == expected_type


def test_pre_refinement_and_refinement_forms_are_the_same_resources():
    old = Resources.from_mesos([scalar("mem", 64, role="prod", reservation={"principal": "ops",
                                "labels": {"labels": [{"key": "k", "value": "v"}]}})])
    new = Resources.from_mesos([scalar("mem", 64, reservations=[{"type": "DYNAMIC", "role": "prod",
                                "principal": "ops", "labels": {"labels": [{"key": "k", "value": "v"}]}}])])
    assert old == new and hash(old) == hash(new)
    assert new.to_mesos() == [scalar("mem", 64.0, role="prod", reservation={
        "principal": "ops", "labels": {"labels": [{"key": "k", "value": "v"}]}})]
    assert old.to_mesos(refinement=True)[0]["reservations"] == [
        {"type": "DYNAMIC", "role": "prod", "principal": "ops", "labels": {"labels": [{"key": "k", "value": "v"}]}}]


def test_to_mesos_keeps_allocation_info_unless_asked_and_verbatim_fields():
    raw = [scalar("cpus", 2.0, role="*", allocation_info={"role": "web"}),
           scalar("disk", 10.0, role="*", disk={"persistence": {"id": "v1"}, "volume": {"mode": "RW",
                                                "container_path": "data"}})]
    r = Resources.from_mesos(raw)
    assert Resources.from_mesos(r.to_mesos()) == r
    assert r.to_mesos()[0]["allocation_info"] == {"role": "web"}
    assert "allocation_info" not in r.to_mesos(allocation_info=False)[0]
    assert r.to_mesos()[1]["disk"]["persistence"] == {"id": "v1"}


def test_refined_reservations_cannot_use_the_old_format():
    r = Resources.from_mesos([scalar("cpus", 1, reservations=[{"type": "STATIC", "role": "a"},
                                                              {"type": "DYNAMIC", "role": "a/b"}])])
    with pytest.raises(ResourceFormatError):
        r.to_mesos()
    assert Resources.from_mesos(r.to_mesos(refinement=True)) == r


@pytest.mark.parametrize("raw, path", [
    ([{"type": "SCALAR", "scalar": {"value": 1}}], "[0].name"),
    ([scalar("cpus", 1), {"name": "mem", "type": "SCALAR", "scalar": {"value": -1}}], "[1].scalar.value"),
    ([{"name": "cpus", "type": "TEXT"}], "[0].type"),
    ([{"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 5}]}}], "[0].ranges"),
    ([scalar("cpus", 1, role="*", reservation={"principal": "p"})], "[0].reservation"),
    ([scalar("cpus", 1, reservations=[{"type": "STATIC"}])], "[0].reservations[0]"),
    ([{"name": "mem", "type": "SCALAR", "scalar": {"value": -1.0}}], "[0].scalar.value"),
    ([{"name": "mem", "type": "SCALAR", "scalar": {"value": float("nan")}}], "[0].scalar"),
    ([{"name": "mem", "type": "SCALAR", "scalar": [1.0]}], "[0].scalar"),
    ([{"name": "", "type": "SCALAR", "scalar": {"value": 1.0}}], "[0].name"),
    ([{"name": "mem", "role": "", "scalar": {"value": 1.0}}], "[0].role"),
])
def test_malformed_json_raises_validation_error_with_path(raw, path):
    with pytest.raises(ResourceFormatError) as info:
        Resources.from_mesos(raw)
    assert isinstance(info.value, ValidationError) and info.value.path == path


def test_add_subtract_contains():
    small = Resources.from_mesos([scalar("cpus", 1), ports((31000, 31001))])
    assert AGENT.contains(small) and not small.contains(AGENT)
    rest = AGENT - small
    assert rest.cpus == 3 and rest.ports == Ranges.of([(31002, 31009)])
    assert rest + small == AGENT
    assert (AGENT - AGENT).is_empty()


def test_subtracting_what_is_not_there_raises_a_typed_error():
    reserved = Resources.from_mesos([scalar("cpus", 1, role="prod")])
    with pytest.raises(InsufficientResourcesError) as info:
        AGENT - reserved          # same name, but reserved resources are a different identity
    assert isinstance(info.value, MesosframeError) and "cpus" in str(info.value)
    with pytest.raises(InsufficientResourcesError):
        AGENT - Resources.from_mesos([ports((30999, 31000))])


def test_find_prefers_resources_reserved_for_the_role_then_unreserved():
    offer = Resources.from_mesos([scalar("cpus", 1, role="prod"), scalar("cpus", 4), scalar("mem", 100, role="prod"),
                                  scalar("mem", 1000), scalar("cpus", 8, role="other")])
    found = offer.find(ResourceRequest(cpus=1.5, mem=50, role="prod"))
    assert found is not None and offer.contains(found.resources)
    assert found.resources.scalar("cpus", role="prod") == 1 and found.resources.scalar("cpus", role="*") == 0.5
    assert found.resources.scalar("mem", role="prod") == 50 and found.resources.scalar("mem", role="*") == 0
    assert offer.find(ResourceRequest(cpus=6, role="prod")) is None            # "other" is not usable
    assert offer.find(ResourceRequest(cpus=4.5)) is None                       # "*" uses unreserved only


@pytest.mark.parametrize("request_, expected_ports", [
    (ResourceRequest(port_count=3), (31000, 31001, 31002)),
    (ResourceRequest(ports=(31005,), port_count=2), (31005, 31000, 31001)),
    (ResourceRequest(ports=(31009, 31000)), (31009, 31000)),
    (ResourceRequest(ports=(31002,), port_count=9), (31002, 31000, 31001, 31003, 31004, 31005, 31006, 31007,
                                                     31008, 31009)),
])
def test_find_picks_fixed_ports_then_lowest_free_ones(request_, expected_ports):
    found = AGENT.find(request_)
    assert found is not None and found.ports == expected_ports
    assert found.resources.ports == Ranges.from_ports(expected_ports)


@pytest.mark.parametrize("request_, missing", [
    (ResourceRequest(cpus=5), ("cpus",)),
    (ResourceRequest(cpus=5, mem=5000, disk=1), ("cpus", "mem")),
    (ResourceRequest(gpus=1), ("gpus",)),
    (ResourceRequest(ports=(30000,)), ("ports",)),
    (ResourceRequest(port_count=11), ("ports",)),
    (ResourceRequest(scalars=(("fpga", 1.0),)), ("fpga",)),
    (ResourceRequest(cpus=1, role="prod"), ()),
])
def test_shortfall_names_what_is_missing(request_, missing):
    assert AGENT.shortfall(request_) == missing
    assert (AGENT.find(request_) is None) == bool(missing)


def test_shortfall_reports_role_when_nothing_is_usable():
    offer = Resources.from_mesos([scalar("cpus", 4, role="other")])
    assert offer.shortfall(ResourceRequest(cpus=1, role="prod")) == ("role",)


def test_allocation_role_limits_what_a_role_may_use():
    offer = Resources.from_mesos([scalar("cpus", 4, allocation_info={"role": "web"})])
    assert offer.find(ResourceRequest(cpus=1, role="web")) is not None
    assert offer.find(ResourceRequest(cpus=1, role="batch")) is None
    assert offer.find(ResourceRequest(cpus=1)) is not None    # unreserved, allocated to the framework's role


def test_accessors_and_views():
    offer = Resources.from_mesos([scalar("cpus", 1, role="prod"), scalar("cpus", 2), scalar("gpus", 1),
                                  {"name": "zones", "type": "SET", "set": {"item": ["b", "a"]}}])
    assert offer.cpus == 3 and offer.gpus == 1 and offer.mem == 0 and offer.disk == 0
    assert offer.scalar("cpus", role="prod") == 1 and offer.unreserved().cpus == 2
    assert offer.for_role("prod").cpus == 3 and offer.for_role("dev").cpus == 2
    assert offer.names == {"cpus", "gpus", "zones"}
    assert offer.to_mesos()[-1]["set"] == {"item": ["a", "b"]}
    assert "cpus(prod):1.0" in repr(offer)


def test_request_validation():
    with pytest.raises(ValueError):
        ResourceRequest(cpus=-1)
    with pytest.raises(ValueError):
        ResourceRequest(ports=(80, 80))


def test_to_mesos_returns_fresh_objects_each_call():
    resources = Resources.from_mesos([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.5}},
                                      {"name": "ports", "type": "RANGES",
                                       "ranges": {"range": [{"begin": 31000, "end": 31001}]}}])
    first = resources.to_mesos()
    first[0]["role"] = "mutated"
    first[0]["scalar"]["value"] = 99.0
    first[1]["ranges"]["range"].clear()
    assert resources.to_mesos() == [
        {"name": "cpus", "type": "SCALAR", "role": "*", "scalar": {"value": 1.5}},
        {"name": "ports", "type": "RANGES", "role": "*", "ranges": {"range": [{"begin": 31000, "end": 31001}]}}]
    assert resources.to_mesos(refinement=True)[0] == {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.5}}


@pytest.mark.parametrize("amounts, request_, expected", [
    # (cpus entries as (role, amount), request, (taken cpus per role) or the missing name)
    ([("*", 2.0)], dict(cpus=1.5), {"*": 1.5}),
    ([("*", 1.0)], dict(cpus=1.5), "cpus"),
    ([("web", 1.0), ("*", 2.0)], dict(cpus=1.5, role="web"), {"web": 1.0, "*": 0.5}),
    ([("web", 1.0), ("*", 2.0)], dict(cpus=1.5), {"*": 1.5}),
    ([("web", 1.0)], dict(cpus=0.5), "role"),
    ([("*", 1.0)], dict(mem=1.0), "mem"),
])
def test_find_takes_scalars_across_entries_in_preference_order(amounts, request_, expected):
    resources = Resources.from_mesos([{"name": "cpus", "type": "SCALAR", "scalar": {"value": amount}, "role": role}
                                      for role, amount in amounts])
    found = resources.find(ResourceRequest(**request_))
    if isinstance(expected, str):
        assert found is None and resources.shortfall(ResourceRequest(**request_))[0] == expected
    else:
        assert {r.role: r.scalar for r in found.resources} == expected
        assert resources.contains(found.resources)


def test_plain_entries_share_identity_keys_and_parse_the_same_past_the_cache(monkeypatch):
    raw = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}},
           {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 2}]}}]
    first, second = Resources.from_mesos(raw), Resources.from_mesos(raw)
    assert all(a is b for a, b in zip(first.amounts(), second.amounts()))
    monkeypatch.setattr(entry_module, "_PLAIN_KEYS", {"SCALAR": {}, "RANGES": {}, "SET": {}})
    monkeypatch.setattr(entry_module, "_PLAIN_KEYS_MAX", 0)
    assert Resources.from_mesos(raw) == first and Resources.from_mesos(raw).cpus == 1.0
