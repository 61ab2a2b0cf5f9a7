"""Marathon constraint semantics (mesosphere.mesos.Constraints), one table per operator."""
from __future__ import annotations

import pytest

from mesosframe.errors import ValidationError
from mesosframe.matching import Agent, Constraint, Operator, format_attribute


def agent(host, **attributes):
    return Agent(f"id-{host}", host, attributes)


def zoned(host, region=None, zone=None):
    return Agent(f"id-{host}", host, {}, region, zone)


A, B, C = agent("a", rack="r1"), agent("b", rack="r1"), agent("c", rack="r2")
BARE = agent("d")                                   # no rack attribute


def check(raw, offer, placed):
    return Constraint.parse(raw).accepts(offer, placed)


@pytest.mark.parametrize("raw, offer, placed, accepted", [
    (["hostname", "UNIQUE"], A, [], True),
    (["hostname", "UNIQUE"], A, [B, C], True),
    (["hostname", "UNIQUE"], A, [B, A], False),
    (["@hostname", "UNIQUE"], A, [A], False),
    (["rack", "UNIQUE"], A, [C], True),
    (["rack", "UNIQUE"], A, [B], False),             # same rack value on another host
    (["rack", "UNIQUE"], A, [BARE], True),           # an instance without the attribute does not conflict
    (["rack", "UNIQUE"], BARE, [], False),           # offer lacks the field: only UNLIKE accepts
])
def test_unique_value_must_differ_from_every_placed_instance(raw, offer, placed, accepted):
    assert check(raw, offer, placed) is accepted


@pytest.mark.parametrize("raw, offer, placed, accepted", [
    (["rack", "CLUSTER", "r1"], A, [], True),
    (["rack", "CLUSTER", "r1"], C, [], False),
    (["rack", "CLUSTER", "r1"], A, [C], True),       # with a value, placed instances are not consulted
    (["rack", "CLUSTER"], C, [], True),              # no value: the first instance chooses
    (["rack", "CLUSTER"], C, [A, C], False),         # ... and later ones follow the *first* instance
    (["rack", "CLUSTER"], B, [A, C], True),
    (["hostname", "CLUSTER", "a"], A, [], True),
    (["hostname", "CLUSTER", "a"], B, [], False),
    (["rack", "CLUSTER", "r1"], BARE, [], False),
])
def test_cluster_equals_value_or_first_instances_value(raw, offer, placed, accepted):
    assert check(raw, offer, placed) is accepted


@pytest.mark.parametrize("raw, offer, placed, accepted", [
    (["rack", "GROUP_BY"], A, [], True),
    (["rack", "GROUP_BY"], A, [C], True),            # r1 is not a group yet
    (["rack", "GROUP_BY"], A, [B], True),            # r1 is the only (so the smallest) group
    (["rack", "GROUP_BY"], A, [B, B, C], False),     # r1 has 2, r2 has 1: not the smallest
    (["rack", "GROUP_BY"], C, [B, B, C], True),
    (["rack", "GROUP_BY", "2"], A, [B], False),      # fewer groups than the minimum: only new values
    (["rack", "GROUP_BY", "2"], C, [B], True),
    (["rack", "GROUP_BY", "2"], A, [B, C], True),
    (["rack", "GROUP_BY"], A, [B, BARE, BARE], True),   # instances lacking the field form a group too
    (["rack", "GROUP_BY"], A, [B, B, BARE], False),
    (["rack", "GROUP_BY", "3"], A, [B, C, BARE], True),  # ... and count towards the minimum number
    (["hostname", "GROUP_BY"], A, [A, B], True),
])
def test_group_by_spreads_over_values(raw, offer, placed, accepted):
    assert check(raw, offer, placed) is accepted


@pytest.mark.parametrize("raw, offer, accepted", [
    (["hostname", "LIKE", "a"], A, True),
    (["hostname", "LIKE", "a|b"], B, True),
    (["hostname", "LIKE", "agent"], agent("agent-1"), False),     # whole-string match (Java String.matches)
    (["hostname", "LIKE", "agent.*"], agent("agent-1"), True),
    (["rack", "LIKE", "r[0-1]"], A, True),
    (["rack", "LIKE", "r[0-1]"], C, False),
    (["rack", "LIKE", ".*"], BARE, False),           # missing attribute
    (["hostname", "UNLIKE", "a"], A, False),
    (["hostname", "UNLIKE", "a"], agent("ab"), True),   # whole-string, so "ab" is not "a"
    (["rack", "UNLIKE", "r1"], C, True),
    (["rack", "UNLIKE", "r1"], BARE, True),          # missing attribute: UNLIKE is the one that accepts
])
def test_like_and_unlike_are_whole_string_regex_matches(raw, offer, accepted):
    assert check(raw, offer, [A, B, C]) is accepted


@pytest.mark.parametrize("raw, offer, placed, accepted", [
    (["rack", "MAX_PER", "2"], A, [B], True),
    (["rack", "MAX_PER", "2"], A, [B, A], False),    # count in the offer's group must be < n
    (["rack", "MAX_PER", "2"], C, [A, B], True),
    (["rack", "MAX_PER", "1"], A, [BARE], True),
    (["hostname", "MAX_PER", "1"], A, [A], False),
    (["hostname", "MAX_PER", "2"], A, [A, B], True),
    (["rack", "MAX_PER", "0"], A, [], False),
    (["rack", "MAX_PER", "5"], BARE, [], False),
])
def test_max_per_limits_instances_per_value(raw, offer, placed, accepted):
    assert check(raw, offer, placed) is accepted


@pytest.mark.parametrize("raw, offer, accepted", [
    (["rack", "IS", "r1"], A, True),
    (["rack", "IS", "r1"], C, False),
    (["rack", "IS", "r"], A, False),                 # equality, not a prefix or regex
    (["cores", "IS", "2.5"], agent("s", cores="2.5"), True),
    (["rack", "IS", "r1"], BARE, False),
])
def test_is_is_string_equality(raw, offer, accepted):
    assert check(raw, offer, [C]) is accepted


@pytest.mark.parametrize("raw, offer, accepted", [
    (["@region", "IS", "eu"], zoned("x", "eu", "eu-1"), True),
    (["@zone", "LIKE", "eu-.*"], zoned("x", "eu", "eu-1"), True),
    (["@zone", "UNLIKE", "eu-.*"], zoned("x"), True),          # no fault domain: missing field
    (["@region", "IS", "eu"], zoned("x"), False),
])
def test_fault_domain_fields(raw, offer, accepted):
    assert check(raw, offer, []) is accepted


@pytest.mark.parametrize("attribute, text", [
    ({"name": "rack", "type": "TEXT", "text": {"value": "r1"}}, "r1"),
    ({"name": "cores", "type": "SCALAR", "scalar": {"value": 2.0}}, "2"),
    ({"name": "cores", "type": "SCALAR", "scalar": {"value": 2.5}}, "2.5"),
    ({"name": "w", "type": "SCALAR", "scalar": {"value": 0.12345}}, "0.123"),
    ({"name": "w", "type": "SCALAR", "scalar": {"value": 0.0625}}, "0.062"),     # HALF_EVEN
    ({"name": "w", "type": "SCALAR", "scalar": {"value": 1234567.0}}, "1234567"),
    ({"name": "p", "type": "RANGES", "ranges": {"range": [{"begin": 5, "end": 9}, {"begin": 1, "end": 2}]}},
     "[1-2,5-9]"),
    ({"name": "s", "type": "SET", "set": {"item": ["b", "a"]}}, "{a,b}"),
])
def test_attribute_values_are_formatted_as_marathon_compares_them(attribute, text):
    assert format_attribute(attribute) == text


def test_agent_from_offer_reads_first_attribute_and_domain():
    offer = {"id": {"value": "o1"}, "agent_id": {"value": "s1"}, "hostname": "h1",
             "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}},
                            {"name": "rack", "type": "TEXT", "text": {"value": "r9"}}],
             "domain": {"fault_domain": {"region": {"name": "eu"}, "zone": {"name": "eu-1"}}}}
    a = Agent.from_offer(offer)
    assert (a.agent_id, a.hostname, a.read("rack"), a.read("@region"), a.read("@zone")) == \
        ("s1", "h1", "r1", "eu", "eu-1")


@pytest.mark.parametrize("raw, path, message", [
    (["hostname"], "constraints[0]", "either 2 or 3 fields"),
    (["hostname", "UNIQUE", "x", "y"], "constraints[0]", "either 2 or 3 fields"),
    (["", "UNIQUE"], "constraints[0][0]", "Missing field"),
    (["hostname", "SOMETIMES"], "constraints[0][1]", "must be one of"),
    (["hostname", "UNIQUE", "x"], "constraints[0][2]", "Value specified but not used"),
    (["rack", "GROUP_BY", "two"], "constraints[0][2]", "not a number"),
    (["rack", "MAX_PER"], "constraints[0][2]", "not specified or is not a number"),
    (["rack", "MAX_PER", "1.5"], "constraints[0][2]", "not a number"),
    (["rack", "LIKE"], "constraints[0][2]", "regular expression value must be provided"),
    (["rack", "UNLIKE", "("], "constraints[0][2]", "is not a valid regular expression"),
    (["rack", "LIKE", "a{99999999999}"], "constraints[0][2]", "is not a valid regular expression"),   # overflow
    (["rack", "LIKE", "(" * 1200 + ")" * 1200], "constraints[0][2]", "is not a valid regular expression"),
    (["rack", "IS"], "constraints[0][2]", "Missing value"),
    ("hostname:UNIQUE", "constraints[0]", "either 2 or 3 fields"),
])
def test_parse_errors_carry_the_path(raw, path, message):
    with pytest.raises(ValidationError) as info:
        Constraint.parse(raw)
    assert info.value.path == path and message in info.value.message


def test_parse_all_paths_and_round_trip():
    parsed = Constraint.parse_all([["hostname", "UNIQUE"], ["rack", "GROUP_BY", "3"]])
    assert [c.operator for c in parsed] == [Operator.UNIQUE, Operator.GROUP_BY]
    assert [c.to_json() for c in parsed] == [["hostname", "UNIQUE"], ["rack", "GROUP_BY", "3"]]
    assert parsed[1].reason == "constraint:rack:GROUP_BY"
    with pytest.raises(ValidationError) as info:
        Constraint.parse_all([["hostname", "UNIQUE"], ["rack", "MAX_PER", "x"]], "app.constraints")
    assert info.value.path == "app.constraints[1][2]"
