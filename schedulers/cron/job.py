"""The Chronos 3 job JSON as a pydantic v2 model, with Chronos's defaults, plus a few documented extensions.

Chronos fields: name, command, shell, arguments, schedule, scheduleTimeZone, parents, retries, softError,
disabled, concurrent, highPriority, owner, ownerName, description, cpus, mem, disk, container, environmentVariables,
fetch, uris, runAsUser, constraints, maxCompletionTime, and the server-set counters successCount, errorCount,
lastSuccess, lastError, errorsSinceLastSuccess (accepted on input, but the server keeps its own values).

Extensions (absent from Chronos, optional): `startingDeadlineSeconds` (null = no deadline: missed slots
coalesce into one catch-up run, as Chronos 3), `concurrencyPolicy` ALLOW/FORBID/REPLACE (null = ALLOW if
`concurrent`, else FORBID), `retryDelaySeconds` (Chronos's `--failure_retry`, 60), `labels` (string map copied
onto the Mesos task, e.g. `mesosframe.sim/duration` for simulated agents). Unknown fields are ignored
(Chronos clients send 2.x fields such as `epsilon`).

`cpus`/`mem`/`disk` of 0 mean the defaults 0.1/128/256 (`effective_resources`).
"""
from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mesosframe.resources.fixed import MAX_EXACT

__all__ = ["Job", "Container", "Volume", "Parameter", "EnvironmentVariable", "Fetch", "ConcurrencyPolicy",
           "JOB_NAME", "DEFAULT_CPUS", "DEFAULT_MEM", "DEFAULT_DISK"]

JOB_NAME = re.compile(r"[A-Za-z0-9_.-]+")  # Java's \w is ASCII
DEFAULT_CPUS, DEFAULT_MEM, DEFAULT_DISK = 0.1, 128.0, 256.0
SERVER_FIELDS = ("successCount", "errorCount", "lastSuccess", "lastError", "errorsSinceLastSuccess")


class ConcurrencyPolicy(str, Enum):
    """What a due slot does while a run of the same job is still active."""

    ALLOW = "ALLOW"      # start another run
    FORBID = "FORBID"    # skip the slot (recorded as SKIPPED)
    REPLACE = "REPLACE"  # kill the active runs, then start


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, allow_inf_nan=False)


class Volume(_Model):
    containerPath: str
    hostPath: str | None = None
    mode: Literal["RO", "RW"] | None = None
    external: dict | None = None


class Parameter(_Model):
    key: str
    value: str


class Container(_Model):
    """`type` MESOS with an `image` means the Mesos Unified Container (an OCI/Docker image, no Docker daemon)."""

    type: Literal["DOCKER", "MESOS"] = "DOCKER"
    image: str = Field(min_length=1)
    network: Literal["HOST", "BRIDGE", "USER"] = "HOST"
    networkName: str | None = None
    volumes: list[Volume] = []
    parameters: list[Parameter] = []
    forcePullImage: bool = False


class EnvironmentVariable(_Model):
    name: str = Field(min_length=1)
    value: str = ""


class Fetch(_Model):
    uri: str = Field(min_length=1)
    executable: bool = False
    cache: bool = False
    extract: bool = True
    output_file: str | None = None


Constraint = Annotated[list[str], Field(min_length=3, max_length=3)]


class Job(_Model):
    """One Chronos job. A scheduled job has `schedule`; a dependent job has `parents` (never both)."""

    name: str
    command: str = ""
    shell: bool = True
    arguments: list[str] = []
    description: str = ""
    schedule: str | None = None
    scheduleTimeZone: str | None = None
    parents: list[str] = []
    retries: int = Field(default=2, ge=0)
    softError: bool = False
    disabled: bool = False
    concurrent: bool = False
    highPriority: bool = False
    owner: str = ""
    ownerName: str = ""
    runAsUser: str = "root"
    cpus: float = Field(default=0.0, ge=0, le=MAX_EXACT)
    mem: float = Field(default=0.0, ge=0, le=MAX_EXACT)
    disk: float = Field(default=0.0, ge=0, le=MAX_EXACT)
    container: Container | None = None
    environmentVariables: list[EnvironmentVariable] = []
    fetch: list[Fetch] = []
    uris: list[str] = []
    constraints: list[Constraint] = []
    maxCompletionTime: int = Field(default=0, ge=0)  # milliseconds, as Chronos; 0 = no limit
    successCount: int = 0
    errorCount: int = 0
    lastSuccess: str = ""
    lastError: str = ""
    errorsSinceLastSuccess: int = 0
    startingDeadlineSeconds: float | None = Field(default=None, ge=0)
    concurrencyPolicy: ConcurrencyPolicy | None = None
    retryDelaySeconds: float = Field(default=60.0, ge=0)
    labels: dict[str, str] = {}

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not JOB_NAME.fullmatch(value) or value in (".", ".."):
            raise ValueError("must match [A-Za-z0-9_.-]+ (ASCII letters, digits, '_', '.', '-'), "
                             "and not be '.' or '..'")
        return value

    @field_validator("constraints")
    @classmethod
    def _check_constraints(cls, value: list[list[str]]) -> list[list[str]]:
        for index, constraint in enumerate(value):
            if constraint[1] not in ("EQUALS", "LIKE", "UNLIKE"):
                raise ValueError(f"constraint {index}: operator must be EQUALS, LIKE or UNLIKE")
            if constraint[1] in ("LIKE", "UNLIKE"):
                try:
                    re.compile(constraint[2])
                except re.error as exc:
                    raise ValueError(f"constraint {index}: bad regular expression: {exc}") from None
        return value

    @field_validator("parents")
    @classmethod
    def _check_parents(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("parents must not repeat")
        return value

    @model_validator(mode="after")
    def _check_schedule_or_parents(self) -> Job:
        if self.schedule and self.parents:
            raise ValueError("a job has either a schedule or parents, not both")
        if self.fetch and self.uris:
            raise ValueError("give either fetch or uris, not both")
        if self.name in self.parents:
            raise ValueError("a job cannot be its own parent")
        return self

    @property
    def policy(self) -> ConcurrencyPolicy:
        """The effective concurrency policy."""
        if self.concurrencyPolicy is not None:
            return self.concurrencyPolicy
        return ConcurrencyPolicy.ALLOW if self.concurrent else ConcurrencyPolicy.FORBID

    def effective_resources(self) -> dict[str, float]:
        """cpus/mem/disk with 0 replaced by the Chronos defaults."""
        return {"cpus": self.cpus or DEFAULT_CPUS, "mem": self.mem or DEFAULT_MEM, "disk": self.disk or DEFAULT_DISK}

    def to_json(self) -> dict:
        """The job as Chronos JSON (extension fields included only when set)."""
        data = self.model_dump(mode="json")
        if not data["labels"]:
            del data["labels"]
        for extension in ("startingDeadlineSeconds", "concurrencyPolicy"):
            if data[extension] is None:
                del data[extension]
        if data["container"] is None:
            del data["container"]
        return data

    def with_server_fields(self, previous: Job | None) -> Job:
        """This job with the counters of `previous` (zeroed if None): clients cannot set them."""
        values = {field: getattr(previous, field) if previous else Job.model_fields[field].default
                  for field in SERVER_FIELDS}
        return self.model_copy(update=values)
