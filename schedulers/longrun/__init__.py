"""Marathon-compatible long-running service scheduler.

Pure core: `spec` (app definitions, validation), `plan` (deployment plans), `restart` (rolling restart steps),
`scaling` (victim selection), `health`, `backoff`, `unreachable`. Service seam: `service.LongrunService`;
in-memory implementation: `memory.InMemoryLongrunService`; REST: `api.create_app(service)`.
On Mesos: `mesos.MesosLongrunService` (its `.plugin` is the core's `LongrunPlugin`), run as a process by
`server.LongrunServer` (`server.start_demo_longrun` for the demo) and `mesosframe longrun` (`command`).
"""
from __future__ import annotations

from schedulers.longrun.api import create_app
from schedulers.longrun.memory import InMemoryLongrunService
from schedulers.longrun.mesos import MesosLongrunService
from schedulers.longrun.plugin import LongrunPlugin
from schedulers.longrun.plan import DeploymentPlan, plan_deployment, rollback_plan
from schedulers.longrun.restart import RestartStrategy, restart_step, restart_strategy
from schedulers.longrun.service import LongrunService
from schedulers.longrun.spec import AppDefinition, parse_app
from schedulers.longrun.validation import AppValidationError

__all__ = [
    "AppDefinition", "AppValidationError", "DeploymentPlan", "InMemoryLongrunService", "LongrunPlugin",
    "LongrunService", "MesosLongrunService",
    "RestartStrategy", "create_app", "parse_app", "plan_deployment", "restart_step", "restart_strategy",
    "rollback_plan",
]
