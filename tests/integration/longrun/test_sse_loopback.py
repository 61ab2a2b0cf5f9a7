"""The SSE stream end to end: a real uvicorn server on loopback, events published from another thread."""
from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
import uvicorn

from mesosframe.core.clock import FakeClock
from schedulers.longrun.api import create_app
from schedulers.longrun.memory import InMemoryLongrunService


@pytest.fixture
def server():
    service = InMemoryLongrunService(FakeClock())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started
    yield service, f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.mark.timeout(30)
def test_events_stream_over_http(server):
    service, url = server
    seen: list[str] = []
    with httpx.Client(base_url=url, timeout=10) as client:
        with client.stream("GET", "/v2/events", params={"event_type": ["event_stream_attached", "deployment_success"]},
                           headers={"accept": "text/event-stream"}) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            for line in lines:
                if line.startswith("event: "):
                    seen.append(line[len("event: "):])
                    break
            assert service.bus.subscriber_count == 1
            assert client.post("/v2/apps", json={"id": "/web", "cmd": "x"}).status_code == 201
            service.settle()      # publishes from this thread; the server's loop delivers
            for line in lines:
                if line.startswith("event: "):
                    seen.append(line[len("event: "):])
                    break
    assert seen == ["event_stream_attached", "deployment_success"]


@pytest.mark.timeout(30)
def test_closing_every_subscription_ends_open_streams_cleanly(server):
    service, url = server
    with httpx.Client(base_url=url, timeout=10) as client:
        with client.stream("GET", "/v2/events", headers={"accept": "text/event-stream"}) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("event: event_stream_attached")
            service.bus.close_all()               # as the server does before it stops
            rest = list(lines)                    # the stream ends: the answer is complete, not cut off
            assert service.bus.subscriber_count == 0
            assert not any(line.startswith("event: ") for line in rest)
