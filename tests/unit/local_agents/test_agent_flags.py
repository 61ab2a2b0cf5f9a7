"""parse_resources / parse_attributes: Mesos agent flag syntax -> Mesos JSON."""
from __future__ import annotations

import pytest

from mesosframe.errors import ConfigurationError
from mesosframe.local.agents import AgentFlagError, parse_attributes, parse_resources


def scalar(name, value, role="*"):
    return {"name": name, "type": "SCALAR", "scalar": {"value": value}, "role": role}


@pytest.mark.parametrize("text, expected", [
    ("cpus:4", [scalar("cpus", 4.0)]),
    ("cpus:4;mem:4096;disk:10240;ports:[31000-32000];gpus:1", [
        scalar("cpus", 4.0), scalar("mem", 4096.0), scalar("disk", 10240.0),
        {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 32000}]}, "role": "*"},
        scalar("gpus", 1.0)]),
    ("cpus:0.12345", [scalar("cpus", 0.123)]),
    ("cpus:1;gpus:0", [scalar("cpus", 1.0)]),
    ("gpus:0.0001", []),
    (" cpus : 2 ; ", [scalar("cpus", 2.0)]),
    ("ports:[33000-33010, 31000-31005]", [{"name": "ports", "type": "RANGES", "role": "*", "ranges": {
        "range": [{"begin": 31000, "end": 31005}, {"begin": 33000, "end": 33010}]}}]),
    ("ports:[8080]", [{"name": "ports", "type": "RANGES", "role": "*",
                       "ranges": {"range": [{"begin": 8080, "end": 8080}]}}]),
    ("disks:{ssd1,ssd2}", [{"name": "disks", "type": "SET", "set": {"item": ["ssd1", "ssd2"]}, "role": "*"}]),
    ("cpus(*):1", [scalar("cpus", 1.0)]),
    ("cpus(web):1", [{**scalar("cpus", 1.0, "web"), "reservations": [{"type": "STATIC", "role": "web"}]}]),
    ("cpus:1;cpus(web):1", [scalar("cpus", 1.0),
                            {**scalar("cpus", 1.0, "web"), "reservations": [{"type": "STATIC", "role": "web"}]}]),
    ('[{"name":"cpus","type":"SCALAR","scalar":{"value":2}}]',
     [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}, "role": "*"}]),
    ("", []),
])
def test_parse_resources(text, expected):
    assert parse_resources(text) == expected


@pytest.mark.parametrize("text, fragment", [
    ("cpus", "expected name[(role)]:value"),
    ("cpus:four", "not a number"),
    ("cpus:-1", "not negative"),
    ("cpus:nan", "finite"),
    ("cpus:1;cpus:2", "given twice"),
    ("ports:[32000-31000]", "empty"),
    ("ports:[31000-31010,31005-31020]", "overlap"),
    ("ports:[a-b]", "not a range"),
    ("ports:[31000-32000", "must end with ']'"),
    ("ports:[]", "no ranges"),
    ("disks:{a,b", "must end with '}'"),
    ("[not json", "JSON is invalid"),
    ('{"name": "cpus"}', "expected name"),
    ('[{"name": "cpus"}]', "needs at least"),
    ('[{"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 10}, {"begin": 5, "end": 20}]}}]',
     "overlapping"),                                            # the master would refuse the agent's resources
    ('[{"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 9, "end": 1}]}}]', "inverted"),
    ('[{"name": "disks", "type": "SET", "set": {"item": ["a", "a"]}}]', "duplicated"),
    ('[{"name": "ports", "type": "RANGES", "ranges": {}}]', "malformed"),
])
def test_parse_resources_rejects(text, fragment):
    with pytest.raises(AgentFlagError, match=None) as info:
        parse_resources(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, ConfigurationError)


@pytest.mark.parametrize("text, expected", [
    ("rack:r1;zone:a;level:3", [
        {"name": "rack", "type": "TEXT", "text": {"value": "r1"}},
        {"name": "zone", "type": "TEXT", "text": {"value": "a"}},
        {"name": "level", "type": "SCALAR", "scalar": {"value": 3.0}}]),
    ("weight:0.5", [{"name": "weight", "type": "SCALAR", "scalar": {"value": 0.5}}]),
    ("slots:[1-4]", [{"name": "slots", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 4}]}}]),
    ("os:{linux,posix}", [{"name": "os", "type": "SET", "set": {"item": ["linux", "posix"]}}]),
    ("host:a:b", [{"name": "host", "type": "TEXT", "text": {"value": "a:b"}}]),
    ("", []),
])
def test_parse_attributes(text, expected):
    assert parse_attributes(text) == expected


@pytest.mark.parametrize("text, fragment", [
    ("rack", "expected name:value"),
    ("rack:", "expected name:value"),
    (":r1", "expected name:value"),
    ("rack:r1;rack:r2", "given twice"),
])
def test_parse_attributes_rejects(text, fragment):
    with pytest.raises(AgentFlagError) as info:
        parse_attributes(text)
    assert fragment in str(info.value)
