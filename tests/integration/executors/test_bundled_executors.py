"""The bundled executors as real processes under ExecutorHost: command executor (exit status, kill, health
checks HTTP/TCP/COMMAND) and the group executor (a pod of 3 tasks, default-executor failure rule)."""
from __future__ import annotations

import os
import signal
import socket
import sys

import pytest

from executor_harness import FRAMEWORK, wait_for

pytestmark = pytest.mark.timeout(60)

COMMAND_EXECUTOR = {"executor_id": {"value": "cmd"}, "type": "CUSTOM",
                    "command": {"value": f"exec {sys.executable} -m executors.command"},
                    "shutdown_grace_period": {"nanoseconds": 2_000_000_000}}
FAST = {"delay_seconds": 0.0, "interval_seconds": 0.1, "timeout_seconds": 1.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command_task(task_id: str, command: str, **extra) -> dict:
    return {"task_id": {"value": task_id}, "name": task_id, "agent_id": {"value": "agent-1"},
            "executor": COMMAND_EXECUTOR, "command": {"value": command},
            "kill_policy": {"grace_period": {"nanoseconds": 500_000_000}}, **extra}


def health_updates(h, task_id: str) -> list[dict]:
    return [s for s in list(h.statuses) if s["task_id"]["value"] == task_id
            and s.get("reason") == "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"]


def test_command_task_exit_status_and_sandbox_output(harness_factory):
    h = harness_factory()
    h.call(h.host.launch, FRAMEWORK, COMMAND_EXECUTOR, [command_task("t1", "echo hello-out; exit 3")], False)
    failed = h.wait_state("t1", "TASK_FAILED")
    assert failed["message"] == "Command exited with status 3" and failed["source"] == "SOURCE_EXECUTOR"
    assert h.states("t1") == ["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"]
    wait_for(lambda: h.master.exited, what="executor exit after its task")
    assert h.master.exited == [("agent-1", "fw-1", "cmd", 0)]
    sandboxes = list(h.host._work_dir.glob("slaves/agent-1/frameworks/fw-1/executors/cmd/runs/*-*"))
    assert "hello-out" in (sandboxes[0] / "stdout").read_text()


def test_http_health_check_reports_first_healthy_then_kill(harness_factory):
    h = harness_factory()
    port = free_port()
    check = {"type": "HTTP", "http": {"port": port, "path": "/"}, "grace_period_seconds": 20.0,
             "consecutive_failures": 3, **FAST}
    server = f"exec {sys.executable} -m http.server {port} --bind 127.0.0.1"
    h.call(h.host.launch, FRAMEWORK, COMMAND_EXECUTOR, [command_task("web", server, health_check=check)], False)
    healthy = wait_for(lambda: health_updates(h, "web"), what="a health update")[0]
    assert healthy["state"] == "TASK_RUNNING" and healthy["healthy"] is True
    assert h.call(h.host.kill_task, "fw-1", "web", None)
    killed = h.wait_state("web", "TASK_KILLED")
    assert "TASK_KILLING" in h.states("web") and "healthy" not in killed
    assert [u["healthy"] for u in health_updates(h, "web")] == [True]    # only the first success is reported


def test_tcp_health_check_failures_kill_the_task(harness_factory):
    h = harness_factory()
    check = {"type": "TCP", "tcp": {"port": free_port()}, "grace_period_seconds": 0.0,
             "consecutive_failures": 2, **FAST}
    h.call(h.host.launch, FRAMEWORK, COMMAND_EXECUTOR, [command_task("tcp", "exec sleep 30", health_check=check)],
           False)
    killed = h.wait_state("tcp", "TASK_KILLED")
    assert killed["healthy"] is False
    assert [u["healthy"] for u in health_updates(h, "tcp")] == [False, False]


def test_command_health_check_in_the_sandbox(harness_factory):
    h = harness_factory()
    check = {"type": "COMMAND", "command": {"value": "test -f ready"}, "grace_period_seconds": 10.0, **FAST}
    h.call(h.host.launch, FRAMEWORK, COMMAND_EXECUTOR,
           [command_task("cmd-check", "touch ready; exec sleep 30", health_check=check)], False)
    healthy = wait_for(lambda: health_updates(h, "cmd-check"), what="a health update")[0]
    assert healthy["healthy"] is True
    assert h.call(h.host.shutdown_executor, "fw-1", "cmd")
    h.wait_state("cmd-check", "TASK_KILLED")
    wait_for(lambda: h.master.exited, what="executor exit after SHUTDOWN")


def group_task(task_id: str, command: str) -> dict:
    return {"task_id": {"value": task_id}, "name": task_id, "agent_id": {"value": "agent-1"},
            "command": {"value": command}, "kill_policy": {"grace_period": {"nanoseconds": 500_000_000}}}


def test_group_executor_pod_failure_kills_the_rest(harness_factory):
    h = harness_factory()
    executor = {"executor_id": {"value": "pod"}, "type": "DEFAULT", "framework_id": {"value": "fw-1"}}
    pod = [group_task("a", "echo in-a; exec sleep 30"), group_task("b", "exec sleep 30"),
           group_task("c", "sleep 0.5; exit 4")]
    h.call(h.host.launch, FRAMEWORK, executor, pod, True)
    failed = h.wait_state("c", "TASK_FAILED", timeout=20)
    assert failed["message"] == "Command exited with status 4"
    for task_id in ("a", "b"):
        assert h.wait_state(task_id, "TASK_KILLED")["source"] == "SOURCE_EXECUTOR"
        assert "TASK_KILLING" in h.states(task_id)
    wait_for(lambda: h.master.exited, what="the group executor exits when no task is left")
    sandbox = next(h.host._work_dir.glob("slaves/agent-1/frameworks/fw-1/executors/pod/runs/*-*"))
    assert sorted(p.name for p in (sandbox / "tasks").iterdir()) == ["a", "b", "c"]
    assert "in-a" in (sandbox / "tasks" / "a" / "stdout").read_text()


def test_killed_executor_takes_its_tasks_with_it(harness_factory):
    h = harness_factory()
    h.call(h.host.launch, FRAMEWORK, COMMAND_EXECUTOR, [command_task("t1", "echo $$ > task.pid; exec sleep 30")],
           False)
    h.wait_state("t1", "TASK_RUNNING")
    sandbox = h.call(h.host.sandbox_of, "fw-1", "cmd")
    task_pid = int(wait_for(lambda: (sandbox / "task.pid").exists() and (sandbox / "task.pid").read_text(),
                            what="the task's pid"))
    os.kill(h.call(h.host.pid_of, "fw-1", "cmd"), signal.SIGKILL)
    lost = h.wait_state("t1", "TASK_LOST")
    assert lost["reason"] == "REASON_EXECUTOR_TERMINATED"
    assert h.master.exited == [("agent-1", "fw-1", "cmd", signal.SIGKILL)]
    wait_for(lambda: not os.path.exists(f"/proc/{task_pid}") or
             open(f"/proc/{task_pid}/stat").read().split(") ")[1].startswith("Z"), what="the task killed")
