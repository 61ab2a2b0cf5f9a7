"""App definitions: Marathon's `/v2/apps` JSON as pydantic v2 models, with Marathon's field names and defaults.

`parse_app(data, base)` is the one entry point for untrusted input: it returns an `AppDefinition` with a
canonical id, or raises `AppValidationError` whose `details` are Marathon's 422 `[{path, errors}]`.

Container choice: `container.type` DOCKER and MESOS both run the image (`docker.image`) with the Mesos
(unified) containerizer. Docker-only options the unified containerizer cannot honour (`privileged`,
`parameters`) are refused with a 422 rather than silently ignored. GPUs need type MESOS, as in Marathon.
"""
from __future__ import annotations

import json
from functools import cached_property
from typing import Any, Literal, Mapping, Union

from pydantic import BaseModel, ConfigDict, Field

from mesosframe.resources.fixed import MAX_EXACT
from mesosframe.tasks.builder import MAX_DURATION, MAX_FAILURES
from schedulers.longrun.pathid import ROOT

HealthProtocol = Literal["HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"]
MESOS_SIDE_PROTOCOLS = frozenset({"COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"})
MAX_INSTANCES = 2**31 - 1      # Marathon's `instances` is a 32-bit Int
MAX_SECONDS = int(MAX_DURATION)   # a Mesos DurationInfo (int64 nanoseconds) in whole seconds


class _Model(BaseModel):
    """Strict about types (no "1" for 1), lenient about unknown fields (Marathon ignores them)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, allow_inf_nan=False)


class CommandSpec(_Model):
    value: str = Field(min_length=1)


class HealthCheck(_Model):
    """A health check; HTTP, HTTPS and TCP run in the scheduler, the others on the agent."""

    protocol: HealthProtocol = "HTTP"
    path: str | None = None
    portIndex: int | None = Field(default=None, ge=0)
    port: int | None = Field(default=None, ge=0, le=65535)
    command: CommandSpec | None = None
    gracePeriodSeconds: int = Field(default=300, ge=0, le=MAX_SECONDS)
    intervalSeconds: int = Field(default=60, ge=0, le=MAX_SECONDS)
    timeoutSeconds: int = Field(default=20, ge=0, le=MAX_SECONDS)
    maxConsecutiveFailures: int = Field(default=3, ge=0, le=MAX_FAILURES)
    delaySeconds: int = Field(default=15, ge=0, le=MAX_SECONDS)
    ignoreHttp1xx: bool = False

    @property
    def runs_on_agent(self) -> bool:
        return self.protocol in MESOS_SIDE_PROTOCOLS


class ReadinessCheck(_Model):
    name: str = "readinessCheck"
    protocol: Literal["HTTP", "HTTPS"] = "HTTP"
    path: str = "/"
    portName: str = "http-api"
    intervalSeconds: int = Field(default=30, ge=1)
    timeoutSeconds: int = Field(default=10, ge=1)
    httpStatusCodesForReady: list[int] = Field(default_factory=lambda: [200], min_length=1)
    preserveLastResponse: bool = False


class UpgradeStrategy(_Model):
    minimumHealthCapacity: float = Field(default=1.0, ge=0.0, le=1.0)
    maximumOverCapacity: float = Field(default=1.0, ge=0.0, le=1.0)


class UnreachableStrategy(_Model):
    inactiveAfterSeconds: int = Field(default=0, ge=0)
    expungeAfterSeconds: int = Field(default=0, ge=0)


class PortDefinition(_Model):
    port: int = Field(default=0, ge=0, le=65535)
    protocol: Literal["tcp", "udp", "udp,tcp", "tcp,udp"] = "tcp"
    name: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$")
    labels: dict[str, str] = Field(default_factory=dict)


class PortMapping(_Model):
    containerPort: int = Field(default=0, ge=0, le=65535)
    hostPort: int | None = Field(default=None, ge=0, le=65535)
    servicePort: int = Field(default=0, ge=0, le=65535)
    protocol: Literal["tcp", "udp", "udp,tcp", "tcp,udp"] = "tcp"
    name: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$")
    labels: dict[str, str] = Field(default_factory=dict)


class FetchUri(_Model):
    uri: str = Field(min_length=1)
    executable: bool = False
    extract: bool = True
    cache: bool = False
    destPath: str | None = None


class PersistentVolume(_Model):
    size: int = Field(gt=0)


class Volume(_Model):
    containerPath: str = Field(min_length=1)
    hostPath: str | None = None
    mode: Literal["RO", "RW"] = "RW"
    persistent: PersistentVolume | None = None


class DockerParameter(_Model):
    key: str
    value: str


class DockerSpec(_Model):
    image: str = Field(min_length=1)
    forcePullImage: bool = False
    privileged: bool = False
    parameters: list[DockerParameter] = Field(default_factory=list)
    portMappings: list[PortMapping] | None = None


class Container(_Model):
    type: Literal["DOCKER", "MESOS"] = "DOCKER"
    docker: DockerSpec | None = None
    volumes: list[Volume] = Field(default_factory=list)
    portMappings: list[PortMapping] | None = None


class VersionInfo(_Model):
    lastScalingAt: str
    lastConfigChangeAt: str


class AppDefinition(_Model):
    """One app. `id` is canonical (absolute) once it came through `parse_app`."""

    id: str
    cmd: str | None = None
    args: list[str] | None = None
    user: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    instances: int = Field(default=1, ge=0, le=MAX_INSTANCES)
    cpus: float = Field(default=1.0, ge=0.0, le=MAX_EXACT)
    mem: float = Field(default=128.0, ge=0.0, le=MAX_EXACT)
    disk: float = Field(default=0.0, ge=0.0, le=MAX_EXACT)
    gpus: int = Field(default=0, ge=0, le=int(MAX_EXACT))
    executor: str = ""
    constraints: list[list[str]] = Field(default_factory=list)
    acceptedResourceRoles: list[str] | None = None
    container: Container | None = None
    fetch: list[FetchUri] = Field(default_factory=list)
    healthChecks: list[HealthCheck] = Field(default_factory=list)
    readinessChecks: list[ReadinessCheck] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list)
    upgradeStrategy: UpgradeStrategy = Field(default_factory=UpgradeStrategy)
    labels: dict[str, str] = Field(default_factory=dict)
    backoffSeconds: float = Field(default=1.0, ge=0.0)
    backoffFactor: float = Field(default=1.15, ge=1.0)
    maxLaunchDelaySeconds: float = Field(default=300.0, ge=0.0)
    portDefinitions: list[PortDefinition] = Field(default_factory=lambda: [PortDefinition()])
    requirePorts: bool = False
    killSelection: Literal["YOUNGEST_FIRST", "OLDEST_FIRST"] = "YOUNGEST_FIRST"
    unreachableStrategy: Union[UnreachableStrategy, Literal["disabled"]] = Field(default_factory=UnreachableStrategy)
    taskKillGracePeriodSeconds: int | None = Field(default=None, ge=0, le=MAX_SECONDS)
    version: str | None = None
    versionInfo: VersionInfo | None = None

    def to_json(self) -> dict[str, Any]:
        """Marathon's JSON form (fields that are unset stay out). A fresh top-level dict; nested values are
        shared and must not be mutated."""
        return dict(self._json)

    @cached_property
    def _json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> "AppDefinition":
        """A copy; the cached JSON form is not carried over (it would describe the original)."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("_json", None)
        return copy

    def config_key(self) -> str:
        """Everything but `instances` and versions: equal keys mean a change is scale-only."""
        body = self.model_dump(mode="json", exclude={"instances", "version", "versionInfo"})
        return json.dumps(body, sort_keys=True)

    @property
    def mesos_health_checks(self) -> list[HealthCheck]:
        return [c for c in self.healthChecks if c.runs_on_agent]

    @property
    def group_by(self) -> list[str]:
        """Fields named by GROUP_BY constraints (used to balance scale-down victims)."""
        return [c[0] for c in self.constraints if len(c) >= 2 and c[1] == "GROUP_BY"]


def parse_app(data: Any, base: str = ROOT) -> AppDefinition:
    """Validate untrusted JSON into an app with a canonical id; raises AppValidationError (422 details)."""
    from schedulers.longrun.validation import validate_app

    return validate_app(data, base)


def merge_app(current: AppDefinition, patch: dict[str, Any]) -> dict[str, Any]:
    """The JSON of `current` with the top-level fields of `patch` replaced (Marathon's partial update)."""
    body = current.model_dump(mode="json", exclude_none=True, exclude={"version", "versionInfo"})
    body.update({k: v for k, v in patch.items() if k not in ("version", "versionInfo")})
    return body
