"""App definition -> the core's `TaskSpec`, and the demand keys that name an app's launches (PURE).

`to_task_spec(app)` maps Marathon fields onto a TaskSpec: `cmd` (shell) or `args` (argv), resources, one
dynamic port per port definition (or per container port mapping), env (plus Marathon's MARATHON_APP_* names),
labels, `fetch`, constraints, `user`, the kill grace period, a DOCKER/MESOS image as a Unified Container with
its host-path volumes, and the first agent-side health check (MESOS_HTTP/MESOS_HTTPS/MESOS_TCP/COMMAND) as the
TaskInfo's Mesos-native check. Fixed host ports (`requirePorts`, non-zero `hostPort`) and persistent volumes
cannot be expressed in a TaskSpec and raise `UnsupportedAppError` (422 in the API).

Demand keys are self-describing, so a new leader can map the core's task records back to apps:
`<task prefix>@<config version>@<slot>` (characters the core's key rule accepts).
"""
from __future__ import annotations

import re

from mesosframe.errors import ValidationError
from mesosframe.matching import Constraint
from mesosframe.tasks.spec import Container, HealthCheck, TaskSpec, Uri, Volume
from schedulers.longrun.pathid import task_prefix
from schedulers.longrun.spec import AppDefinition, HealthCheck as AppHealthCheck

_NOT_NAME = re.compile(r"[^A-Za-z0-9_.\-]")
_NOT_KEY = re.compile(r"[^A-Za-z0-9_.:+=,\-]")
_NATIVE_KIND = {"MESOS_HTTP": "HTTP", "MESOS_HTTPS": "HTTPS", "MESOS_TCP": "TCP", "COMMAND": "COMMAND"}


class UnsupportedAppError(ValidationError):
    """The app uses a feature the Mesos plugin cannot run; `.path` names the field."""


def task_name(app_id: str) -> str:
    """The TaskInfo name and placement group of an app's tasks (`/a/b` -> `a_b`)."""
    return _NOT_NAME.sub("-", task_prefix(app_id)) or "root"


def key_prefix(app_id: str) -> str:
    """The app part of its demand keys (`/a/b` -> `a_b`; characters outside the key rule become `-`)."""
    return _NOT_KEY.sub("-", task_prefix(app_id))


def demand_key(app_id: str, version: str, slot: int) -> str:
    """`<prefix>@<config version>@<slot>`; `version` characters outside the key rule become `-`."""
    return f"{key_prefix(app_id)}@{key_version(version)}@{slot}"


def parse_key(key: str) -> tuple[str, str, int] | None:
    """(prefix, config version, slot) of a demand key, or None if it is not one."""
    parts = key.split("@")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


def key_version(version: str) -> str:
    """A config version as it appears inside demand keys."""
    return _NOT_KEY.sub("-", version)


def port_count(app: AppDefinition) -> int:
    mappings = _port_mappings(app)
    if mappings is not None:
        return sum(1 for m in mappings if m.hostPort is not None)
    return len(app.portDefinitions)


def _port_mappings(app: AppDefinition):
    container = app.container
    if container is None:
        return None
    if container.portMappings is not None:
        return container.portMappings
    return container.docker.portMappings if container.docker is not None else None


def to_task_spec(app: AppDefinition) -> TaskSpec:
    """The TaskSpec of one instance of `app`; raises UnsupportedAppError or ValidationError (constraints)."""
    if app.requirePorts and any(p.port for p in app.portDefinitions):
        raise UnsupportedAppError("fixed host ports (requirePorts) are not supported; use dynamic ports",
                                  "requirePorts")
    for i, m in enumerate(_port_mappings(app) or []):
        if m.hostPort:
            raise UnsupportedAppError("fixed host ports are not supported; use hostPort 0",
                                      f"container.portMappings({i}).hostPort")
    container = _container(app)
    command, argv = app.cmd, tuple(app.args) if app.args else None
    if command is None and argv is None and container is None:
        raise UnsupportedAppError("an app needs cmd, args or a container image", "cmd")
    env = {**app.env, "MARATHON_APP_ID": app.id, "MARATHON_APP_VERSION": app.version or "",
           "MARATHON_APP_RESOURCE_CPUS": str(app.cpus), "MARATHON_APP_RESOURCE_MEM": str(app.mem)}
    return TaskSpec(
        name=task_name(app.id), command=command, argv=argv, cpus=app.cpus, mem=app.mem, disk=app.disk,
        gpus=app.gpus, ports=port_count(app), env=env,
        uris=tuple(Uri(f.uri, f.executable, f.extract, f.cache, f.destPath) for f in app.fetch),
        labels=dict(app.labels), kill_grace_seconds=app.taskKillGracePeriodSeconds, container=container,
        health_check=_native_check(app), constraints=Constraint.parse_all(app.constraints), user=app.user)


def _container(app: AppDefinition) -> Container | None:
    c = app.container
    if c is None or c.docker is None:
        return None
    volumes = []
    for i, v in enumerate(c.volumes):
        if v.persistent is not None:
            raise UnsupportedAppError("persistent volumes are not supported", f"container.volumes({i}).persistent")
        if v.hostPath is None:
            raise UnsupportedAppError("a volume needs a hostPath", f"container.volumes({i}).hostPath")
        absolute = v.hostPath.startswith("/")
        volumes.append(Volume(v.containerPath, host_path=v.hostPath if absolute else None,
                              sandbox_path=None if absolute else v.hostPath, read_only=v.mode == "RO"))
    return Container(image=c.docker.image, volumes=tuple(volumes), cached=not c.docker.forcePullImage)


def _native_check(app: AppDefinition) -> HealthCheck | None:
    checks = app.mesos_health_checks
    if not checks:
        return None
    check: AppHealthCheck = checks[0]
    kind = _NATIVE_KIND[check.protocol]
    return HealthCheck(
        kind=kind, path=check.path or "/", port=check.port or None, port_index=check.portIndex or 0,
        command=check.command.value if check.command else None, delay_seconds=float(check.delaySeconds),
        interval_seconds=float(check.intervalSeconds), timeout_seconds=float(check.timeoutSeconds),
        consecutive_failures=max(1, check.maxConsecutiveFailures),
        grace_period_seconds=float(check.gracePeriodSeconds))
