"""Arbitrary call bodies never crash the master: every call ends in a status or a CallError."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from master_fakes import FakeLoop, RecordingSink
from mesosframe.core.clock import FakeClock
from mesosframe.local.agents import SimulatedAgent, parse_resources
from mesosframe.local.master import CallError, Master, MasterOptions
from mesosframe.local.master.validation import CALL_TYPES
from mesosframe.local.protocol import AgentInfo

JSON = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) |
                    st.text(max_size=5) | st.sampled_from(["m-O1", "m-S0", "LAUNCH", "t1"]),
                    lambda inner: st.lists(inner, max_size=3) |
                    st.dictionaries(st.sampled_from(["value", "task_id", "agent_id", "offer_ids", "operations",
                                                     "type", "launch", "task_infos", "resources", "uuid",
                                                     "filters", "refuse_seconds", "command", "name", "tasks",
                                                     "roles", "framework_info", "executor_id", "data"]),
                                    inner, max_size=4), max_leaves=12)


def make_master():
    clock = FakeClock()
    loop = FakeLoop(clock)
    master = Master(MasterOptions(), loop=loop, clock=clock, master_id="m")
    master.start()
    info = AgentInfo(agent_id="m-S0", hostname="h", resources=parse_resources("cpus:2;mem:512"))
    SimulatedAgent(master, info, loop=loop, clock=clock).start()
    sink = RecordingSink()
    _, stream = master.subscribe({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u", "name": "n"}}},
                              sink)
    loop.run()
    return master, loop, stream


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ctype=st.sampled_from(sorted(CALL_TYPES - {"SUBSCRIBE", "TEARDOWN"})), body=JSON)
def test_random_bodies_never_crash(ctype, body):
    master, loop, stream = make_master()
    call = {"type": ctype, "framework_id": {"value": "m-0000"}, ctype.lower(): body}
    try:
        status = master.handle(call, stream)
    except CallError as exc:
        assert exc.status in (400, 403)
    else:
        assert status in (200, 202, 501)
    loop.advance(2)
    assert master.leading and "m-0000" in master.frameworks


ODD_TASK_RESOURCES = [
    [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1e308}}],               # thousandths overflow
    [{"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": float("inf")}]}}],
    [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "role": ["a"]}],   # unhashable role
    [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "reservations": ["x"]}],
    [{"name": "disks", "type": "SET", "set": {"item": [1, 2]}}],
    [{"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31005},
                                                              {"begin": 31003, "end": 31004}]}}],   # overlapping
    [{"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 2 ** 64}]}}],
]


def test_an_accept_with_odd_task_resources_or_labels_loses_no_resources():
    """Each of these had raised inside ACCEPT (a 500) after the offer was taken: the agent was never offered
    again. Now the task fails (TASK_ERROR) or launches, and the agent's resources come back."""
    cases = [{"resources": r} for r in ODD_TASK_RESOURCES] + [{"labels": {"labels": [{"value": "no key"}]}}]
    for extra in cases:
        master, loop, stream = make_master()
        sink = master.frameworks["m-0000"].sink
        (offer,) = sink.offers()
        task = {"task_id": {"value": "t"}, "agent_id": offer["agent_id"], "name": "n", "command": {"value": "true"},
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}], **extra}
        call = {"type": "ACCEPT", "framework_id": {"value": "m-0000"},
                "accept": {"offer_ids": [offer["id"]], "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}]}}
        assert master.handle(call, stream) == 202, extra
        loop.advance(2)
        states = [s["state"] for s in sink.statuses()]
        assert states and states[0] in ("TASK_ERROR", "TASK_RUNNING", "TASK_STARTING"), (extra, states)
        if states[0] == "TASK_ERROR":
            assert master.agents["m-S0"].free, (extra, "the agent's resources were lost")


def test_call_bodies_python_reads_but_json_does_not_are_a_400():
    from mesosframe.local.master.validation import parse_json_body
    for body in (b'{"type": "REVIVE", "x": NaN}', b'{"type": "REVIVE", "x": Infinity}',
                 b'{"type": "REVIVE", "x": ' + b"1" * 5000 + b"}", b'{"a": ' + b"[" * 100000 + b"]" * 100000 + b"}",
                 b'{"a": ' + b"[" * 950 + b"null" + b"]" * 950 + b"}"):
        try:
            parse_json_body(body)
        except CallError as exc:
            assert exc.status == 400 and exc.text.startswith("Failed to parse body into JSON")
        else:
            raise AssertionError(f"accepted {body[:40]!r}")
