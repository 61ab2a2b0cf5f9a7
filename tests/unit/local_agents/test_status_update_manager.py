"""StatusUpdateManager: ordered per task, re-sent with exponential backoff until acknowledged."""
from __future__ import annotations

import base64

import pytest

from mesosframe.local.agents.updates import StatusUpdateManager, is_terminal, stamp


def make(task_id, state, now=0.0):
    status = {"task_id": {"value": task_id}, "state": state}
    raw = stamp(status, now)
    return status, raw


@pytest.fixture
def sent():
    return []


@pytest.fixture
def manager(loop, sent):
    return StatusUpdateManager(lambda fid, status: sent.append((fid, status["state"], loop.clock.monotonic())),
                               loop, retry=(10.0, 40.0))


def test_stamp_gives_fresh_16_byte_uuid_and_timestamp():
    a, raw_a = make("t", "TASK_RUNNING", now=123.5)
    b, raw_b = make("t", "TASK_RUNNING")
    assert len(raw_a) == 16 and base64.b64decode(a["uuid"]) == raw_a
    assert raw_a != raw_b
    assert a["timestamp"] == 123.5


@pytest.mark.parametrize("state, terminal", [
    ("TASK_STARTING", False), ("TASK_RUNNING", False), ("TASK_KILLING", False), ("TASK_STAGING", False),
    ("TASK_UNREACHABLE", False), ("TASK_FINISHED", True), ("TASK_FAILED", True), ("TASK_KILLED", True),
    ("TASK_ERROR", True), ("TASK_LOST", True), ("TASK_DROPPED", True), ("TASK_GONE", True),
    ("TASK_GONE_BY_OPERATOR", True),
])
def test_terminal_states(state, terminal):
    assert is_terminal(state) is terminal


def test_only_the_head_is_sent_and_the_next_follows_its_ack(manager, sent):
    starting, raw_starting = make("t1", "TASK_STARTING")
    running, raw_running = make("t1", "TASK_RUNNING")
    manager.update("f", starting, raw_starting)
    manager.update("f", running, raw_running)
    assert [s[1] for s in sent] == ["TASK_STARTING"]
    assert manager.acknowledge("f", "t1", raw_starting) is starting
    assert [s[1] for s in sent] == ["TASK_STARTING", "TASK_RUNNING"]
    assert manager.pending("f", "t1") == [running]


def test_resend_backoff_doubles_up_to_max(manager, sent, loop):
    status, _ = make("t1", "TASK_RUNNING")
    manager.update("f", status, _)
    loop.advance(200)
    times = [t for _, _, t in sent]
    assert times == [0, 10, 30, 70, 110, 150, 190]   # gaps 10, 20, 40 (max), 40, ...


@pytest.mark.parametrize("ack_uuid_of, expect_resend", [("head", False), ("other", True), ("unknown", True)])
def test_only_the_heads_uuid_acknowledges(manager, sent, loop, ack_uuid_of, expect_resend):
    head, raw_head = make("t1", "TASK_STARTING")
    second, raw_second = make("t1", "TASK_RUNNING")
    manager.update("f", head, raw_head)
    manager.update("f", second, raw_second)
    uuid = {"head": raw_head, "other": raw_second, "unknown": b"x" * 16}[ack_uuid_of]
    result = manager.acknowledge("f", "t1", uuid)
    assert (result is None) is expect_resend
    loop.advance(10)
    assert sent[-1][1] == ("TASK_STARTING" if expect_resend else "TASK_RUNNING")


def test_tasks_are_independent(manager, sent):
    a, raw_a = make("a", "TASK_RUNNING")
    b, raw_b = make("b", "TASK_RUNNING")
    manager.update("f", a, raw_a)
    manager.update("f", b, raw_b)
    assert [s[1] for s in sent] == ["TASK_RUNNING", "TASK_RUNNING"]
    assert manager.acknowledge("f", "b", raw_b) is b
    assert manager.pending("f", "a") == [a]


def test_acknowledged_terminal_update_forgets_the_task(manager, loop, sent):
    running, raw_running = make("t1", "TASK_RUNNING")
    done, raw_done = make("t1", "TASK_FINISHED")
    manager.update("f", running, raw_running)
    manager.update("f", done, raw_done)
    manager.acknowledge("f", "t1", raw_running)
    assert manager.tasks() == [("f", "t1")]
    manager.acknowledge("f", "t1", raw_done)
    assert manager.tasks() == []
    assert loop.pending() == 0
    loop.advance(100)
    assert len(sent) == 2


def test_acknowledged_non_terminal_keeps_the_stream(manager):
    running, raw = make("t1", "TASK_RUNNING")
    manager.update("f", running, raw)
    manager.acknowledge("f", "t1", raw)
    assert manager.tasks() == [("f", "t1")] and manager.pending("f", "t1") == []


def test_backoff_restarts_for_the_next_update(manager, sent, loop):
    first, raw_first = make("t1", "TASK_STARTING")
    second, raw_second = make("t1", "TASK_RUNNING")
    manager.update("f", first, raw_first)
    manager.update("f", second, raw_second)
    loop.advance(30)                                   # sent at 0, 10, 30
    manager.acknowledge("f", "t1", raw_first)          # second sent at 30
    loop.advance(10)
    assert [(s, t) for _, s, t in sent][-2:] == [("TASK_RUNNING", 30), ("TASK_RUNNING", 40)]


def test_pause_holds_updates_and_resume_resends_heads(manager, sent, loop):
    first, raw_first = make("t1", "TASK_RUNNING")
    manager.update("f", first, raw_first)
    manager.pause()
    later, raw_later = make("t2", "TASK_RUNNING")
    manager.update("f", later, raw_later)
    loop.advance(100)
    assert len(sent) == 1
    manager.resume()
    assert [s[1] for s in sent[1:]] == ["TASK_RUNNING", "TASK_RUNNING"]


def test_forget_drops_a_framework_and_its_timers(manager, loop, sent):
    a, raw_a = make("a", "TASK_RUNNING")
    b, raw_b = make("b", "TASK_RUNNING")
    manager.update("f1", a, raw_a)
    manager.update("f2", b, raw_b)
    manager.forget("f1")
    assert manager.tasks() == [("f2", "b")]
    loop.advance(10)
    assert [fid for fid, _, _ in sent] == ["f1", "f2", "f2"]


@pytest.mark.parametrize("retry", [(0, 10), (10, 5), (-1, 1)])
def test_bad_retry_settings_are_rejected(loop, retry):
    with pytest.raises(ValueError):
        StatusUpdateManager(lambda *_: None, loop, retry=retry)


def test_acknowledgement_during_send_leaves_no_stray_timer(loop):
    """A master may acknowledge synchronously inside `send`; no retry may survive for acked updates."""
    sent = []
    updates = {}

    def send(framework_id, status):
        sent.append(status["state"])
        manager.acknowledge(framework_id, "t1", updates[status["state"]])

    manager = StatusUpdateManager(send, loop, retry=(1.0, 1.0))
    for state in ("TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"):
        status, raw = make("t1", state)
        updates[state] = raw
        manager.update("f", status, raw)
    assert loop.pending() == 0 and manager.tasks() == []
    loop.advance(10)
    assert sent == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
