"""The executor API's refusals over HTTP: 405, 415, 400 (bad call, unknown framework/executor), 403."""
from __future__ import annotations

import base64

import httpx
import pytest

from executor_harness import FRAMEWORK, wait_for

pytestmark = pytest.mark.timeout(30)

EXECUTOR = {"executor_id": {"value": "ex-1"}, "command": {"value": "unused"}}
UUID = base64.b64encode(bytes(16)).decode()


def update(framework: str = "fw-1", executor: str = "ex-1") -> dict:
    return {"type": "UPDATE", "framework_id": {"value": framework}, "executor_id": {"value": executor},
            "update": {"status": {"task_id": {"value": "t1"}, "state": "TASK_RUNNING",
                                  "source": "SOURCE_EXECUTOR", "uuid": UUID}}}


@pytest.mark.parametrize("name, request_kwargs, status, text", [
    ("GET is not allowed", {"method": "GET"}, 405, "Expecting 'POST'"),
    ("protobuf is not served", {"content": b"x", "headers": {"Content-Type": "application/x-protobuf"}}, 415,
     "Content-Type"),
    ("unknown framework", {"json": update(framework="other")}, 400, "Framework other cannot be found"),
    ("unknown executor", {"json": update(executor="other")}, 400, "Executor other cannot be found"),
    ("update before SUBSCRIBE", {"json": update()}, 403, "Executor is not subscribed"),
    ("heartbeat before SUBSCRIBE", {"json": {**update(), "type": "HEARTBEAT"}}, 403, "Executor is not subscribed"),
])
def test_refusals(harness_factory, fake_launcher, name, request_kwargs, status, text):
    h = harness_factory(fake_launcher)
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [{"task_id": {"value": "t1"}, "executor": EXECUTOR}], False)
    wait_for(lambda: fake_launcher.specs, what="launch")
    kwargs = dict(request_kwargs)
    method = kwargs.pop("method", "POST")
    response = httpx.request(method, f"http://127.0.0.1:{h.port}/api/v1/executor", timeout=5, **kwargs)
    assert response.status_code == status, name
    assert text in response.text, name
