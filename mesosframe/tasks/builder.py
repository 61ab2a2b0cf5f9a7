"""TaskSpec -> TaskInfo JSON (Mesos JSON mapping), and validation before launch.

`validate(spec)` raises `ValidationError` whose `.path` names the field (e.g. `health_check.path`).
`build_task_info(spec, task_id, agent_id, resources=None, ports=())` returns the TaskInfo dict:
`resources` are the concrete Mesos Resource dicts chosen by placement (when None they are derived from
the spec as unreserved `role` resources, with `ports` as one range each). The ports are exposed as
`PORT0..PORTn`, `PORT` (= PORT0) and `PORTS` (comma-separated), as Marathon does.
`build_task_group(group, task_ids, executor_id, framework_id, agent_id, ports=())` returns
`(executor_info, [task_info, ...])` for LAUNCH_GROUP with a DEFAULT executor.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from mesosframe.errors import ValidationError
from mesosframe.resources.fixed import MAX_EXACT
from mesosframe.tasks.spec import Container, HealthCheck, TaskGroupSpec, TaskSpec

_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IMAGE = re.compile(r"^[a-z0-9]+([._\-/:@][A-Za-z0-9_.\-]+)*$")
HEALTH_KINDS = ("HTTP", "HTTPS", "TCP", "COMMAND")
MAX_DURATION = 2**63 / 1e9      # seconds: Mesos's DurationInfo holds int64 nanoseconds
MAX_FAILURES = 2**32 - 1        # HealthCheck.consecutive_failures is a uint32


def validate(spec: TaskSpec, path: str = "") -> None:
    """Raise ValidationError for the first invalid field of `spec`."""
    p = (path + ".") if path else ""
    if not spec.name or not _NAME.match(spec.name):
        raise ValidationError("must be non-empty letters, digits, '_', '.', '-'", p + "name")
    has_image = spec.container is not None and spec.container.image is not None
    if spec.command is not None and spec.argv is not None:
        raise ValidationError("give either command or argv, not both", p + "command")
    if spec.command is None and spec.argv is None and not has_image:
        raise ValidationError("a command or argv is required without a container image", p + "command")
    if spec.command is not None and not spec.command.strip():
        raise ValidationError("must not be blank", p + "command")
    if spec.argv is not None and (not spec.argv or not all(isinstance(a, str) for a in spec.argv)):
        raise ValidationError("must be a non-empty sequence of strings (argv[0] included)", p + "argv")
    for field_name in ("cpus", "mem", "disk"):
        value = getattr(spec, field_name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_EXACT:
            raise ValidationError(f"must be a number in 0..{MAX_EXACT:.4g}", p + field_name)
    if spec.cpus <= 0 and spec.mem <= 0:
        raise ValidationError("a task needs some cpus or mem", p + "cpus")
    if isinstance(spec.gpus, bool) or not isinstance(spec.gpus, int) or not 0 <= spec.gpus <= MAX_EXACT:
        raise ValidationError(f"must be an integer in 0..{MAX_EXACT:.4g}", p + "gpus")
    if not isinstance(spec.ports, int) or not 0 <= spec.ports <= 100:
        raise ValidationError("must be an integer in 0..100", p + "ports")
    for name in spec.env:
        if not _ENV.match(name):
            raise ValidationError(f"bad environment variable name {name!r}", p + f"env.{name}")
    for i, uri in enumerate(spec.uris):
        if not uri.value:
            raise ValidationError("must not be empty", p + f"uris[{i}].value")
    if spec.kill_grace_seconds is not None and not 0 <= spec.kill_grace_seconds <= MAX_DURATION:
        raise ValidationError(f"must be a number of seconds in 0..{MAX_DURATION:.4g}", p + "kill_grace_seconds")
    if spec.container is not None:
        _validate_container(spec.container, p + "container")
    if spec.health_check is not None:
        _validate_health(spec.health_check, spec, p + "health_check")
    if spec.discovery is not None and len(spec.discovery.port_names) > spec.ports:
        raise ValidationError("more port names than ports", p + "discovery.port_names")
    if spec.discovery is not None and spec.discovery.visibility not in ("FRAMEWORK", "CLUSTER", "EXTERNAL"):
        raise ValidationError("must be FRAMEWORK, CLUSTER or EXTERNAL", p + "discovery.visibility")


def _validate_container(c: Container, p: str) -> None:
    if c.image is not None and (not c.image or not _IMAGE.match(c.image)):
        raise ValidationError(f"not a Docker image name: {c.image!r}", p + ".image")
    for i, v in enumerate(c.volumes):
        vp = f"{p}.volumes[{i}]"
        if not v.container_path:
            raise ValidationError("is required", vp + ".container_path")
        if (v.host_path is None) == (v.sandbox_path is None):
            raise ValidationError("give exactly one of host_path or sandbox_path", vp)
        if v.host_path is not None and not v.host_path.startswith("/"):
            raise ValidationError("must be absolute", vp + ".host_path")
        if v.sandbox_path is not None and v.sandbox_path.startswith("/"):
            raise ValidationError("must be relative to the sandbox", vp + ".sandbox_path")


def _validate_health(h: HealthCheck, spec: TaskSpec, p: str) -> None:
    if h.kind not in HEALTH_KINDS:
        raise ValidationError(f"must be one of {', '.join(HEALTH_KINDS)}", p + ".kind")
    if h.kind in ("HTTP", "HTTPS") and not h.path.startswith("/"):
        raise ValidationError("must start with '/'", p + ".path")
    if h.kind == "COMMAND" and not h.command:
        raise ValidationError("a COMMAND check needs a command", p + ".command")
    if h.kind != "COMMAND" and h.port is None and h.port_index >= spec.ports:
        raise ValidationError(f"port_index {h.port_index} but the task has {spec.ports} ports", p + ".port_index")
    for name in ("delay_seconds", "interval_seconds", "timeout_seconds", "grace_period_seconds"):
        if not 0 <= getattr(h, name) <= MAX_DURATION:
            raise ValidationError(f"must be a number of seconds in 0..{MAX_DURATION:.4g}", f"{p}.{name}")
    if not 0 <= h.consecutive_failures <= MAX_FAILURES:
        raise ValidationError(f"must be in 0..{MAX_FAILURES}", f"{p}.consecutive_failures")


def _scalar(name: str, value: float, role: str) -> dict[str, Any]:
    return {"name": name, "type": "SCALAR", "scalar": {"value": float(value)}, "role": role}


def spec_resources(spec: TaskSpec, ports: Sequence[int] = ()) -> list[dict[str, Any]]:
    """Unreserved Mesos Resource dicts for `spec` (used when placement gives none)."""
    out = [_scalar(n, getattr(spec, n), spec.role) for n in ("cpus", "mem", "disk", "gpus") if getattr(spec, n)]
    if ports:
        out.append({"name": "ports", "type": "RANGES", "role": spec.role,
                    "ranges": {"range": [{"begin": p, "end": p} for p in ports]}})
    return out


def ports_of(resources: Iterable[dict[str, Any]]) -> list[int]:
    """Every port in the `ports` RANGES resources, in order."""
    out: list[int] = []
    for r in resources:
        if r.get("name") == "ports":
            for rng in r.get("ranges", {}).get("range", []):
                out.extend(range(int(rng["begin"]), int(rng["end"]) + 1))
    return out


def _command_parts(spec: TaskSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """A CommandInfo's fields before its environment (shell, value, arguments) and after it (uris, user)."""
    head: dict[str, Any] = {}
    if spec.command is not None:
        head.update(shell=True, value=spec.command)
    elif spec.argv is not None:
        head.update(shell=False, value=spec.argv[0], arguments=list(spec.argv))
    else:
        head["shell"] = False
    tail: dict[str, Any] = {}
    if spec.uris:
        tail["uris"] = []
        for u in spec.uris:
            item: dict[str, Any] = {"value": u.value, "executable": u.executable, "extract": u.extract,
                                    "cache": u.cache}
            if u.output_file:
                item["output_file"] = u.output_file
            tail["uris"].append(item)
    if spec.user:
        tail["user"] = spec.user
    return head, tail


def _variables(env: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "type": "VALUE", "value": v} for k, v in env.items()]


def _container(c: Container) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "MESOS"}
    if c.image:
        out["mesos"] = {"image": {"type": "DOCKER", "docker": {"name": c.image}, "cached": c.cached}}
    volumes = []
    for v in c.volumes:
        vol: dict[str, Any] = {"container_path": v.container_path, "mode": "RO" if v.read_only else "RW"}
        if v.host_path is not None:
            vol["host_path"] = v.host_path
        else:
            vol["source"] = {"type": "SANDBOX_PATH", "sandbox_path": {"type": "SELF", "path": v.sandbox_path}}
        volumes.append(vol)
    if volumes:
        out["volumes"] = volumes
    return out


def _health(h: HealthCheck, ports: Sequence[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"delay_seconds": h.delay_seconds, "interval_seconds": h.interval_seconds,
                           "timeout_seconds": h.timeout_seconds, "consecutive_failures": h.consecutive_failures,
                           "grace_period_seconds": h.grace_period_seconds}
    port = h.port if h.port is not None else (ports[h.port_index] if h.port_index < len(ports) else None)
    if h.kind == "COMMAND":
        out.update(type="COMMAND", command={"shell": True, "value": h.command})
    elif h.kind == "TCP":
        out.update(type="TCP", tcp={"port": port})
    else:
        out.update(type="HTTP", http={"scheme": h.kind.lower(), "port": port, "path": h.path})
    return out


def _port_env(ports: Sequence[int]) -> dict[str, str]:
    if not ports:
        return {}
    env = {f"PORT{i}": str(p) for i, p in enumerate(ports)}
    env["PORT"] = str(ports[0])
    env["PORTS"] = ",".join(str(p) for p in ports)
    return env


def build_task_info(spec: TaskSpec, task_id: str, agent_id: str, resources: list[dict[str, Any]] | None = None,
                    ports: Sequence[int] = (), validated: bool = False) -> dict[str, Any]:
    """A validated TaskInfo for `spec` on `agent_id` (raises ValidationError). `validated=True`: the caller
    has already passed this spec through `validate` (the core does it once per spec in a round)."""
    return TaskInfoTemplate(spec, validated).build(task_id, agent_id, resources, ports)


class TaskInfoTemplate:
    """What a spec's TaskInfos share, worked out once (validated unless `validated`): `build` then makes one
    TaskInfo as `build_task_info` would, at about a third of its cost for a spec with an environment, labels
    and a health check. The TaskInfos of one template share those parts, so treat them as read-only; make a
    template for a batch of launches (the core: per spec in an offer round), not for good, since a spec's
    dicts could still be changed."""

    def __init__(self, spec: TaskSpec, validated: bool = False) -> None:
        if not validated:
            validate(spec)
        self.spec = spec
        self._head, self._tail = _command_parts(spec)
        self._env = _variables(spec.env)
        self._env_sets_ports = any(k == "PORT" or k == "PORTS" or (k.startswith("PORT") and k[4:].isdigit())
                                   for k in spec.env)
        self._shared: dict[str, Any] = {}
        if spec.labels:
            self._shared["labels"] = {"labels": [{"key": k, "value": v} for k, v in spec.labels.items()]}
        if spec.kill_grace_seconds is not None:
            self._shared["kill_policy"] = {"grace_period": {"nanoseconds": int(spec.kill_grace_seconds * 1e9)}}
        if spec.container is not None:
            self._shared["container"] = _container(spec.container)

    def build(self, task_id: str, agent_id: str, resources: list[dict[str, Any]] | None = None,
              ports: Sequence[int] = ()) -> dict[str, Any]:
        """The TaskInfo of `task_id` on `agent_id` (see the module docstring for `resources` and `ports`);
        raises ValidationError when there are fewer ports than the spec needs."""
        spec = self.spec
        if resources is None:
            resources = spec_resources(spec, ports)
        elif not ports:
            ports = ports_of(resources)
        if len(ports) < spec.ports:
            raise ValidationError(f"needs {spec.ports} ports, got {len(ports)}", "ports")
        ports = list(ports)[: spec.ports]
        if self._env_sets_ports:             # the spec's value wins, in the port variable's place
            variables = _variables({**_port_env(ports), **spec.env})
        else:
            variables = _variables(_port_env(ports)) + self._env if ports else self._env
        command = {**self._head, "environment": {"variables": variables}, **self._tail} if variables \
            else {**self._head, **self._tail}
        info: dict[str, Any] = {"name": spec.name, "task_id": {"value": task_id}, "agent_id": {"value": agent_id},
                                "resources": resources, "command": command, **self._shared}
        if spec.health_check is not None:
            info["health_check"] = _health(spec.health_check, ports)
        if spec.discovery is not None:
            info["discovery"] = _discovery(spec, ports)
        return info


def _discovery(spec: TaskSpec, ports: Sequence[int]) -> dict[str, Any]:
    d = spec.discovery
    assert d is not None
    disc: dict[str, Any] = {"visibility": d.visibility, "name": d.name or spec.name}
    if ports:
        names = list(d.port_names) + [""] * (len(ports) - len(d.port_names))
        disc["ports"] = {"ports": [{"number": p, "name": n, "protocol": "tcp"} if n else
                                   {"number": p, "protocol": "tcp"} for p, n in zip(ports, names)]}
    if d.labels:
        disc["labels"] = {"labels": [{"key": k, "value": v} for k, v in d.labels.items()]}
    return disc


def build_task_group(group: TaskGroupSpec, task_ids: Sequence[str], executor_id: str, framework_id: str,
                     agent_id: str, ports: Sequence[int] = ()) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(ExecutorInfo type DEFAULT, TaskInfos) for LAUNCH_GROUP; `ports` are shared out in task order."""
    if not group.tasks:
        raise ValidationError("a task group needs at least one task", "tasks")
    if len(task_ids) != len(group.tasks):
        raise ValidationError("one task id per task is needed", "tasks")
    for i, spec in enumerate(group.tasks):
        validate(spec, f"tasks[{i}]")
        if spec.container is not None and spec.container.image is None and not spec.container.volumes:
            raise ValidationError("an empty container is not allowed", f"tasks[{i}].container")
    role = group.tasks[0].role
    executor = {"type": "DEFAULT", "executor_id": {"value": executor_id}, "framework_id": {"value": framework_id},
                "name": group.name,
                "resources": [_scalar(n, v, role) for n, v in (("cpus", group.executor_cpus),
                                                               ("mem", group.executor_mem),
                                                               ("disk", group.executor_disk)) if v]}
    infos, offset = [], 0
    for spec, task_id in zip(group.tasks, task_ids):
        own = list(ports[offset: offset + spec.ports])
        offset += spec.ports
        infos.append(build_task_info(spec, task_id, agent_id, ports=own))
    return executor, infos
