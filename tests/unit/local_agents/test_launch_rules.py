"""Pure parts of launching: argv from CommandInfo, what the command launcher refuses, environment, paths."""
from __future__ import annotations

import pathlib

import pytest

from mesosframe.local.agents import CommandLauncher, LaunchRejected
from mesosframe.local.agents.launchers import command_argv
from mesosframe.local.agents.sandbox import allocation_role, sandbox_path, task_environment
from mesosframe.local.protocol import AgentInfo


@pytest.mark.parametrize("command, expected", [
    ({"value": "echo hi"}, ("/bin/sh", ["sh", "-c", "echo hi"])),
    ({"value": "echo hi", "shell": True, "arguments": ["ignored"]}, ("/bin/sh", ["sh", "-c", "echo hi"])),
    ({"value": "/bin/sh", "shell": False, "arguments": ["sh", "-c", "exit 2"]}, ("/bin/sh", ["sh", "-c", "exit 2"])),
    ({"value": "/bin/true", "shell": False}, ("/bin/true", ["/bin/true"])),
    ({"value": "sleep", "shell": False, "arguments": ["my-sleep", "5"]}, ("sleep", ["my-sleep", "5"])),
])
def test_command_argv(command, expected):
    assert command_argv(command) == expected


BASE = {"task_id": {"value": "t"}, "command": {"value": "true"}}


@pytest.mark.parametrize("task, executor, reason, fragment", [
    ({**BASE, "container": {"type": "MESOS", "mesos": {"image": {"type": "DOCKER", "docker": {"name": "a"}}}}},
     None, "REASON_CONTAINER_LAUNCH_FAILED", "container.mesos.image"),
    ({**BASE, "container": {"type": "DOCKER", "docker": {"image": "a"}}}, None,
     "REASON_CONTAINER_LAUNCH_FAILED", "'DOCKER' is not supported"),
    ({**BASE, "executor": {"executor_id": {"value": "e"}}}, None, "REASON_EXECUTOR_UNREGISTERED",
     "Custom executors"),
    (BASE, {"executor_id": {"value": "e"}, "type": "DEFAULT"}, "REASON_EXECUTOR_UNREGISTERED", "LAUNCH_GROUP"),
    ({"task_id": {"value": "t"}}, None, "REASON_TASK_INVALID", "no command"),
])
def test_command_launcher_refuses_what_it_cannot_run(task, executor, reason, fragment):
    with pytest.raises(LaunchRejected) as info:
        CommandLauncher().check(task, executor)
    assert info.value.reason == reason and fragment in info.value.message


@pytest.mark.parametrize("task", [BASE, {**BASE, "container": {"type": "MESOS", "mesos": {}}}])
def test_command_launcher_accepts_plain_commands(task):
    CommandLauncher().check(task, None)


@pytest.mark.parametrize("task, framework, role", [
    ({"resources": [{"name": "cpus", "allocation_info": {"role": "web"}}]}, {"roles": ["other"]}, "web"),
    ({"resources": [{"name": "cpus"}]}, {"roles": ["batch", "x"]}, "batch"),
    ({}, {"role": "legacy"}, "legacy"),
    ({}, {}, "*"),
])
def test_allocation_role(task, framework, role):
    assert allocation_role(task, framework) == role


def test_sandbox_path_is_the_mesos_layout():
    path = sandbox_path(pathlib.Path("/w"), "S1", "fw", "task-1", "c-1")
    assert path == pathlib.Path("/w/slaves/S1/frameworks/fw/executors/task-1/runs/c-1")


def test_task_environment():
    task = {"task_id": {"value": "t1"}, "command": {"value": "x", "environment": {"variables": [
        {"name": "GREETING", "value": "hi"}, {"name": "MESOS_TASK_ID", "value": "overridden"},
        {"name": "TOKEN", "type": "SECRET", "secret": {}}]}}}
    env = task_environment(base={"PATH": "/bin", "GREETING": "old"}, agent=AgentInfo("S1", "h", port=5051),
                           framework={"checkpoint": True, "roles": ["web"]}, framework_id="fw", task=task,
                           task_id="t1", executor_id="t1", sandbox=pathlib.Path("/sb"))
    assert env["PATH"] == "/bin" and env["GREETING"] == "hi"
    assert env["MESOS_TASK_ID"] == "overridden"                   # CommandInfo.environment wins
    assert "TOKEN" not in env
    assert env["MESOS_SANDBOX"] == env["MESOS_DIRECTORY"] == "/sb"
    assert env["MESOS_AGENT_ENDPOINT"] == "127.0.0.1:5051" and env["MESOS_SLAVE_ID"] == "S1"
    assert env["MESOS_FRAMEWORK_ID"] == "fw" and env["MESOS_EXECUTOR_ID"] == "t1"
    assert env["MESOS_CHECKPOINT"] == "1" and env["MESOS_ALLOCATION_ROLE"] == "web"
