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
