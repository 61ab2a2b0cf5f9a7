"""Task specifications: what a plugin asks to run (frozen value types; validated by `tasks.builder`).

A `TaskSpec` names the command (shell string, or argv), resources (`cpus`, `mem`, `disk`, `gpus`, and a
number of `ports` picked from the offer), environment, URIs, labels, kill grace period, an optional
Unified Container (`Container`: Docker image + volumes), a Mesos-native `HealthCheck` and `Discovery`.
`constraints` are `mesosframe.matching` constraints, passed through to placement unchanged.
A `TaskGroupSpec` is several TaskSpecs launched together (LAUNCH_GROUP) under one DEFAULT executor.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Uri:
    """A URI the Mesos fetcher downloads into the sandbox."""
    value: str
    executable: bool = False
    extract: bool = True
    cache: bool = False
    output_file: str | None = None


@dataclass(frozen=True)
class Volume:
    """A volume in a Unified Container: `host_path` or `sandbox_path` mounted at `container_path`."""
    container_path: str
    host_path: str | None = None
    sandbox_path: str | None = None
    read_only: bool = False


@dataclass(frozen=True)
class Container:
    """A Mesos (Unified) container; `image` is a Docker image name (`[registry/]repo[:tag|@digest]`)."""
    image: str | None = None
    volumes: tuple[Volume, ...] = ()
    cached: bool = True


@dataclass(frozen=True)
class HealthCheck:
    """A Mesos-native health check. `kind` is HTTP, HTTPS, TCP or COMMAND; defaults are Mesos's.

    `port_index` picks the port from the task's ports when `port` is not given (HTTP/TCP).
    """
    kind: str = "HTTP"
    path: str = "/"
    port: int | None = None
    port_index: int = 0
    command: str | None = None
    delay_seconds: float = 15.0
    interval_seconds: float = 10.0
    timeout_seconds: float = 20.0
    consecutive_failures: int = 3
    grace_period_seconds: float = 10.0


@dataclass(frozen=True)
class Discovery:
    """DiscoveryInfo; `port_names` name the task's ports in order (protocol tcp)."""
    name: str | None = None
    visibility: str = "FRAMEWORK"
    port_names: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskSpec:
    """One task to run. Exactly one of `command` (run by `/bin/sh -c`) or `argv` (exec'd) unless a
    container image supplies its own entrypoint (then both may be empty)."""
    name: str
    command: str | None = None
    argv: tuple[str, ...] | None = None
    cpus: float = 0.1
    mem: float = 32.0
    disk: float = 0.0
    gpus: int = 0
    ports: int = 0
    env: Mapping[str, str] = field(default_factory=dict)
    uris: tuple[Uri, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    kill_grace_seconds: float | None = None
    container: Container | None = None
    health_check: HealthCheck | None = None
    discovery: Discovery | None = None
    constraints: tuple[Any, ...] = ()
    role: str = "*"
    user: str | None = None


@dataclass(frozen=True)
class TaskGroupSpec:
    """Tasks launched together (LAUNCH_GROUP) in one DEFAULT executor with its own small resources."""
    name: str
    tasks: tuple[TaskSpec, ...]
    executor_cpus: float = 0.1
    executor_mem: float = 32.0
    executor_disk: float = 0.0

    def total(self) -> TaskSpec:
        """A synthetic TaskSpec whose resources are the group's sum (for placement)."""
        tasks = self.tasks
        constraints = tuple(c for t in tasks for c in t.constraints)
        return TaskSpec(name=self.name, command="group", cpus=self.executor_cpus + sum(t.cpus for t in tasks),
                        mem=self.executor_mem + sum(t.mem for t in tasks),
                        disk=self.executor_disk + sum(t.disk for t in tasks), gpus=sum(t.gpus for t in tasks),
                        ports=sum(t.ports for t in tasks), constraints=constraints,
                        role=tasks[0].role if tasks else "*")
