"""Mesos's docker/runtime launch-command table, row by row (sh/value/argv) and column by column (Entrypoint/Cmd)."""
from __future__ import annotations

import pytest

from mesosframe.local.containers.command import (
    DEFAULT_PATH,
    command_environment,
    merge_environment,
    resolve_argv,
    working_directory,
)
from mesosframe.local.containers.errors import CommandResolutionError
from mesosframe.local.containers.image import ImageConfig

NONE = ImageConfig()
CMD = ImageConfig(cmd=("/bin/c0", "c1"))
EP = ImageConfig(entrypoint=("/bin/e0", "e1"))
BOTH = ImageConfig(entrypoint=("/bin/e0", "e1"), cmd=("c0", "c1"))
ERROR = CommandResolutionError

ROWS = {
    # (shell, value, arguments): {image: expected argv or ERROR}
    "sh=0 value=0 argv=0": ({"shell": False}, {
        "none": ERROR, "cmd": ["/bin/c0", "c1"], "ep": ["/bin/e0", "e1"], "both": ["/bin/e0", "e1", "c0", "c1"]}),
    "sh=0 value=0 argv=1": ({"shell": False, "arguments": ["a1", "a2"]}, {
        "none": ERROR, "cmd": ["/bin/c0", "a1", "a2"], "ep": ["/bin/e0", "e1", "a1", "a2"],
        "both": ["/bin/e0", "e1", "a1", "a2"]}),
    "sh=0 value=1 argv=0": ({"shell": False, "value": "/bin/v"}, {
        "none": ["/bin/v"], "cmd": ["/bin/v"], "ep": ["/bin/v"], "both": ["/bin/v"]}),
    "sh=0 value=1 argv=1": ({"shell": False, "value": "/bin/v", "arguments": ["v", "a1"]}, {
        "none": ["/bin/v", "a1"], "cmd": ["/bin/v", "a1"], "ep": ["/bin/v", "a1"], "both": ["/bin/v", "a1"]}),
    "sh=1 value=0 argv=0": ({"shell": True}, {"none": ERROR, "cmd": ERROR, "ep": ERROR, "both": ERROR}),
    "sh=1 value=0 argv=1": ({"arguments": ["a1"]}, {"none": ERROR, "cmd": ERROR, "ep": ERROR, "both": ERROR}),
    "sh=1 value=1 argv=0": ({"value": "echo hi"}, {
        "none": ["/bin/sh", "-c", "echo hi"], "cmd": ["/bin/sh", "-c", "echo hi"],
        "ep": ["/bin/sh", "-c", "echo hi"], "both": ["/bin/sh", "-c", "echo hi"]}),
    "sh=1 value=1 argv=1": ({"shell": True, "value": "echo hi", "arguments": ["x"]}, {
        "none": ["/bin/sh", "-c", "echo hi"], "cmd": ["/bin/sh", "-c", "echo hi"],
        "ep": ["/bin/sh", "-c", "echo hi"], "both": ["/bin/sh", "-c", "echo hi"]}),
}
IMAGES = {"none": NONE, "cmd": CMD, "ep": EP, "both": BOTH}
CASES = [(row, column, command, expected[column]) for row, (command, expected) in ROWS.items() for column in IMAGES]


@pytest.mark.parametrize("row, column, command, expected", CASES, ids=[f"{r} {c}" for r, c, _, _ in CASES])
def test_launch_command_table(row, column, command, expected):
    if expected is ERROR:
        with pytest.raises(CommandResolutionError):
            resolve_argv(command, IMAGES[column])
    else:
        assert resolve_argv(command, IMAGES[column]) == expected


def test_shell_without_value_message():
    with pytest.raises(CommandResolutionError, match="shell specified but no command value"):
        resolve_argv({"shell": True}, BOTH)


def test_missing_command_defaults_to_shell_true():
    with pytest.raises(CommandResolutionError):
        resolve_argv(None, BOTH)


@pytest.mark.parametrize("image_env, runtime, task, expected", [
    ((), {}, {}, [f"PATH={DEFAULT_PATH}"]),
    (("PATH=/bin", "A=image"), {"A": "runtime"}, {}, ["PATH=/bin", "A=runtime"]),
    (("A=image",), {"A": "runtime"}, {"A": "task"}, ["A=task", f"PATH={DEFAULT_PATH}"]),
    (("X=a=b",), {}, {"PATH": "/opt"}, ["X=a=b", "PATH=/opt"]),
])
def test_merge_environment(image_env, runtime, task, expected):
    assert merge_environment(ImageConfig(env=image_env), runtime, task) == expected


def test_command_environment_values_and_secret_refused():
    env = {"environment": {"variables": [{"name": "A", "value": "1"}, {"name": "B", "type": "VALUE", "value": "2"}]}}
    assert command_environment(env) == {"A": "1", "B": "2"}
    with pytest.raises(CommandResolutionError, match="'S'"):
        command_environment({"environment": {"variables": [{"name": "S", "type": "SECRET", "secret": {}}]}})


@pytest.mark.parametrize("workdir, expected", [("", "/mnt/mesos/sandbox"), ("/app", "/app")])
def test_working_directory(workdir, expected):
    assert working_directory(ImageConfig(working_dir=workdir), "/mnt/mesos/sandbox") == expected


def test_image_config_from_json_nulls():
    config = ImageConfig.from_json({"Entrypoint": None, "Cmd": ["sh"], "Env": None, "WorkingDir": ""})
    assert config == ImageConfig(cmd=("sh",))
