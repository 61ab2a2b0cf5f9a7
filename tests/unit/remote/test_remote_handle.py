"""RemoteAgentHandle (commands become stream events; it mirrors the agent's live tasks) and the link
server's agent calls, against a recording master (no sockets)."""
from __future__ import annotations

import base64

import pytest

from mesosframe.local.agents.recording import RecordingMaster
from mesosframe.local.protocol import AgentInfo
from mesosframe.local.remote.master_side import AgentLinkServer, RemoteAgentHandle
from mesosframe.local.remote.wire import b64
from tests.recording_sink import RecordingSink


def status(task_id: str, state: str, uuid: bytes = b"u" * 16) -> dict:
    return {"task_id": {"value": task_id}, "state": state, "uuid": b64(uuid)}


def make_handle(tasks=()) -> tuple[RemoteAgentHandle, RecordingSink]:
    sink = RecordingSink()
    return RemoteAgentHandle(AgentInfo(agent_id="a1", hostname="10.0.0.5"), sink, "s1", list(tasks)), sink


@pytest.mark.parametrize("method,args,event", [
    ("launch_tasks", ({"id": {"value": "f"}}, [{"task_id": {"value": "t"}}]),
     {"type": "LAUNCH", "framework": {"id": {"value": "f"}}, "tasks": [{"task_id": {"value": "t"}}], "executor": None}),
    ("kill_task", ("f", "t", {"grace_period": {"nanoseconds": 1}}),
     {"type": "KILL", "framework_id": "f", "task_id": "t", "kill_policy": {"grace_period": {"nanoseconds": 1}}}),
    ("acknowledge", ("f", "t", b"\x01" * 16),
     {"type": "ACKNOWLEDGE", "framework_id": "f", "task_id": "t", "uuid": b64(b"\x01" * 16)}),
    ("shutdown_framework", ("f",), {"type": "SHUTDOWN_FRAMEWORK", "framework_id": "f"}),
    ("shutdown_executor", ("f", "e"), {"type": "SHUTDOWN_EXECUTOR", "framework_id": "f", "executor_id": "e"}),
    ("framework_message", ("f", "e", b"hi"),
     {"type": "MESSAGE", "framework_id": "f", "executor_id": "e", "data": base64.b64encode(b"hi").decode()}),
])
def test_commands_become_stream_events(method, args, event):
    handle, sink = make_handle()
    getattr(handle, method)(*args)
    assert sink.events == [event]


def test_mirror_follows_updates_and_forgets_acknowledged_terminal_tasks():
    handle, _ = make_handle([("f", status("t1", "TASK_RUNNING"))])
    handle.observe("f", status("t2", "TASK_STARTING"))
    handle.observe("f", status("t1", "TASK_FINISHED", b"x" * 16))
    assert sorted((f, s["task_id"]["value"], s["state"]) for f, s in handle.reregister_tasks()) == [
        ("f", "t1", "TASK_FINISHED"), ("f", "t2", "TASK_STARTING")]
    handle.acknowledge("f", "t1", b"u" * 16)       # an older update's uuid: the task stays
    assert len(handle.reregister_tasks()) == 2
    handle.acknowledge("f", "t1", b"x" * 16)
    handle.acknowledge("f", "t2", b"u" * 16)       # not terminal: stays
    assert [s["task_id"]["value"] for _, s in handle.reregister_tasks()] == ["t2"]
    handle.shutdown_framework("f")
    assert handle.reregister_tasks() == []


def test_stop_closes_the_stream():
    handle, sink = make_handle()
    handle.stop()
    assert sink.closed


def _call(server, body: dict, stream_id: str | None):
    return server._call(body, stream_id)


def test_agent_calls_reach_the_master_only_on_the_current_stream():
    master = RecordingMaster()
    server = AgentLinkServer(master)
    handle, _ = make_handle()
    server.handles["a1"] = handle
    update = status("t1", "TASK_RUNNING")
    call = {"type": "UPDATE", "agent_id": "a1", "framework_id": "f", "status": update}
    assert _call(server, call, "s1").status == 202
    assert _call(server, {"type": "HEARTBEAT", "agent_id": "a1"}, "s1").status == 202
    assert _call(server, {"type": "EXECUTOR_MESSAGE", "agent_id": "a1", "framework_id": "f", "executor_id": "e",
                          "data": b64(b"m")}, "s1").status == 202
    assert _call(server, {"type": "EXECUTOR_EXITED", "agent_id": "a1", "framework_id": "f", "executor_id": "e",
                          "status": 9}, "s1").status == 202
    assert master.updates == [("a1", "f", update)] and master.heartbeats == {"a1": 1}
    assert master.calls == [("executor_message", ("a1", "f", "e", b"m")), ("executor_exited", ("a1", "f", "e", 9))]
    assert handle.reregister_tasks() == [("f", update)]
    for agent_id, stream_id in (("a1", "old"), ("a1", None), ("zz", "s1")):
        assert _call(server, {"type": "HEARTBEAT", "agent_id": agent_id}, stream_id).status == 409
    master.leading = False
    assert _call(server, {"type": "HEARTBEAT", "agent_id": "a1"}, "s1").status == 409
    assert master.heartbeats == {"a1": 1}


def test_server_rejects_a_non_positive_ping_interval():
    from mesosframe.errors import ConfigurationError
    with pytest.raises(ConfigurationError):
        AgentLinkServer(RecordingMaster(), ping_interval=0)


def test_handle_reports_task_infos_from_register_and_launch():
    registered = {"task_id": {"value": "t1"}, "name": "one"}
    handle = RemoteAgentHandle(AgentInfo(agent_id="a", hostname="h"), RecordingSink(), "s",
                               [("f", registered, status("t1", "TASK_RUNNING")), ("f", status("t0", "TASK_RUNNING"))])
    executor = {"executor_id": {"value": "e"}}
    handle.launch_tasks({"id": {"value": "f"}}, [{"task_id": {"value": "t2"}, "name": "two"}], executor)
    handle.observe("f", status("t2", "TASK_RUNNING"))
    infos = {s["task_id"]["value"]: (fid, info) for fid, info, s in handle.reregister_task_infos()}
    assert infos == {"t0": ("f", {"task_id": {"value": "t0"}}), "t1": ("f", registered),
                     "t2": ("f", {"task_id": {"value": "t2"}, "name": "two", "executor": executor})}
    handle.shutdown_framework("f")
    assert handle.reregister_task_infos() == []
