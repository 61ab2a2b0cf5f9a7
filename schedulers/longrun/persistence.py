"""The longrun plugin's persisted state: JSON snapshots of apps, versions, groups and deployments (PURE).

Two records, written through the core's `PluginContext.save` (versioned, CAS in the state store):
- `apps`: `{"format": 1, "apps": [app], "groups": {id: [deps]}, "versions": {id: [app, ...]}, "last_version"}`
- `deployments`: `{"format": 1, "deployments": [{"id", "version", "original": [app], "target": [app],
  "groupDependencies", "step", "startedAt", "strategies": {app: [min_healthy, max_capacity, kill_now]}}]}`
A plan is rebuilt from (original, target) by `plan_deployment`, which is deterministic, and resumed at `step`
with the restart bounds it had. The deployments record is written first; `newest_target` repairs an apps
record that missed the last change. Instances are the core's task records (`recover`), mapped back to apps by
their demand keys (`taskspec.parse_key`).
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from mesosframe.errors import RecordFormatError
from schedulers.longrun.plan import plan_deployment
from schedulers.longrun.restart import RestartStrategy
from schedulers.longrun.simstate import RunningDeployment
from schedulers.longrun.spec import AppDefinition

FORMAT = 1
KEEP_VERSIONS = 10


def app_from_json(data: Mapping[str, Any]) -> AppDefinition:
    """An app stored by `AppDefinition.to_json` (already validated once; JSON mode keeps nested models)."""
    return AppDefinition.model_validate_json(json.dumps(data))


def _check(data: Mapping[str, Any] | None, name: str) -> Mapping[str, Any] | None:
    if data is None:
        return None
    if data.get("format", FORMAT) > FORMAT:
        raise RecordFormatError(f"longrun record {name!r} has format {data.get('format')}, newer than {FORMAT}")
    return data


def apps_record(apps: Mapping[str, AppDefinition], groups: Mapping[str, Iterable[str]],
                versions: Mapping[str, Mapping[str, AppDefinition]], last_version: str) -> dict[str, Any]:
    """The `apps` record; keeps the newest KEEP_VERSIONS versions of each app."""
    return {"format": FORMAT, "apps": [apps[k].to_json() for k in sorted(apps)],
            "groups": {k: list(v) for k, v in groups.items()},
            "versions": {k: [a.to_json() for a in list(v.values())[-KEEP_VERSIONS:]] for k, v in versions.items()},
            "last_version": last_version}


def load_apps(data: Mapping[str, Any] | None) -> tuple[dict[str, AppDefinition], dict[str, tuple[str, ...]],
                                                       dict[str, dict[str, AppDefinition]], str]:
    """(apps, groups, versions, last_version) from an `apps` record (empty when None)."""
    data = _check(data, "apps")
    if data is None:
        return {}, {}, {}, ""
    apps = {a.id: a for a in map(app_from_json, data.get("apps", []))}
    groups = {k: tuple(v) for k, v in data.get("groups", {}).items()}
    versions: dict[str, dict[str, AppDefinition]] = {}
    for app_id, stored in data.get("versions", {}).items():
        parsed = [app_from_json(a) for a in stored]
        versions[app_id] = {a.version or "": a for a in parsed}
    return apps, groups, versions, data.get("last_version", "")


def deployments_record(runs: Iterable[RunningDeployment]) -> dict[str, Any]:
    out = []
    for run in runs:
        plan = run.plan
        out.append({
            "id": plan.id, "version": plan.version,
            "original": [a.to_json() for a in plan.original.values()],
            "target": [a.to_json() for a in plan.target.values()],
            "groupDependencies": {k: list(v) for k, v in plan.group_dependencies.items()},
            "step": run.step, "startedAt": run.started_at,
            "strategies": {k: [s.min_healthy, s.max_capacity, s.kill_immediately] for k, s in run.strategies.items()},
        })
    return {"format": FORMAT, "deployments": out}


def load_deployments(data: Mapping[str, Any] | None) -> dict[str, RunningDeployment]:
    """Running deployments from a `deployments` record, each at its stored step."""
    data = _check(data, "deployments")
    runs: dict[str, RunningDeployment] = {}
    for item in (data or {}).get("deployments", []):
        original = {a.id: a for a in map(app_from_json, item["original"])}
        target = {a.id: a for a in map(app_from_json, item["target"])}
        plan = plan_deployment(original, target, plan_id=item["id"], version=item["version"],
                               group_dependencies=item.get("groupDependencies") or {})
        strategies = {k: RestartStrategy(*v) for k, v in item.get("strategies", {}).items()}
        runs[plan.id] = RunningDeployment(plan, started_at=item.get("startedAt", 0.0), step=item.get("step", 0),
                                          strategies=strategies)
    return runs


def newest_target(apps: dict[str, AppDefinition], groups: dict[str, tuple[str, ...]], last_version: str,
                  runs: Mapping[str, RunningDeployment]) -> tuple[dict[str, AppDefinition], dict[str, tuple[str, ...]], str]:
    """The apps and groups to lead with. The deployments record is written before the apps record; if the
    leader died in between, the newest deployment is newer than the apps and its target is the truth."""
    newest = max(runs.values(), key=lambda r: r.plan.version, default=None)
    if newest is None or newest.plan.version <= last_version:
        return apps, groups, last_version
    target_groups = {k: tuple(v) for k, v in newest.plan.group_dependencies.items()}
    return dict(newest.plan.target), target_groups, newest.plan.version


def deployments_signature(runs: Mapping[str, RunningDeployment]) -> tuple:
    """Changes when a deployment starts, ends, moves a step or fixes restart bounds (what must be saved)."""
    return tuple((k, r.step, tuple(sorted(r.strategies))) for k, r in runs.items())
