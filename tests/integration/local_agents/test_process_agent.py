"""ProcessAgent with real processes: states and messages, environment, sandbox files, kills, no orphans."""
from __future__ import annotations

import os
import time

import pytest

from mesosframe.local.agents import CommandLauncher

FRAMEWORK = {"id": {"value": "fw-1"}, "name": "t", "roles": ["web"]}
KILLING_FRAMEWORK = {**FRAMEWORK, "capabilities": [{"type": "TASK_KILLING_STATE"}]}


def task(task_id, command, **extra):
    return {"task_id": {"value": task_id}, "name": task_id, "agent_id": {"value": "S1"},
            "command": command if isinstance(command, dict) else {"value": command}, **extra}


def grace(seconds):
    return {"grace_period": {"nanoseconds": int(seconds * 1e9)}}


def sandbox_of(harness, task_id):
    """The task's sandbox, from the container id in its updates (the agent forgets finished tasks)."""
    container_id = harness.master.last(task_id)["container_status"]["container_id"]["value"]
    return (harness.agent.work_dir / "slaves/S1/frameworks/fw-1/executors" / task_id / "runs" / container_id)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.parametrize("command, state, message", [
    ("exit 0", "TASK_FINISHED", "Command exited with status 0"),
    ("exit 3", "TASK_FAILED", "Command exited with status 3"),
    ({"value": "/bin/sh", "shell": False, "arguments": ["sh", "-c", "exit 2"]}, "TASK_FAILED",
     "Command exited with status 2"),
    ("kill -TERM $$", "TASK_FAILED", "Command terminated with signal Terminated"),
])
def test_exit_maps_to_state_and_message(harness, command, state, message):
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", command)])
    final = harness.until_terminal("t1")
    assert harness.master.states("t1") == ["TASK_STARTING", "TASK_RUNNING", state]
    assert final["message"] == message and final["source"] == "SOURCE_EXECUTOR"


def test_argv_form_passes_argv0(harness):
    command = {"value": "/bin/sh", "shell": False, "arguments": ["custom-name", "-c", 'echo "$0"']}
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", command)])
    harness.until_terminal("t1")
    sandbox = sandbox_of(harness, "t1")
    assert (sandbox / "stdout").read_text() == "custom-name\n"


def test_updates_look_like_the_command_executors(harness):
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", "true")])
    harness.until_terminal("t1")
    starting, running, finished = (s for _, _, s in harness.master.updates)
    for status in (starting, running, finished):
        assert status["executor_id"] == {"value": "t1"} and status["agent_id"] == {"value": "S1"}
        assert status["container_status"]["container_id"] == starting["container_status"]["container_id"]
        assert status["uuid"] and status["timestamp"] > 0
    assert isinstance(starting["container_status"]["executor_pid"], int)
    assert finished["container_status"]["executor_pid"] == starting["container_status"]["executor_pid"]
    assert len({s["uuid"] for s in (starting, running, finished)}) == 3


def test_environment_sandbox_and_output_files(harness, tmp_path):
    command = {"value": "env; pwd; echo oops >&2", "environment": {"variables": [
        {"name": "GREETING", "value": "hi"}, {"name": "MESOS_ALLOCATION_ROLE", "value": "mine"}]}}
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", command)])
    assert harness.until_terminal("t1")["state"] == "TASK_FINISHED"
    sandbox = sandbox_of(harness, "t1")
    container_id = harness.master.last("t1")["container_status"]["container_id"]["value"]
    assert sandbox == tmp_path / "work/slaves/S1/frameworks/fw-1/executors/t1/runs" / container_id
    assert (sandbox.parent / "latest").resolve() == sandbox
    lines = (sandbox / "stdout").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if "=" in line)
    assert lines[-1] == str(sandbox)
    assert (sandbox / "stderr").read_text() == "oops\n"
    expected = {"GREETING": "hi", "MESOS_TASK_ID": "t1", "MESOS_EXECUTOR_ID": "t1", "MESOS_FRAMEWORK_ID": "fw-1",
                "MESOS_SLAVE_ID": "S1", "MESOS_SANDBOX": str(sandbox), "MESOS_DIRECTORY": str(sandbox),
                "MESOS_AGENT_ENDPOINT": f"127.0.0.1:{harness.agent.info.port}", "MESOS_CHECKPOINT": "0",
                "MESOS_ALLOCATION_ROLE": "mine"}
    assert {k: env.get(k) for k in expected} == expected
    assert "PATH" in env


def test_missing_executable_fails_without_starting(harness):
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", {"value": "/nonexistent/bin", "shell": False})])
    final = harness.until_terminal("t1")
    assert harness.master.states("t1") == ["TASK_FAILED"]
    assert final["reason"] == "REASON_CONTAINER_LAUNCH_FAILED" and "/nonexistent/bin" in final["message"]


@pytest.mark.parametrize("extra, reason, says", [
    ({"container": {"type": "MESOS", "mesos": {"image": {"type": "DOCKER", "docker": {"name": "alpine"}}}}},
     "REASON_CONTAINER_LAUNCH_FAILED", "--containers --image-store"),
    ({"container": {"type": "DOCKER", "docker": {"image": "alpine"}}}, "REASON_CONTAINER_LAUNCH_FAILED",
     "not supported"),
])
def test_unsupported_tasks_fail_honestly(harness, extra, reason, says):
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", "true", **extra)])
    final = harness.until_terminal("t1")
    assert harness.master.states("t1") == ["TASK_FAILED"]
    assert final["reason"] == reason and says in final["message"]
    assert final["source"] == "SOURCE_AGENT"


@pytest.mark.parametrize("framework, states", [
    (FRAMEWORK, ["TASK_STARTING", "TASK_RUNNING", "TASK_KILLED"]),
    (KILLING_FRAMEWORK, ["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]),
])
def test_kill_with_grace_lets_the_task_clean_up(harness, framework, states):
    script = "trap 'echo cleaned; exit 0' TERM; echo ready; while :; do sleep 0.05; done"
    harness.agent.launch_tasks(framework, [task("t1", script, kill_policy=grace(5))])
    harness.run_until(lambda: "TASK_RUNNING" in harness.master.states("t1"))
    sandbox = sandbox_of(harness, "t1")
    harness.run_until(lambda: (sandbox / "stdout").exists() and "ready" in (sandbox / "stdout").read_text())
    started = time.monotonic()
    harness.agent.kill_task("fw-1", "t1")
    final = harness.until_terminal("t1")
    assert time.monotonic() - started < 4                     # exited on TERM, well before the grace ended
    assert harness.master.states("t1") == states
    assert final["message"] == "Command exited with status 0"
    assert "cleaned" in (sandbox / "stdout").read_text()


def test_sigkill_after_the_calls_grace_period(harness):
    script = "trap '' TERM; echo ready; sleep 30"
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", script, kill_policy=grace(20))])
    harness.run_until(lambda: "TASK_RUNNING" in harness.master.states("t1"))
    sandbox = sandbox_of(harness, "t1")
    harness.run_until(lambda: (sandbox / "stdout").exists() and "ready" in (sandbox / "stdout").read_text())
    started = time.monotonic()
    harness.agent.kill_task("fw-1", "t1", kill_policy=grace(0.3))      # the call's policy wins
    final = harness.until_terminal("t1")
    assert 0.3 <= time.monotonic() - started < 5
    assert final["state"] == "TASK_KILLED"
    assert final["message"] == "Command terminated with signal Killed"


def test_kill_before_the_process_starts(harness):
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", "sleep 300")])
    harness.agent.kill_task("fw-1", "t1")
    final = harness.until_terminal("t1")
    assert harness.master.states("t1") == ["TASK_KILLED"]
    assert final["message"] == "Task killed before it was launched"


def test_leftover_children_are_killed_when_the_task_exits(harness):
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", "sleep 300 & echo $! > child.pid; exit 0")])
    harness.until_terminal("t1")
    child = int((sandbox_of(harness, "t1") / "child.pid").read_text())
    harness.run_until(lambda: not alive(child), timeout=5)


def test_stop_leaves_no_orphans(harness):
    script = "sleep 300 & echo $! > child.pid; (sleep 300 & wait) & sleep 300"
    harness.agent.launch_tasks(FRAMEWORK, [task("a", script), task("b", "sleep 300")])
    harness.run_until(lambda: harness.agent.pid_of("fw-1", "a") and harness.agent.pid_of("fw-1", "b"))
    sandbox = sandbox_of(harness, "a")
    harness.run_until(lambda: (sandbox / "child.pid").exists())
    child = int((sandbox / "child.pid").read_text())
    leaders = [harness.agent.pid_of("fw-1", "a"), harness.agent.pid_of("fw-1", "b")]
    group = [int(p) for p in os.listdir("/proc") if p.isdigit() and _pgid(int(p)) in leaders]
    assert child in group and len(group) >= 4
    harness.agent.stop()
    harness.run_until(lambda: not any(alive(pid) for pid in group), timeout=5)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def test_shutdown_framework_kills_its_tasks_without_updates(harness):
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", "sleep 300")])
    harness.run_until(lambda: harness.agent.pid_of("fw-1", "t1"))
    pid = harness.agent.pid_of("fw-1", "t1")
    count = len(harness.master.states("t1"))
    harness.agent.shutdown_framework("fw-1")
    harness.run_until(lambda: not alive(pid), timeout=5)
    harness.run_for(0.1)
    assert len(harness.master.states("t1")) == count and harness.agent.task_count == 0


def test_crash_kills_tasks_silently(harness):
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", "sleep 300")])
    harness.run_until(lambda: harness.agent.pid_of("fw-1", "t1"))
    pid = harness.agent.pid_of("fw-1", "t1")
    count = len(harness.master.updates)
    harness.agent.crash()
    harness.run_until(lambda: not alive(pid), timeout=5)
    harness.run_for(0.1)
    assert len(harness.master.updates) == count and not harness.agent.heartbeating
    assert [name for name, _ in harness.master.calls] == ["register_agent"]


def test_shutdown_executor_kills_the_command_task(harness):
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", "sleep 300", kill_policy=grace(0.2))])
    harness.run_until(lambda: harness.agent.pid_of("fw-1", "t1"))
    harness.agent.shutdown_executor("fw-1", "t1")
    assert harness.until_terminal("t1")["state"] == "TASK_KILLED"


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
@pytest.mark.parametrize("where", ["command", "framework"])
def test_runs_as_the_requested_user_when_root(harness, where):
    command = {"value": "id -un; touch mine"}
    framework = dict(FRAMEWORK)
    if where == "command":
        command["user"] = "nobody"
    else:
        framework["user"] = "nobody"
    harness.agent.launch_tasks(framework, [task("t1", command)])
    assert harness.until_terminal("t1")["state"] == "TASK_FINISHED"
    sandbox = sandbox_of(harness, "t1")
    assert (sandbox / "stdout").read_text() == "nobody\n"
    assert (sandbox / "mine").stat().st_uid == __import__("pwd").getpwnam("nobody").pw_uid


def test_unknown_user_fails_the_task(harness):
    if os.geteuid() != 0:
        pytest.skip("users are only switched when the agent runs as root")
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", {"value": "true", "user": "no-such-user-xyz"})])
    final = harness.until_terminal("t1")
    assert final["state"] == "TASK_FAILED" and "no-such-user-xyz" in final["message"]


def test_a_plugged_in_launcher_runs_plain_tasks_and_images_stay_with_containers(make_agent_harness):
    class RecordingLauncher(CommandLauncher):
        """Runs commands on the host, recording what it launched."""

        def __init__(self):
            self.launched = []

        async def launch(self, task, spec):
            self.launched.append(task["task_id"]["value"])
            return await super().launch(task, spec)

    launcher = RecordingLauncher()
    harness = make_agent_harness(launcher=launcher)
    image = {"type": "MESOS", "mesos": {"image": {"type": "DOCKER", "docker": {"name": "alpine"}}}}
    harness.agent.launch_tasks(FRAMEWORK, [task("t1", "exit 0"), task("t2", "exit 0", container=image)])
    harness.until_terminal("t1")
    harness.until_terminal("t2")
    assert harness.master.states("t1") == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    assert harness.master.states("t2") == ["TASK_FAILED"]
    assert launcher.launched == ["t1"]
