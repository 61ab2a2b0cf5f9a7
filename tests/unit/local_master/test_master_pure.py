"""Table-driven tests of the master's pure parts: resources, validation, events, ZooKeeper naming."""
from __future__ import annotations

import pytest

from mesosframe.errors import MasterURLError
from mesosframe.local.master.events import ip_as_uint32, master_info, visible_state
from mesosframe.local.master.resources import ResourceBag, ResourceError
from mesosframe.local.master.validation import CallError, parse_json_body, validate_call, validate_task
from mesosframe.local.master.zookeeper import leader_child, parse_zk_url
from mesosframe.local.protocol import ranges_overlap


def scalar(name, value, **extra):
    return {"name": name, "type": "SCALAR", "scalar": {"value": value}, **extra}


def ports(*spans, **extra):
    return {"name": "ports", "type": "RANGES",
            "ranges": {"range": [{"begin": b, "end": e} for b, e in spans]}, **extra}


AGENT = [scalar("cpus", 2), scalar("mem", 2048), ports((31000, 32000))]


@pytest.mark.parametrize("want,fits", [
    ([scalar("cpus", 0.1), scalar("mem", 32)], True),
    ([scalar("cpus", 2.001)], False),
    ([ports((31005, 31005))], True),
    ([ports((30000, 31000))], False),
    ([scalar("gpus", 1)], False),
    ([scalar("cpus", 1, role="web")], False),
])
def test_contains(want, fits):
    have = ResourceBag.from_mesos(AGENT)
    need = ResourceBag.from_mesos(want)
    assert all(r in have and have[r].contains(b) for r, b in need.items()) is fits


def test_subtract_splits_ranges_and_to_mesos_matches_real_offer():
    left = ResourceBag.from_mesos(AGENT)["*"] - ResourceBag.from_mesos(
        [scalar("cpus", 0.3), scalar("mem", 96), ports((31005, 31005))])["*"]
    assert left.to_mesos() == [
        ports((31000, 31004), (31006, 32000), role="*"), scalar("cpus", 1.7, role="*"),
        scalar("mem", 1952.0, role="*")]
    assert left.summary()["ports"] == "[31000-31004, 31006-32000]"


@pytest.mark.parametrize("bad, message", [
    ([{"type": "SCALAR"}], "name"), ([scalar("cpus", -1)], "Negative"), ([{"name": "x", "type": "WEIRD"}], "type"),
    ([ports((5, 1))], "Invalid range"), ([ports((-1, 3))], "Invalid range"),
    ([ports((1, 2 ** 64))], "Invalid range"),                      # bounds are uint64
    ([ports((1, 10), (5, 20))], "overlapping"), ([ports((7, 9), (7, 7))], "overlapping"),   # as Mesos refuses
    ([{"name": "disks", "type": "SET", "set": {"item": ["a", "b", "a"]}}], "duplicated"),
])
def test_bad_resources(bad, message):
    with pytest.raises(ResourceError, match=message):
        ResourceBag.from_mesos(bad)


def test_a_range_beginning_before_an_earlier_one_passes_as_in_mesos():
    assert ResourceBag.from_mesos([ports((7, 7), (1, 7))])["*"].ranges == {"ports": ((1, 7),)}


def test_ranges_need_not_be_coalesced_and_entries_of_one_name_are_merged():
    bags = ResourceBag.from_mesos([ports((1, 2), (3, 4)), ports((4, 9))])     # two entries may overlap
    assert bags["*"].ranges == {"ports": ((1, 9),)}


def test_reserved_roles_are_grouped():
    bags = ResourceBag.from_mesos([scalar("cpus", 1, role="web"), scalar("cpus", 1),
                                   scalar("mem", 5, reservations=[{"type": "STATIC", "role": "db"}])])
    assert {r: b.scalars for r, b in bags.items()} == {"web": {"cpus": 1000}, "*": {"cpus": 1000},
                                                         "db": {"mem": 5000}}


@pytest.mark.parametrize("entries,expected", [
    ([scalar("cpus", 0.5), scalar("cpus", 0.25)], ({"cpus": 750}, {}, {})),                 # summed
    ([ports((31005, 31009)), ports((31000, 31004)), ports((31020, 31020))],               # merged, sorted
     ({}, {"ports": ((31000, 31009), (31020, 31020))}, {})),
    ([{"name": "disks", "type": "SET", "set": {"item": ["a"]}},
      {"name": "disks", "type": "SET", "set": {"item": ["b", "a"]}}], ({}, {}, {"disks": {"a", "b"}})),
    ([scalar("cpus", 0)], ({"cpus": 0}, {}, {})),                                           # zero is kept
    ([{"name": "ports", "type": "RANGES", "ranges": {}}], ({}, {"ports": ()}, {})),          # and so is empty
])
def test_entries_of_one_name_and_role_add_up(entries, expected):
    bag = ResourceBag.from_mesos(entries)["*"]
    assert (bag.scalars, bag.ranges, bag.sets) == expected


PREFIX = "Failed to validate scheduler::Call: "
FID = {"value": "f"}


@pytest.mark.parametrize("call,message", [
    ({}, PREFIX + "Expecting 'type' to be present"),
    ({"type": "NOPE"}, PREFIX + "Expecting 'type' to be present"),
    ({"type": "REVIVE"}, PREFIX + "Expecting 'framework_id' to be present"),
    ({"type": "ACCEPT", "framework_id": FID}, PREFIX + "Expecting 'accept' to be present"),
    ({"type": "KILL", "framework_id": FID, "kill": {}}, PREFIX + "Expecting 'task_id' to be present"),
    ({"type": "ACKNOWLEDGE", "framework_id": FID,
      "acknowledge": {"agent_id": FID, "task_id": FID, "uuid": "AAAA"}}, PREFIX + "Not a valid UUID"),
    ({"type": "SUBSCRIBE", "framework_id": {"value": "a"},
      "subscribe": {"framework_info": {"user": "u", "name": "n", "id": {"value": "b"}}}},
     PREFIX + "'framework_id' differs from 'subscribe.framework_info.id'"),
    ({"type": "SHUTDOWN", "framework_id": FID, "shutdown": {"agent_id": FID}},
     PREFIX + "Expecting 'executor_id' to be present"),
])
def test_validate_call_errors(call, message):
    with pytest.raises(CallError) as err:
        validate_call(call)
    assert (err.value.status, err.value.text) == (400, message)


@pytest.mark.parametrize("call,ctype", [
    ({"type": "REVIVE", "framework_id": FID}, "REVIVE"),
    ({"type": "ACKNOWLEDGE", "framework_id": FID,
      "acknowledge": {"agent_id": FID, "task_id": FID, "uuid": "AAAAAAAAAAAAAAAAAAAAAA=="}}, "ACKNOWLEDGE"),
    ({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u", "name": "n"}}}, "SUBSCRIBE"),
])
def test_validate_call_ok(call, ctype):
    assert validate_call(call) == ctype


@pytest.mark.parametrize("body,message", [
    (b"{not json", "Failed to parse body into JSON: syntax error at line 1 near: not json"),
    (b'{"a":\n tru}', "Failed to parse body into JSON: syntax error at line 2 near: tru}"),
    (b"\xff", "Failed to parse body into JSON: invalid UTF-8"),
])
def test_parse_json_body(body, message):
    with pytest.raises(CallError) as err:
        parse_json_body(body)
    assert err.value.text == message


@pytest.mark.parametrize("body,value", [
    (b'{"type": "REVIVE", "revive": {"roles": ["a", "\xc3\xa9"]}}',
     {"type": "REVIVE", "revive": {"roles": ["a", "\u00e9"]}}),
    (b'{"type": "REVIVE", "revive": null, "x": [1, null]}', {"type": "REVIVE", "x": [1]}),   # null: not set
    (b'{"n": 18446744073709551615, "big": 18446744073709551616}',                  # beyond 64 bits: a double,
     {"n": 2 ** 64 - 1, "big": float(2 ** 64)}),                                   # as picojson reads it
    (b'{"s": "a\\ud800"}', {"s": "a\ud800"}),              # what orjson refuses, the standard library reads
    (b'{"x": 1e999}', {"x": float("inf")}),                  # (infinite values are refused where they are used)
])
def test_parse_json_body_reads(body, value):
    assert parse_json_body(body) == value


TASK = {"task_id": {"value": "t"}, "agent_id": {"value": "a"}, "name": "t", "command": {"value": "x"},
        "resources": [scalar("cpus", 0.1)]}


@pytest.mark.parametrize("change,message", [
    ({}, None),
    ({"command": None}, "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"),
    ({"executor": {"executor_id": {"value": "e"}, "command": {"value": "x"}}},
     "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"),
    ({"agent_id": {"value": "other"}}, "Task uses invalid agent: other"),
    ({"task_id": {"value": "a/b"}}, "'a/b' contains invalid characters"),
    ({"resources": []}, "Task uses no resources"),
    ({"kill_policy": {"grace_period": {"nanoseconds": -1}}},
     "Task's 'kill_policy.grace_period' must be non-negative"),
    ({"task_id": {"value": "dup"}}, "Task has duplicate ID: dup"),
])
def test_validate_task(change, message):
    task = {k: v for k, v in {**TASK, **change}.items() if v is not None}
    assert validate_task(task, agent_id="a", seen_ids={"dup"}, known_ids=set()) == message


@pytest.mark.parametrize("ip,value", [("127.0.0.1", 16777343), ("10.0.0.1", 16777226), ("0.0.0.0", 0)])
def test_ip_as_network_order_uint32(ip, value):
    assert ip_as_uint32(ip) == value


def test_master_info_in_events_and_in_zookeeper():
    event = master_info("m", "127.0.0.1", "127.0.0.1", 5050)
    zk = master_info("m", "127.0.0.1", "127.0.0.1", 5050, for_zookeeper=True)
    assert event["capabilities"][-1] == {} and zk["capabilities"][-1] == {"type": "QUOTA_V2"}
    assert zk["pid"] == "master@127.0.0.1:5050" and zk["address"]["port"] == 5050


@pytest.mark.parametrize("state,aware,seen", [
    ("TASK_UNREACHABLE", False, "TASK_LOST"), ("TASK_UNREACHABLE", True, "TASK_UNREACHABLE"),
    ("TASK_DROPPED", False, "TASK_LOST"), ("TASK_RUNNING", False, "TASK_RUNNING"),
    ("TASK_GONE", True, "TASK_GONE")])
def test_visible_state(state, aware, seen):
    assert visible_state(state, aware) == seen


@pytest.mark.parametrize("children,leader", [
    (["json.info_0000000003", "json.info_0000000001", "log_replicas"], "json.info_0000000001"),
    (["log_replicas"], None),
    ([], None),
    (["json.info_0000000010", "json.info_0000000009"], "json.info_0000000009"),
])
def test_leader_child(children, leader):
    assert leader_child(children) == leader


@pytest.mark.parametrize("url,parsed", [
    ("zk://127.0.0.1:2181/mesos", ("127.0.0.1:2181", "/mesos", None)),
    ("zk://u:p@h1:1,h2:2/a/b", ("h1:1,h2:2", "/a/b", "u:p")),
])
def test_parse_zk_url(url, parsed):
    assert parse_zk_url(url) == parsed


@pytest.mark.parametrize("url", ["http://h/mesos", "zk://h:1/", "zk://h:1"])
def test_parse_zk_url_rejects(url):
    with pytest.raises(MasterURLError):
        parse_zk_url(url)


def test_a_duplicate_znode_of_this_master_still_counts_as_leading():
    """A second json.info_ node of the same master (a lost create reply, a reconnect race) must not make
    it redirect frameworks to itself."""
    from types import SimpleNamespace

    from mesosframe.local.master.zookeeper import ZooKeeperContender

    decisions = []
    contender = ZooKeeperContender.__new__(ZooKeeperContender)
    contender._stopped, contender.path, contender.master_id = False, "/mesos", "m-1"
    contender.node = "/mesos/json.info_0000000002"            # our newer registration
    contender.client = SimpleNamespace(get=lambda path: (b'{"id":"m-1","address":{"hostname":"h","port":5}}', None))
    contender._apply = lambda leading, leader: decisions.append((leading, leader))
    contender._on_children(["json.info_0000000001", "json.info_0000000002"])
    contender.client = SimpleNamespace(get=lambda path: (b'{"id":"m-2","address":{"hostname":"h2","port":6}}', None))
    contender._on_children(["json.info_0000000001", "json.info_0000000002"])
    assert decisions == [(True, None), (False, ("h2", 6))]


@pytest.mark.parametrize("pairs, overlaps", [
    ([], False), ([(1, 5)], False), ([(1, 2), (3, 4)], False),        # adjacent is not overlapping
    ([(1, 10), (5, 20)], True), ([(1, 10), (10, 10)], True),
    ([(5, 20), (1, 10)], False),        # Mesos only looks for a later range beginning inside an earlier one
    ([(1, 2), (8, 9), (3, 9)], False), ([(1, 2), (3, 9), (8, 9)], True),
])
def test_ranges_overlap_is_mesoss_order_dependent_rule(pairs, overlaps):
    assert ranges_overlap(pairs) is overlaps
