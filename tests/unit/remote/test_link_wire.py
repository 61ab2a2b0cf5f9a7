"""The agent link's wire format: RecordIO framing, message checks, AgentInfo JSON, backoff."""
from __future__ import annotations

import random

import pytest

from mesosframe.local.protocol import AgentInfo
from mesosframe.local.remote.wire import (
    AGENT_CALLS, Backoff, LinkProtocolError, RecordIODecoder, encode_record, info_from_json, info_to_json,
    parse_message, register_call, registered_task_infos, registered_tasks, unb64,
)

EVENTS = [{"type": "REGISTERED", "agent_id": "a"}, {"type": "PING"},
          {"type": "LAUNCH", "framework": {"id": {"value": "f"}}, "tasks": [], "executor": None}]


@pytest.mark.parametrize("chunk_size", [1, 2, 7, 1000])
def test_decoder_reassembles_records_from_any_chunking(chunk_size):
    data = b"".join(encode_record(e) for e in EVENTS)
    decoder, out = RecordIODecoder(), []
    for start in range(0, len(data), chunk_size):
        out += decoder.feed(data[start:start + chunk_size])
    assert out == EVENTS


def test_encode_record_counts_utf8_bytes():
    record = encode_record({"type": "PING", "note": "é"})
    length, _, body = record.partition(b"\n")
    assert int(length) == len(body) and "é".encode() in body


@pytest.mark.parametrize("data", [b"x\n{}", b"5\n[1,2]", b"9\n{\"type\":1}", b"2\n{}", b"-1\n",
                                  b"1" * 30, b"12\n{\"type\":\"X\"}"])
def test_decoder_rejects_malformed_streams(data):
    with pytest.raises(LinkProtocolError):
        RecordIODecoder().feed(data)


@pytest.mark.parametrize("body,ok", [
    (b'{"type":"HEARTBEAT","agent_id":"a"}', True),
    (b'{"type":"REGISTER"}', True),
    (b'{"type":"PING"}', False),          # a master event, not an agent call
    (b'{"type":"UPDATE"', False),
    (b'"UPDATE"', False),
    (b'\xff', False),
])
def test_parse_message_accepts_only_known_agent_calls(body, ok):
    if ok:
        assert parse_message(body, AGENT_CALLS)["type"] in AGENT_CALLS
    else:
        with pytest.raises(LinkProtocolError):
            parse_message(body, AGENT_CALLS)


def test_agent_info_round_trips_and_unknown_keys_are_ignored():
    info = AgentInfo(agent_id="a1", hostname="10.0.0.5", port=5051,
                     resources=[{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}}],
                     attributes=[{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}], kind="simulated")
    data = info_to_json(info)
    data["future_field"] = 1
    assert info_from_json(data) == info


@pytest.mark.parametrize("data", [None, [], {"hostname": "h"}, {"agent_id": "a"}, {"agent_id": "", "hostname": "h"},
                                  {"agent_id": "a", "hostname": "h", "resources": "cpus:1"}])
def test_agent_info_needs_id_hostname_and_lists(data):
    with pytest.raises(LinkProtocolError):
        info_from_json(data)


def test_register_call_carries_live_tasks():
    status = {"task_id": {"value": "t"}, "state": "TASK_RUNNING"}
    call = register_call(AgentInfo(agent_id="a", hostname="h"), [("f1", status)])
    assert registered_tasks(call) == [("f1", status)]
    assert registered_tasks({"type": "REGISTER"}) == []
    with pytest.raises(LinkProtocolError):
        registered_tasks({"tasks": [{"framework_id": 1, "status": status}]})


def test_unb64_rejects_garbage():
    assert unb64("AAE=") == b"\x00\x01"
    with pytest.raises(LinkProtocolError):
        unb64("not base64!")


def test_backoff_doubles_to_the_cap_and_resets():
    backoff = Backoff(initial=0.5, maximum=3.0, jitter=0.0)
    assert [backoff.next_delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_backoff_jitter_only_shortens():
    backoff = Backoff(initial=1.0, maximum=1.0, jitter=0.5, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(50)]
    assert all(0.5 <= d <= 1.0 for d in delays) and len(set(delays)) > 1


@pytest.mark.parametrize("args", [(0, 1), (2, 1), (1, 2, 1.0), (1, 2, -0.1)])
def test_backoff_rejects_bad_parameters(args):
    with pytest.raises(ValueError):
        Backoff(*args)


def test_register_call_carries_task_infos_and_tolerates_their_absence():
    status = {"task_id": {"value": "t"}, "state": "TASK_RUNNING"}
    info = {"task_id": {"value": "t"}, "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}]}
    call = register_call(AgentInfo(agent_id="a", hostname="h"), [("f1", info, status), ("f2", status)])
    assert registered_task_infos(call) == [("f1", info, status), ("f2", {"task_id": {"value": "t"}}, status)]
    assert registered_tasks(call) == [("f1", status), ("f2", status)]
    for bad in ({"framework_id": "f", "status": status, "task": []}, {"framework_id": "f", "status": {}}):
        with pytest.raises(LinkProtocolError):
            registered_task_infos({"tasks": [bad]})
