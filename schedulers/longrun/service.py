"""The `LongrunService` interface: everything the REST layer needs from the scheduler.

`create_app(service)` (schedulers.longrun.api) builds the HTTP API over any implementation. The in-memory one
(`schedulers.longrun.memory.InMemoryLongrunService`) simulates tasks and runs deployments by the pure plan and
restart steps; the Mesos plugin implements the same interface over the framework core.

Every method may raise: `NotFoundError` (404), `AppExistsError` (409), `AppLockedError` (409 with the blocking
deployments), `BadRequestError` (400), `AppValidationError` / `ValidationError` (422),
`TooManyDeploymentsError` (403), `NotLeaderError` (503).
"""
from __future__ import annotations

import abc
import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Sequence

from mesosframe.errors import MesosframeError
from schedulers.longrun.plan import DeploymentPlan
from schedulers.longrun.spec import AppDefinition


class LongrunError(MesosframeError):
    """Base of the errors the service raises on purpose; `status` is the HTTP status the API gives."""

    status = 500


class NotFoundError(LongrunError):
    status = 404


class AppExistsError(LongrunError):
    status = 409


class BadRequestError(LongrunError):
    status = 400


class TooManyDeploymentsError(LongrunError):
    status = 403


class AppLockedError(LongrunError):
    """The apps are part of running deployments; `deployment_ids` names them."""

    status = 409

    def __init__(self, deployment_ids: Sequence[str]) -> None:
        self.deployment_ids = list(deployment_ids)
        first = self.deployment_ids[0] if self.deployment_ids else ""
        super().__init__("App is locked by one or more deployments. Override with the option '?force=true'. "
                         f"View details at '/v2/deployments/{first}'.")


def iso(now: float) -> str:
    """Marathon's timestamp format: UTC, milliseconds, `Z` (as `datetime.fromtimestamp` rounds: to the nearest
    microsecond, half to even, then truncated to milliseconds). Every event carries one, so the formatted
    second is cached."""
    fraction, whole = math.modf(now)
    micros = round(fraction * 1e6)
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    elif micros < 0:
        whole, micros = whole - 1, micros + 1_000_000
    return _second(int(whole)) + f"{micros // 1000:03d}Z"


@functools.lru_cache(maxsize=8)
def _second(whole: int) -> str:
    return dt.datetime.fromtimestamp(whole, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")


@dataclass
class Task:
    """One instance's task as the API shows it. `config_version` is the app's lastConfigChangeAt it runs."""

    id: str
    app_id: str
    version: str
    config_version: str
    host: str
    agent_id: str
    ports: list[int]
    state: str = "TASK_STAGING"
    healthy: bool | None = None
    staged_at: float = 0.0
    started_at: float | None = None
    killing: bool = False
    unreachable_since: float | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    checked: bool = False      # the app has health checks: healthy only once a check said so
    placed: bool = False       # ports and agent attributes are known (from the core's record, or the master)

    @property
    def active(self) -> bool:
        return self.state in ("TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_UNREACHABLE", "TASK_KILLING")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "appId": self.app_id, "host": self.host, "slaveId": self.agent_id, "ports": self.ports,
            "servicePorts": [], "ipAddresses": [], "state": self.state, "version": self.version,
            "stagedAt": iso(self.staged_at),
        }
        if self.started_at is not None:
            out["startedAt"] = iso(self.started_at)
        if self.healthy is not None:
            out["healthCheckResults"] = [{"alive": self.healthy, "taskId": self.id, "consecutiveFailures": 0,
                                          "firstSuccess": None, "lastFailure": None, "lastSuccess": None}]
        return out


@dataclass(frozen=True)
class DeploymentResult:
    """What a change returns: `{"deploymentId", "version"}`; `plan` is None when nothing had to change."""

    deployment_id: str
    version: str
    plan: DeploymentPlan | None = None

    def to_json(self) -> dict[str, Any]:
        return {"deploymentId": self.deployment_id, "version": self.version}


class EventSubscription(abc.ABC):
    """A live subscription to the event stream; iterate for events (dicts with `eventType`), then `close()`."""

    @abc.abstractmethod
    def __aiter__(self) -> AsyncIterator[dict[str, Any]]: ...

    @abc.abstractmethod
    def close(self) -> None: ...


class LongrunService(abc.ABC):
    """The scheduler behind `/v2`. Ids are canonical app or group paths. Methods are thread-safe."""

    # apps
    @abc.abstractmethod
    def apps(self) -> list[AppDefinition]:
        """Every app, sorted by id."""

    @abc.abstractmethod
    def app(self, app_id: str) -> AppDefinition:
        """The current definition; NotFoundError."""

    @abc.abstractmethod
    def app_versions(self, app_id: str) -> list[str]:
        """Stored versions of an app, newest first; NotFoundError."""

    @abc.abstractmethod
    def app_version(self, app_id: str, version: str) -> AppDefinition:
        """One stored version; NotFoundError."""

    @abc.abstractmethod
    def create_app(self, app: AppDefinition, force: bool = False) -> tuple[AppDefinition, DeploymentResult]:
        """Add a new app; AppExistsError, AppLockedError; AppValidationError if its id names a group or lies
        under an app."""

    @abc.abstractmethod
    def update_apps(self, apps: Sequence[AppDefinition], force: bool = False) -> DeploymentResult:
        """Create or replace apps in one deployment; AppLockedError; AppValidationError if an id would name
        both an app and a group."""

    @abc.abstractmethod
    def delete_app(self, app_id: str, force: bool = False) -> DeploymentResult:
        """Remove an app (its tasks are killed); NotFoundError, AppLockedError."""

    @abc.abstractmethod
    def restart_app(self, app_id: str, force: bool = False) -> DeploymentResult:
        """A new version with the same config, replacing every task; NotFoundError, AppLockedError."""

    # tasks
    @abc.abstractmethod
    def tasks(self, app_id: str | None = None) -> list[Task]:
        """Active tasks, of one app (NotFoundError) or of all."""

    @abc.abstractmethod
    def kill_tasks(self, task_ids: Sequence[str], scale: bool = False, wipe: bool = False,
                   force: bool = False) -> tuple[list[Task], DeploymentResult | None]:
        """Kill tasks; with `scale`, lower the apps' instances by as many (a deployment). BadRequestError
        for unknown task ids or `scale` with `wipe`."""

    # groups
    @abc.abstractmethod
    def group(self, group_id: str) -> dict[str, Any]:
        """The group tree at `group_id` as Marathon's JSON (apps, groups, dependencies, version)."""

    @abc.abstractmethod
    def update_group(self, group_id: str, body: dict[str, Any], *, create: bool, force: bool = False,
                     dry_run: bool = False) -> DeploymentResult | dict[str, Any]:
        """Create (create=True; AppExistsError if it exists) or change a group. The body may hold `apps`,
        `groups`, `dependencies`, or only `version` (roll back) or `scaleBy`. With dry_run the plan's steps
        are returned and nothing changes. AppValidationError if an id would name both an app and a group."""

    @abc.abstractmethod
    def delete_group(self, group_id: str, force: bool = False) -> DeploymentResult:
        """Remove a group and every app in it."""

    # deployments
    @abc.abstractmethod
    def deployments(self) -> list[dict[str, Any]]:
        """Running deployments as Marathon's JSON."""

    @abc.abstractmethod
    def cancel_deployment(self, deployment_id: str, force: bool = False) -> DeploymentResult | None:
        """Without force: stop it and start a revert deployment (returned). With force: stop it, no revert."""

    # queue
    @abc.abstractmethod
    def queue(self) -> list[dict[str, Any]]:
        """Apps waiting for launches: `{app, count, delay{timeLeftSeconds, overdue}, since,
        processedOffersSummary}` (the why-not-launched reasons)."""

    @abc.abstractmethod
    def reset_delay(self, app_id: str) -> None:
        """Drop the app's launch backoff; NotFoundError."""

    # events, leadership, status
    @abc.abstractmethod
    def subscribe(self, event_types: Sequence[str] = ()) -> EventSubscription:
        """A subscription to events of those types (all when empty)."""

    @abc.abstractmethod
    def leader(self) -> str | None:
        """`host:port` of the leader, or None."""

    @abc.abstractmethod
    def abdicate(self) -> None:
        """Give up leadership; NotLeaderError if not the leader."""

    @abc.abstractmethod
    def info(self) -> dict[str, Any]:
        """`/v2/info` body."""

    @abc.abstractmethod
    def metrics(self) -> dict[str, Any]:
        """`/metrics` body (JSON counters and gauges)."""
