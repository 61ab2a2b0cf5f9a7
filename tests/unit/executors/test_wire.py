"""Executor call validation, RecordIO records and the executor environment (pure)."""
from __future__ import annotations

import base64
import json
import pathlib

import pytest

from mesosframe.local.executors.wire import (
    ExecutorCallError, duration_text, event, executor_environment, nanoseconds_to_seconds, parse_call, record,
    wait_status,
)

UUID = base64.b64encode(bytes(range(16))).decode()
IDS = {"framework_id": {"value": "fw"}, "executor_id": {"value": "ex"}}


def update(**status) -> dict:
    body = {"task_id": {"value": "t"}, "state": "TASK_RUNNING", "source": "SOURCE_EXECUTOR", "uuid": UUID}
    body.update(status)
    return dict(IDS, type="UPDATE", update={"status": {k: v for k, v in body.items() if v is not None}})


def raw(body) -> bytes:
    return json.dumps(body).encode()


@pytest.mark.parametrize("body, reason", [
    (update(uuid=base64.b64encode(b"short").decode()), "'uuid' is not a valid UUID"),
    (update(uuid=None), "'uuid' is not a valid UUID"),
    (update(uuid="%%%"), "not valid base64"),
    (update(source="SOURCE_AGENT"), "invalid source"),
    (update(source=None), "invalid source"),
    (update(state="TASK_STAGING"), "TASK_STAGING"),
    (update(executor_id={"value": "other"}), "does not match ExecutorID"),
    (update(task_id=None), "task_id"),
    (dict(IDS, type="UPDATE"), "'update'"),
    (dict(IDS, type="MESSAGE", message={}), "'message'"),
    (dict(IDS, type="SUBSCRIBE"), "'subscribe'"),
    (dict(IDS, type="BOGUS"), "unknown call type"),
    ({"type": "HEARTBEAT", "executor_id": {"value": "ex"}}, "framework_id"),
    ({"type": "HEARTBEAT", "framework_id": {"value": "fw"}}, "executor_id"),
    ([1, 2], "expecting an object"),
])
def test_invalid_calls_are_400_with_a_reason(body, reason):
    with pytest.raises(ExecutorCallError) as err:
        parse_call(raw(body), "application/json")
    assert err.value.status == 400 and reason in err.value.reason


@pytest.mark.parametrize("content_type, data, status", [
    ("application/x-protobuf", raw(update()), 415),
    (None, raw(update()), 415),
    ("application/json", b"{not json", 400),
])
def test_transport_level_refusals(content_type, data, status):
    with pytest.raises(ExecutorCallError) as err:
        parse_call(data, content_type)
    assert err.value.status == status


@pytest.mark.parametrize("body, kind", [
    (update(), "UPDATE"),
    (update(executor_id={"value": "ex"}), "UPDATE"),
    (dict(IDS, type="SUBSCRIBE", subscribe={}), "SUBSCRIBE"),
    (dict(IDS, type="MESSAGE", message={"data": base64.b64encode(b"x").decode()}), "MESSAGE"),
    (dict(IDS, type="HEARTBEAT"), "HEARTBEAT"),
])
def test_valid_calls(body, kind):
    call = parse_call(raw(body), "application/json; charset=utf-8")
    assert (call.type, call.framework_id, call.executor_id) == (kind, "fw", "ex")
    if kind == "UPDATE":
        assert call.uuid == bytes(range(16))


def test_record_and_events():
    data = record(event("ACKNOWLEDGED", task_id={"value": "t"}, uuid=UUID))
    length, payload = data.split(b"\n", 1)
    assert int(length) == len(payload) and b"\n" not in payload
    assert json.loads(payload) == {"type": "ACKNOWLEDGED", "acknowledged": {"task_id": {"value": "t"}, "uuid": UUID}}
    assert event("SHUTDOWN") == {"type": "SHUTDOWN"} and event("HEARTBEAT") == {"type": "HEARTBEAT"}


@pytest.mark.parametrize("seconds, text", [(5, "5secs"), (0.3, "0.3secs"), (900, "15mins"), (90, "90secs")])
def test_duration_text(seconds, text):
    assert duration_text(seconds) == text


@pytest.mark.parametrize("duration, seconds", [(None, 5.0), ({}, 5.0), ({"nanoseconds": 1_500_000_000}, 1.5),
                                               ({"nanoseconds": -1}, 0.0)])
def test_nanoseconds_to_seconds(duration, seconds):
    assert nanoseconds_to_seconds(duration, 5.0) == seconds


@pytest.mark.parametrize("checkpoint", [True, False])
def test_executor_environment(checkpoint):
    env = executor_environment(base={"PATH": "/bin", "MESOS_RECOVERY_TIMEOUT": "stale"}, agent_id="a1",
                               endpoint="127.0.0.1:5051", framework_id="fw", executor_id="ex",
                               directory=pathlib.Path("/sb"), checkpoint=checkpoint, shutdown_grace=5.0,
                               extra={"FOO": "bar", "LIBPROCESS_PORT": "7"})
    assert env["PATH"] == "/bin" and env["FOO"] == "bar" and env["LIBPROCESS_PORT"] == "7"
    assert env["MESOS_SLAVE_PID"] == "slave(1)@127.0.0.1:5051" and env["MESOS_AGENT_ENDPOINT"] == "127.0.0.1:5051"
    assert env["MESOS_SANDBOX"] == env["MESOS_DIRECTORY"] == "/sb"
    assert env["MESOS_CHECKPOINT"] == ("1" if checkpoint else "0")
    assert env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] == "5secs"
    assert ("MESOS_RECOVERY_TIMEOUT" in env) is checkpoint
    assert ("MESOS_SUBSCRIPTION_BACKOFF_MAX" in env) is checkpoint


@pytest.mark.parametrize("returncode, status", [(0, 0), (1, 256), (3, 768), (-9, 9), (-15, 15)])
def test_wait_status(returncode, status):
    assert wait_status(returncode) == status
