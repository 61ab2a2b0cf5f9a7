"""Validation of app definitions into Marathon's 422 shape.

Errors are `(path, message)` pairs grouped by path into `[{"path": "/cpus", "errors": [..]}]`. Array
elements are written `/constraints(0)` (Marathon's accord style; inferred, see the reference, section 5).
Type and range errors come from pydantic; rules across fields, and upper bounds added after records were
first stored (`bound_problems`), are checked here after parsing.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Iterable, Sequence

import pydantic

from mesosframe.errors import ValidationError
from mesosframe.matching import Constraint, Operator
from mesosframe.resources.fixed import MAX_EXACT
from schedulers.longrun.pathid import ROOT, PathIdError, canonical, parent
from schedulers.longrun.spec import MAX_SECONDS, AppDefinition, UnreachableStrategy

Detail = dict[str, Any]
INT32_MAX = 2**31 - 1
MAX_VOLUME_MIB = int(MAX_EXACT)
JAVA_INT = re.compile(r"[+-]?[0-9]+")
IS_VALUE = re.compile(r"[a-zA-Z0-9_/.-]*")         # Marathon's SchedulingValidationMessages.MesosLiteralOrFloatValue
IS_MESSAGE = ("IS only supports Mesos text and float values "
              "(see http://mesos.apache.org/documentation/latest/attributes-resources/)")
PORT_INDEX_MESSAGE = "Health check port indices must address an element of the ports array or container port mappings."


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
    out.extend(bound_problems(app))
    for key in app.env:
        if not key:
            out.append(("/env", "names must not be empty"))
    ports = app.portDefinitions
    out.extend(("/portDefinitions", m) for m in _unique_ports([p.name for p in ports], [p.port for p in ports]))
    return out


def _unique_ports(names: Sequence[str | None], numbers: Sequence[int] = ()) -> list[str]:
    """Marathon's rules on a port list (AppValidation.portDefinitionsValidator): names unique, and non-zero port
    numbers unique (port definitions only: Marathon does not check port mappings' numbers)."""
    out = []
    named = [n for n in names if n]
    if len(named) != len(set(named)):
        out.append("Port names must be unique.")
    fixed = [n for n in numbers if n]
    if len(fixed) != len(set(fixed)):
        out.append("Ports must be unique.")
    return out


def bound_problems(app: AppDefinition) -> list[tuple[str, str]]:
    """Upper bounds of numbers the scheduler computes with, as Marathon bounds them: unreachableStrategy seconds
    (a FiniteDuration, int64 nanoseconds), readiness check seconds (int32) and status codes (100-999),
    persistent volume sizes (MiB, what a Mesos disk scalar carries exactly). Checked on input only, not in the
    model, so that records stored before these rules still load."""
    out: list[tuple[str, str]] = []
    strategy = app.unreachableStrategy
    if isinstance(strategy, UnreachableStrategy):
        out.extend((f"/unreachableStrategy/{name}", f"is greater than {MAX_SECONDS}")
                   for name in ("inactiveAfterSeconds", "expungeAfterSeconds") if getattr(strategy, name) > MAX_SECONDS)
    for i, check in enumerate(app.readinessChecks):
        at = f"/readinessChecks({i})"
        out.extend((f"{at}/{name}", f"is greater than {INT32_MAX}")
                   for name in ("intervalSeconds", "timeoutSeconds") if getattr(check, name) > INT32_MAX)
        for j, code in enumerate(check.httpStatusCodesForReady):
            if not 100 <= code <= 999:
                out.append((f"{at}/httpStatusCodesForReady({j})", "is less than 100" if code < 100 else
                            "is greater than 999"))
    for i, volume in enumerate(app.container.volumes if app.container else []):
        if volume.persistent is not None and volume.persistent.size > MAX_VOLUME_MIB:
            out.append((f"/container/volumes({i})/persistent/size", f"is greater than {MAX_VOLUME_MIB}"))
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
    mappings = container.portMappings
    at = "/container/portMappings"
    if mappings is None and container.docker is not None:
        mappings, at = container.docker.portMappings, "/container/docker/portMappings"
    out.extend((at, m) for m in _unique_ports([m.name for m in mappings or []]))
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
        if check.protocol != "COMMAND" and check.port is None and (check.portIndex or 0) >= port_slots(app):
            out.append((at, PORT_INDEX_MESSAGE))
    return out


def port_slots(app: AppDefinition) -> int:
    """How many ports a health check's `portIndex` may address: the container's port mappings when it has
    any, else the port definitions (Marathon's `AppValidation.portIndices`)."""
    c = app.container
    mappings = None
    if c is not None:
        mappings = c.portMappings if c.portMappings is not None else (c.docker.portMappings if c.docker else None)
    return len(mappings) if mappings else len(app.portDefinitions)


def constraint_problems(constraint: list[str]) -> list[str]:
    """Problems with one `[field, OPERATOR, value?]` constraint: what the matcher (mesosframe.matching) refuses,
    then Marathon's rules on values: MAX_PER and GROUP_BY take a 32-bit integer (as Java's `toInt` reads it),
    IS a Mesos text or float value. MAX_PER below 1 is refused too (Marathon accepts it, but such an app can
    never place an instance)."""
    try:
        parsed = Constraint.parse(constraint)
    except ValidationError as exc:
        return [exc.message]
    value = parsed.value
    if parsed.operator is Operator.MAX_PER and not 1 <= (_int32(value) or 0):
        return [f"MAX_PER requires an integer value from 1 to {INT32_MAX}"]
    if parsed.operator is Operator.GROUP_BY and value is not None and _int32(value) is None:
        return [f"GROUP_BY takes no value or an integer value from {-INT32_MAX - 1} to {INT32_MAX}"]
    if parsed.operator is Operator.IS and not IS_VALUE.fullmatch(value or ""):
        return [IS_MESSAGE]
    return []


def _int32(value: str | None) -> int | None:
    """`value` as Java's `String.toInt` reads it (sign, ASCII digits, 32-bit), else None."""
    if value is None or len(value) > 12 or not JAVA_INT.fullmatch(value):
        return None
    number = int(value)
    return number if -INT32_MAX - 1 <= number <= INT32_MAX else None
