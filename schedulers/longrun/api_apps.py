"""`/v2/apps` and `/v2/tasks` routes. App ids with slashes are matched with `{app_id:path}`."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from schedulers.common.jsonbody import JSONBody
from schedulers.longrun.api import call, deployment_response, json_body, redact_env
from schedulers.longrun.pathid import ROOT, PathIdError, canonical, is_within
from schedulers.longrun.selectors import parse_selector
from schedulers.longrun.service import BadRequestError, LongrunService, NotFoundError, Task
from schedulers.longrun.spec import AppDefinition, merge_app, parse_app
from schedulers.longrun.validation import AppValidationError

log = logging.getLogger("mesosframe.longrun.api")
router = APIRouter()
TASK_STATES = {"running": {"TASK_RUNNING"}, "staging": {"TASK_STAGING", "TASK_STARTING"}}
ROLLBACK_KEYS = frozenset({"id", "version", "versionInfo"})     # versionInfo is read-only: ignored, as Marathon


def _service(request: Request) -> LongrunService:
    return request.app.state.service


def _app_id(raw: str) -> str:
    try:
        return canonical(raw)
    except PathIdError as exc:
        raise NotFoundError(f"App '/{raw}' does not exist") from exc


def _embeds(embed: list[str]) -> set[str]:
    return {e.split(".", 1)[-1] for e in embed}


def _app_json(service: LongrunService, app: AppDefinition, embed: set[str], tasks: list[Task],
              deployments: list[dict[str, Any]]) -> dict[str, Any]:
    body = app.to_json()
    mine = [t for t in tasks if t.app_id == app.id]
    body["deployments"] = [{"id": d["id"]} for d in deployments if app.id in d["affectedApps"]]
    if "counts" in embed or "tasks" in embed:
        body.update(tasksStaged=sum(t.state == "TASK_STAGING" for t in mine),
                    tasksRunning=sum(t.state == "TASK_RUNNING" for t in mine),
                    tasksHealthy=sum(t.healthy is True for t in mine),
                    tasksUnhealthy=sum(t.healthy is False for t in mine))
    if "tasks" in embed:
        body["tasks"] = [t.to_json() for t in mine]
    if "lastTaskFailure" in embed:
        body["lastTaskFailure"] = None
    if "readiness" in embed:
        body["readinessCheckResults"] = []
    return body


def _log_app(action: str, app: AppDefinition) -> None:
    log.info("app_%s id=%s instances=%s env=%s", action, app.id, app.instances, redact_env(app.env))


@router.get("/v2/apps")
async def list_apps(request: Request, id: str | None = None, cmd: str | None = None, label: str | None = None,
                    embed: list[str] = Query(default=[])) -> JSONBody:
    service = _service(request)
    selector = parse_selector(label) if label else None
    apps = await call(service.apps)
    apps = [a for a in apps if (id is None or id in a.id) and (cmd is None or (a.cmd and cmd in a.cmd))
            and (selector is None or selector(a.labels))]
    wanted = _embeds(embed)
    tasks = await call(service.tasks) if wanted & {"tasks", "counts"} else []
    deployments = await call(service.deployments)
    return JSONBody({"apps": [_app_json(service, a, wanted, tasks, deployments) for a in apps]})


@router.post("/v2/apps", status_code=201)
async def create_app(request: Request, force: bool = False) -> Response:
    service = _service(request)
    app = parse_app(await json_body(request))
    _log_app("create", app)
    created, result = await call(service.create_app, app, force)
    body = {**created.to_json(), "deployments": [{"id": result.deployment_id}]}
    return deployment_response(result, 201, location=f"/v2/apps{created.id}", body=body)


async def _bulk(request: Request, force: bool, partial: bool) -> Response:
    """Apply the list's updates in order, as Marathon folds them over the root group: an id given twice gets
    the later update on top of the earlier one. A problem in item i is reported at `/(i)/<field>`."""
    service = _service(request)
    raw = await json_body(request)
    if not isinstance(raw, list):
        raise AppValidationError([("/", "must be a list of apps")])
    apps: dict[str, AppDefinition] = {}
    problems: list[tuple[str, str]] = []
    for i, item in enumerate(raw):
        try:
            app = await _parse_update(service, item, None, partial, earlier=apps)
        except AppValidationError as exc:
            problems.extend((f"/({i}){d['path'].rstrip('/')}", e) for d in exc.details for e in d["errors"])
            continue
        apps[app.id] = app
    if problems:
        raise AppValidationError(problems)
    result = await call(service.update_apps, list(apps.values()), force)
    return deployment_response(result)


async def _parse_update(service: LongrunService, raw: Any, app_id: str | None, partial: bool,
                        earlier: dict[str, AppDefinition] | None = None) -> AppDefinition:
    """The app one update (Marathon's AppUpdate) makes. With `partial`, its fields go on top of the app as it
    is (in `earlier`, from a previous item of the same request, else the service's); for an existing app, a body
    of only `version` (and `id`) is a rollback to that stored version (NotFoundError naming it if there is none)."""
    if not isinstance(raw, dict):
        raise AppValidationError([("/", "must be a JSON object")])
    try:
        target_id = app_id or (canonical(raw["id"]) if isinstance(raw.get("id"), str) else None)
    except PathIdError as exc:
        raise AppValidationError([("/id", exc.message)]) from None
    if target_id is None:
        raise AppValidationError([("/id", "is required")])
    body = {**raw, "id": target_id}
    if partial:
        current = (earlier or {}).get(target_id)
        if current is None:
            try:
                current = await call(service.app, target_id)
            except NotFoundError:
                pass
        if current is not None and raw.get("version") is not None:
            return await _rollback(service, raw, target_id)
        if current is not None:
            body = {**merge_app(current, raw), "id": target_id}
    return parse_app(body)


async def _rollback(service: LongrunService, raw: dict[str, Any], app_id: str) -> AppDefinition:
    """The stored version `raw["version"]` of an app. As Marathon, `version` may come only with `id` (422)."""
    if any(k in AppDefinition.model_fields and k not in ROLLBACK_KEYS for k in raw):
        raise AppValidationError([("/", "The 'version' field may only be combined with the 'id' field.")])
    version = raw["version"]
    if not isinstance(version, str):
        raise AppValidationError([("/version", "must be a string")])
    return await call(service.app_version, app_id, version)


@router.put("/v2/apps")
async def replace_apps(request: Request, force: bool = False, partialUpdate: bool = True) -> Response:
    return await _bulk(request, force, partialUpdate)


@router.patch("/v2/apps")
async def patch_apps(request: Request, force: bool = False) -> Response:
    return await _bulk(request, force, True)


@router.get("/v2/apps/{app_id:path}/tasks")
async def app_tasks(request: Request, app_id: str) -> Response:
    tasks = await call(_service(request).tasks, _app_id(app_id))
    if "text/plain" in request.headers.get("accept", "") and "json" not in request.headers.get("accept", ""):
        lines = [f"{t.app_id}\t{t.host}\t" + "\t".join(f"{t.host}:{p}" for p in t.ports) for t in tasks]
        return PlainTextResponse("\n".join(lines) + ("\n" if lines else ""))
    return JSONBody({"tasks": [t.to_json() for t in tasks]})


@router.delete("/v2/apps/{app_id:path}/tasks/{task_id}")
async def kill_app_task(request: Request, app_id: str, task_id: str, scale: bool = False, wipe: bool = False,
                        force: bool = False) -> Response:
    service = _service(request)
    tasks = await call(service.tasks, _app_id(app_id))
    if task_id not in {t.id for t in tasks}:
        raise NotFoundError(f"Task '{task_id}' does not exist")
    killed, result = await call(service.kill_tasks, [task_id], scale, wipe, force)
    if result is not None:
        return deployment_response(result)
    return JSONBody({"task": killed[0].to_json()})


@router.delete("/v2/apps/{app_id:path}/tasks")
async def kill_app_tasks(request: Request, app_id: str, host: str | None = None, scale: bool = False,
                         wipe: bool = False, force: bool = False) -> Response:
    service = _service(request)
    tasks = await call(service.tasks, _app_id(app_id))
    ids = [t.id for t in tasks if host is None or t.host == host]
    killed, result = await call(service.kill_tasks, ids, scale, wipe, force)
    if result is not None:
        return deployment_response(result)
    return JSONBody({"tasks": [t.to_json() for t in killed]})


@router.post("/v2/apps/{app_id:path}/restart")
async def restart_app(request: Request, app_id: str, force: bool = False) -> Response:
    result = await call(_service(request).restart_app, _app_id(app_id), force)
    return deployment_response(result)


@router.get("/v2/apps/{app_id:path}/versions/{version}")
async def app_version(request: Request, app_id: str, version: str) -> dict[str, Any]:
    app = await call(_service(request).app_version, _app_id(app_id), version)
    return app.to_json()


@router.get("/v2/apps/{app_id:path}/versions")
async def app_versions(request: Request, app_id: str) -> dict[str, Any]:
    return {"versions": await call(_service(request).app_versions, _app_id(app_id))}


@router.get("/v2/apps/{app_id:path}")
async def get_app(request: Request, app_id: str, embed: list[str] = Query(default=[])) -> dict[str, Any]:
    service = _service(request)
    tasks, deployments = await call(service.tasks), await call(service.deployments)
    wanted = {"counts", "tasks", "lastTaskFailure"} | _embeds(embed)
    if app_id.endswith("*"):
        prefix = app_id[:-1].rstrip("/")
        group = canonical(prefix) if prefix else ROOT
        apps = [a for a in await call(service.apps) if is_within(a.id, group)]
        return {"*": [_app_json(service, a, wanted, tasks, deployments) for a in apps]}
    app = await call(service.app, _app_id(app_id))
    return {"app": _app_json(service, app, wanted, tasks, deployments)}


@router.put("/v2/apps/{app_id:path}")
async def put_app(request: Request, app_id: str, force: bool = False, partialUpdate: bool = True) -> Response:
    service = _service(request)
    target = _app_id(app_id)
    existed = target in {a.id for a in await call(service.apps)}
    app = await _parse_update(service, await json_body(request), target, partialUpdate)
    _log_app("update", app)
    result = await call(service.update_apps, [app], force)
    if existed:
        return deployment_response(result)
    return deployment_response(result, 201, location=f"/v2/apps{target}")


@router.patch("/v2/apps/{app_id:path}")
async def patch_app(request: Request, app_id: str, force: bool = False) -> Response:
    service = _service(request)
    target = _app_id(app_id)
    await call(service.app, target)
    app = await _parse_update(service, await json_body(request), target, True)
    _log_app("patch", app)
    return deployment_response(await call(service.update_apps, [app], force))


@router.delete("/v2/apps/{app_id:path}")
async def delete_app(request: Request, app_id: str, force: bool = True) -> Response:
    """`force` defaults to true, as in Marathon's code (its RAML says false)."""
    return deployment_response(await call(_service(request).delete_app, _app_id(app_id), force))


@router.get("/v2/tasks")
async def all_tasks(request: Request, status: str | None = None) -> dict[str, Any]:
    if status is not None and status not in TASK_STATES:
        raise BadRequestError(f"status must be one of {', '.join(TASK_STATES)}")
    tasks = await call(_service(request).tasks)
    return {"tasks": [t.to_json() for t in tasks if status is None or t.state in TASK_STATES[status]]}


@router.post("/v2/tasks/delete")
async def delete_tasks(request: Request, scale: bool = False, wipe: bool = False, force: bool = False) -> Response:
    raw = await json_body(request)
    ids = raw.get("ids") if isinstance(raw, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequestError("the body must be {\"ids\": [task ids]}")
    killed, result = await call(_service(request).kill_tasks, ids, scale, wipe, force)
    if result is not None:
        return deployment_response(result)
    return JSONBody({"tasks": [t.to_json() for t in killed]})
