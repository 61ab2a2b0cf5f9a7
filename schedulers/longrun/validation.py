"""Validation of app definitions into Marathon's 422 shape.

Errors are `(path, message)` pairs grouped by path into `[{"path": "/cpus", "errors": [..]}]`. Array
elements are written `/constraints(0)` (Marathon's accord style; inferred, see the reference, section 5).
Type and range errors come from pydantic; rules across fields are checked here after parsing.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable

import pydantic

from mesosframe.errors import ValidationError
from mesosframe.matching import Constraint
from schedulers.longrun.pathid import ROOT, PathIdError, canonical, parent
from schedulers.longrun.spec import AppDefinition, UnreachableStrategy

Detail = dict[str, Any]


class AppValidationError(ValidationError):
    """One or more invalid fields; `details` is Marathon's `[{path, errors}]` list."""

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.details = group_problems(problems)
        first = self.details[0] if self.details else {"path": "/", "errors": ["invalid"]}
        super().__init__(first["errors"][0], path=first["path"])


def group_problems(problems: Iterable[tuple[str, str]]) -> list[Detail]:
    """Group `(path, message)` pairs by path, keeping first-seen order and dropping repeats."""
    grouped: OrderedDict[str, list[str]] = OrderedDict()
    for path, message in problems:
        messages = grouped.setdefault(path, [])
        if message not in messages:
            messages.append(message)
    return [{"path": p, "errors": m} for p, m in grouped.items()]


def loc_to_path(loc: Iterable[Any], prefix: str = "") -> str:
    """Turn a pydantic location into a Marathon path: ('a', 0, 'b') -> '/a(0)/b'."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"({part})"
        elif str(part).startswith(("function-", "literal[")) or str(part) == "UnreachableStrategy":
            continue
        else:
            out += f"/{part}"
    return out or "/"


def pydantic_problems(error: pydantic.ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Translate pydantic's errors into `(path, message)` pairs."""
    return [(loc_to_path(e["loc"], prefix), _message(e)) for e in error.errors(include_url=False)]


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "is required"
    words = {"greater_than_equal": "is less than", "less_than_equal": "is greater than",
             "greater_than": "must be greater than", "less_than": "must be less than"}
    if kind in words:
        limit = next(iter(error.get("ctx", {}).values()), "")
        return f"{words[kind]} {limit}"
    return str(error.get("msg", "is invalid"))


def validate_app(data: Any, base: str = ROOT) -> AppDefinition:
    """Parse and check one app; raises AppValidationError with every problem found."""
    if not isinstance(data, dict):
        raise AppValidationError([("/", "must be a JSON object")])
    problems: list[tuple[str, str]] = []
    body = {k: v for k, v in data.items() if k not in ("version", "versionInfo")}   # the service sets them
    try:
        body["id"] = canonical(body.get("id", ""), base) if "id" in body else None
    except PathIdError as exc:
        problems.append(("/id", exc.message))
        body["id"] = "/invalid"
    if body.get("id") is None:
        problems.append(("/id", "is required"))
        body["id"] = "/invalid"
    try:
        app = AppDefinition.model_validate(body)
    except pydantic.ValidationError as exc:
        raise AppValidationError(problems + pydantic_problems(exc)) from None
    problems.extend(semantic_problems(app))
    if problems:
        raise AppValidationError(problems)
    dependencies = [canonical(d, parent(app.id)) for d in app.dependencies]
    return app.model_copy(update={"dependencies": dependencies})


def semantic_problems(app: AppDefinition) -> list[tuple[str, str]]:
    """Rules that span fields; an empty list means the app is valid."""
    out: list[tuple[str, str]] = []
    if app.id == ROOT:
        out.append(("/id", "the root group is not an app"))
    if app.cmd is not None and app.args is not None:
        out.append(("/", "cmd and args are mutually exclusive"))
    if app.cmd is None and app.args is None and app.container is None:
        out.append(("/", "an app needs 'cmd', 'args' or a 'container'"))
    out.extend(_container_problems(app))
    out.extend(_health_problems(app))
    if len(app.readinessChecks) > 1:
        out.append(("/readinessChecks", "at most one readiness check is supported"))
    for i, check in enumerate(app.readinessChecks):
        if check.timeoutSeconds >= check.intervalSeconds:
            out.append((f"/readinessChecks({i})/timeoutSeconds", "must be less than intervalSeconds"))
        names = {p.name for p in app.portDefinitions}
        if check.portName not in names:
            out.append((f"/readinessChecks({i})/portName", f"no port definition is named {check.portName!r}"))
    for i, constraint in enumerate(app.constraints):
        out.extend((f"/constraints({i})", m) for m in constraint_problems(constraint))
    for i, dependency in enumerate(app.dependencies):
        try:
            canonical(dependency, parent(app.id))
        except PathIdError as exc:
            out.append((f"/dependencies({i})", exc.message))
    if isinstance(app.unreachableStrategy, UnreachableStrategy):
        s = app.unreachableStrategy
        if s.inactiveAfterSeconds > s.expungeAfterSeconds:
            out.append(("/unreachableStrategy/inactiveAfterSeconds", "must be less or equal to expungeAfterSeconds"))
    for key in app.env:
        if not key:
            out.append(("/env", "names must not be empty"))
    names = [p.name for p in app.portDefinitions if p.name]
    if len(names) != len(set(names)):
        out.append(("/portDefinitions", "port names must be unique"))
    return out


def _container_problems(app: AppDefinition) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    container = app.container
    if app.gpus > 0 and container is not None and container.type != "MESOS":
        out.append(("/gpus", "GPUs need the MESOS container type"))
    if container is None:
        return out
    if container.type == "DOCKER" and container.docker is None:
        out.append(("/container/docker", "is required for type DOCKER"))
    if container.docker is not None:
        if container.docker.privileged:
            out.append(("/container/docker/privileged", "is not supported: images run in the Mesos containerizer"))
        if container.docker.parameters:
            out.append(("/container/docker/parameters", "are not supported: images run in the Mesos containerizer"))
    for i, volume in enumerate(container.volumes):
        if (volume.hostPath is None) == (volume.persistent is None):
            out.append((f"/container/volumes({i})", "needs exactly one of hostPath or persistent"))
    return out


def _health_problems(app: AppDefinition) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if len(app.mesos_health_checks) > 1:
        out.append(("/healthChecks", "at most one Mesos (COMMAND or MESOS_*) health check is supported"))
    for i, check in enumerate(app.healthChecks):
        at = f"/healthChecks({i})"
        if check.protocol == "COMMAND" and check.command is None:
            out.append((f"{at}/command", "is required for protocol COMMAND"))
        if check.protocol != "COMMAND" and check.command is not None:
            out.append((f"{at}/command", "is only allowed for protocol COMMAND"))
        if check.port is not None and check.portIndex is not None:
            out.append((at, "use either port or portIndex, not both"))
        if check.protocol != "COMMAND" and check.port is None:
            index = check.portIndex or 0
            if index >= len(app.portDefinitions) and not _has_port_mappings(app):
                out.append((f"{at}/portIndex", f"{index} is out of range of the port definitions"))
    return out


def _has_port_mappings(app: AppDefinition) -> bool:
    c = app.container
    return bool(c and (c.portMappings or (c.docker and c.docker.portMappings)))


def constraint_problems(constraint: list[str]) -> list[str]:
    """Problems with one `[field, OPERATOR, value?]` constraint, as the matcher (mesosframe.matching) sees them."""
    try:
        Constraint.parse(constraint)
    except ValidationError as exc:
        return [exc.message]
    return []
