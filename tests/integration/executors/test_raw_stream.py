"""The SUBSCRIBE stream on the wire: chunked RecordIO, no Mesos-Stream-Id, HEARTBEAT events, and one stream
per executor (a re-subscription ends the old one)."""
from __future__ import annotations

import json

import httpx
import pytest

from executor_harness import FRAMEWORK, wait_for

pytestmark = pytest.mark.timeout(30)

EXECUTOR = {"executor_id": {"value": "ex-1"}, "command": {"value": "unused"}}
SUBSCRIBE = {"type": "SUBSCRIBE", "framework_id": {"value": "fw-1"}, "executor_id": {"value": "ex-1"},
             "subscribe": {"unacknowledged_tasks": [], "unacknowledged_updates": []}}


def records(chunks):
    """Parse RecordIO from an iterator of byte chunks."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while b"\n" in buffer:
            length, rest = buffer.split(b"\n", 1)
            if len(rest) < int(length):
                break
            yield json.loads(rest[:int(length)])
            buffer = rest[int(length):]


def test_stream_framing_heartbeats_and_single_subscriber(harness_factory, fake_launcher):
    h = harness_factory(fake_launcher, heartbeat_interval=0.1)
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [{"task_id": {"value": "t1"}, "executor": EXECUTOR}], False)
    wait_for(lambda: fake_launcher.specs, what="launch")
    url = f"http://127.0.0.1:{h.port}/api/v1/executor"
    with httpx.Client(timeout=10) as first, first.stream("POST", url, json=SUBSCRIBE) as response:
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        assert response.headers["content-type"].startswith("application/json")
        assert "mesos-stream-id" not in response.headers
        events = records(response.iter_raw())
        kinds = [next(events)["type"] for _ in range(3)]
        assert kinds == ["SUBSCRIBED", "LAUNCH", "HEARTBEAT"]

        with httpx.Client(timeout=10) as second, second.stream("POST", url, json=SUBSCRIBE) as again:
            assert next(records(again.iter_raw()))["type"] == "SUBSCRIBED"
            rest = [e["type"] for e in events]            # the first stream ends
            assert set(rest) <= {"HEARTBEAT"}
