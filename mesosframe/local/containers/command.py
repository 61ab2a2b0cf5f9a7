"""Mesos's docker/runtime rules: the process a container runs, from CommandInfo and the image config (pure).

Launch command (`getLaunchCommand` in Mesos's docker runtime isolator):
- `shell=true` (the protobuf default): `/bin/sh -c value`; arguments are ignored; no value is an error.
- `shell=false` with `value`: exec `value`; `arguments` are the full argv (argv[0] included), the image's
  Entrypoint and Cmd are ignored.
- `shell=false` without `value`: Entrypoint + (arguments, or Cmd when there are no arguments);
  without Entrypoint, Cmd[0] + (arguments, or Cmd[1:]); neither is an error.
An OCI process has one list for both the program and argv, so `value` with an `arguments[0]` that differs
from it runs `[value, *arguments[1:]]` (argv[0] is then `value`).

Environment: image `Env`, then the runtime's variables (MESOS_SANDBOX, ...), then CommandInfo.environment,
later ones winning; PATH gets a default when nobody sets it. Working directory: the image's WorkingDir, else
the sandbox.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mesosframe.local.containers.errors import CommandResolutionError
from mesosframe.local.containers.image import ImageConfig

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def resolve_argv(command: Mapping[str, Any] | None, image: ImageConfig) -> list[str]:
    """The argv to run for a Mesos CommandInfo dict (JSON field names) in an image with config `image`."""
    command = command or {}
    shell = command.get("shell", True)
    value = command.get("value") or None
    arguments = [str(a) for a in command.get("arguments") or ()]
    if shell:
        if value is None:
            raise CommandResolutionError("shell specified but no command value provided")
        return ["/bin/sh", "-c", value]
    if value is not None:
        return [value, *arguments[1:]]
    if image.entrypoint:
        return [*image.entrypoint, *(arguments or image.cmd)]
    if image.cmd:
        return [image.cmd[0], *(arguments or image.cmd[1:])]
    raise CommandResolutionError("no executable: the command has no value and the image has no Entrypoint or Cmd")


def command_environment(command: Mapping[str, Any] | None) -> dict[str, str]:
    """CommandInfo.environment as a dict; VALUE variables only (SECRET ones are refused)."""
    variables = ((command or {}).get("environment") or {}).get("variables") or ()
    env: dict[str, str] = {}
    for variable in variables:
        if variable.get("type", "VALUE") != "VALUE":
            raise CommandResolutionError(f"environment variable {variable.get('name')!r}: only VALUE type is supported")
        env[str(variable["name"])] = str(variable.get("value", ""))
    return env


def merge_environment(image: ImageConfig, runtime: Mapping[str, str], task: Mapping[str, str]) -> list[str]:
    """`NAME=value` entries: image Env, then runtime variables, then the task's, later ones winning."""
    env: dict[str, str] = {}
    for entry in image.env:
        name, _, value = entry.partition("=")
        env[name] = value
    env.update(runtime)
    env.update(task)
    env.setdefault("PATH", DEFAULT_PATH)
    return [f"{name}={value}" for name, value in env.items()]


def working_directory(image: ImageConfig, sandbox: str) -> str:
    """The image's WorkingDir if it has one, else the sandbox path inside the container."""
    return image.working_dir or sandbox
