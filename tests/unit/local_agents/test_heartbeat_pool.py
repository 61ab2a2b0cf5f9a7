"""HeartbeatPool: one timer per (loop, master, interval), lazily created and dropped with its last member."""
from __future__ import annotations

import pytest

from mesosframe.local.agents.heartbeats import HeartbeatPool
from mesosframe.local.agents.recording import RecordingMaster


def test_pools_are_per_interval_and_master(loop, master):
    other = RecordingMaster()
    HeartbeatPool.join(loop, master, 1.0, "a")
    HeartbeatPool.join(loop, master, 1.0, "b")
    HeartbeatPool.join(loop, master, 2.0, "c")
    HeartbeatPool.join(loop, other, 1.0, "d")
    assert loop.pending() == 3
    loop.advance(2)
    assert master.heartbeats == {"a": 2, "b": 2, "c": 1} and other.heartbeats == {"d": 2}
    for agent_id, target, interval in (("a", master, 1.0), ("b", master, 1.0), ("c", master, 2.0),
                                       ("d", other, 1.0)):
        HeartbeatPool.leave(loop, target, interval, agent_id)
    assert loop.pending() == 0


def test_join_is_idempotent_and_leave_of_a_stranger_is_harmless(loop, master):
    HeartbeatPool.join(loop, master, 1.0, "a")
    HeartbeatPool.join(loop, master, 1.0, "a")
    HeartbeatPool.leave(loop, master, 1.0, "nobody")
    HeartbeatPool.leave(loop, master, 3.0, "a")
    loop.advance(1)
    assert master.heartbeats == {"a": 1}
    HeartbeatPool.leave(loop, master, 1.0, "a")
    assert not HeartbeatPool.is_member(loop, master, 1.0, "a")


def test_a_failing_heartbeat_does_not_silence_the_others(loop, master):
    calls = []

    def heartbeat(agent_id):
        calls.append(agent_id)
        if agent_id == "bad":
            raise RuntimeError("boom")

    master.agent_heartbeat = heartbeat
    HeartbeatPool.join(loop, master, 1.0, "bad")
    HeartbeatPool.join(loop, master, 1.0, "good")
    loop.advance(2)
    assert calls == ["bad", "good", "bad", "good"]
    HeartbeatPool.leave(loop, master, 1.0, "bad")
    HeartbeatPool.leave(loop, master, 1.0, "good")


@pytest.mark.parametrize("interval", [0, -1])
def test_interval_must_be_positive(loop, master, interval):
    with pytest.raises(ValueError):
        HeartbeatPool.join(loop, master, interval, "a")
