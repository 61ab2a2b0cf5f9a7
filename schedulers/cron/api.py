"""Chronos 3 compatible REST API (FastAPI) over a `CronService`: `create_app(service, ...)`.

Routes under `/v1/scheduler` as Chronos 3: `jobs`, `iso8601` and `dependency` (POST create or replace, 204),
`job/{name}` (GET; PUT runs it now with `?arguments=`; DELETE), `job/success/{name}` (PUT), `task/kill/{name}`
(DELETE), `jobs/search`, `jobs/summary`, `graph/dot`, `graph/csv`, `job/stat/{name}`, `stats/{percentile}`,
`leader`; plus `/ping`, `/metrics` and `/openapi.json` at the root.

Errors are Chronos-shaped, `{"status": "400 Bad Request", "message": "<field path>: <what is wrong>"}`; bad
input (invalid JSON, a missing or wrong field, a bad schedule with its position, an unknown job, a cycle) is a
400, never a 500. `NotLeaderError` is a 503 naming the leader. Unlike Chronos (which answers 500), an empty
`parents` on `/dependency` is a 400.

Optional auth: HTTP Basic (`basic=(user, password)`) or a bearer token (`bearer=token`), compared in constant
time; `/ping` stays open.
"""
from __future__ import annotations

import base64
import hmac
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mesosframe.errors import MesosframeError, NotLeaderError, ScheduleError, ValidationError
from schedulers.common.jsonbody import JSONBody

from .history import PERCENTILES, duration_stats
from .job import Job
from .runs import RunState
from .service import CronService

__all__ = ["create_app"]

log = logging.getLogger("mesosframe.cron.api")
PREFIX = "/v1/scheduler"
_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            500: "Internal Server Error", 503: "Service Unavailable"}


def _error(status: int, message: str, headers: dict | None = None) -> JSONBody:
    return JSONBody({"status": f"{status} {_REASONS.get(status, '')}".strip(), "message": message},
                        status_code=status, headers=headers)


def _field_path(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) if parts else "body"


def job_status(service: CronService, job: Job) -> tuple[str, str]:
    """Chronos's (state, status): state success/failure/fresh; status idle/queued/running/'N running'."""
    if not job.lastSuccess and not job.lastError:
        state = "fresh"
    else:
        state = "success" if job.lastSuccess >= job.lastError else "failure"
    active = service.active_runs(job.name)
    running = sum(r.state in (RunState.STARTING, RunState.RUNNING) for r in active)
    if running > 1:
        return state, f"{running} running"
    if running == 1:
        return state, "running"
    return state, "queued" if active else "idle"


def _check_auth(request: Request, basic: tuple[str, str] | None, bearer: str | None) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if bearer is not None and scheme.lower() == "bearer":
        return hmac.compare_digest(credentials.strip().encode(), bearer.encode())
    if basic is not None and scheme.lower() == "basic":
        expected = base64.b64encode(f"{basic[0]}:{basic[1]}".encode())
        return hmac.compare_digest(credentials.strip().encode(), expected)
    return False


def create_app(service: CronService, *, basic: tuple[str, str] | None = None, bearer: str | None = None) -> FastAPI:
    """The REST app over `service`; `basic` or `bearer` turn on authentication."""
    app = FastAPI(title="mesosframe cron (Chronos 3 compatible)", version="1", default_response_class=JSONBody)

    if basic is not None or bearer is not None:
        @app.middleware("http")
        async def authenticate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
            if request.url.path == "/ping" or _check_auth(request, basic, bearer):
                return await call_next(request)
            challenge = 'Basic realm="mesosframe"' if basic is not None else "Bearer"
            return _error(401, "authentication required", {"WWW-Authenticate": challenge})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONBody:
        messages = [f"{_field_path(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
        return _error(400, "; ".join(messages) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONBody:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(NotLeaderError)
    async def not_leader(_: Request, exc: NotLeaderError) -> JSONBody:
        return _error(503, f"{exc} (leader: {exc.leader or 'unknown'})")

    @app.exception_handler(ScheduleError)
    async def bad_schedule(_: Request, exc: ScheduleError) -> JSONBody:
        return _error(400, f"schedule: {exc}")

    @app.exception_handler(MesosframeError)
    async def bad_input(_: Request, exc: MesosframeError) -> JSONBody:
        if isinstance(exc, ValidationError):
            return _error(400, str(exc))
        log.warning("request_failed error=%s", type(exc).__name__)
        return _error(500, f"{type(exc).__name__}: {exc}")

    @app.get(f"{PREFIX}/jobs")
    def list_jobs() -> list[dict]:
        return [job.to_json() for job in service.list_jobs()]

    @app.post(f"{PREFIX}/iso8601", status_code=204)
    def put_scheduled(job: Job) -> Response:
        if not job.schedule:
            raise ValidationError("a scheduled job needs a schedule", "schedule")
        service.put_job(job)
        return Response(status_code=204)

    @app.post(f"{PREFIX}/dependency", status_code=204)
    def put_dependent(job: Job) -> Response:
        if not job.parents:
            raise ValidationError("a dependent job needs at least one parent", "parents")
        service.put_job(job)
        return Response(status_code=204)

    @app.get(f"{PREFIX}/job/{{name}}")
    def get_job(name: str) -> dict:
        return service.get_job(name).to_json()

    @app.put(f"{PREFIX}/job/{{name}}", status_code=204)
    def run_job(name: str, arguments: str | None = None) -> Response:
        service.run_now(name, arguments.split() if arguments else [])
        return Response(status_code=204)

    @app.delete(f"{PREFIX}/job/{{name}}", status_code=204)
    def delete_job(name: str) -> Response:
        service.delete_job(name)
        return Response(status_code=204)

    @app.put(f"{PREFIX}/job/success/{{name}}", response_class=PlainTextResponse)
    def mark_success(name: str) -> str:
        service.mark_success(name)
        return f"marked job {name} as a success"

    @app.delete(f"{PREFIX}/task/kill/{{name}}", status_code=204)
    def kill_tasks(name: str) -> Response:
        service.kill_tasks(name)
        return Response(status_code=204)

    @app.get(f"{PREFIX}/jobs/search")
    def search(name: str | None = None, command: str | None = None, any: str | None = None,  # noqa: A002
               limit: int = Query(10, ge=0), offset: int = Query(0, ge=0)) -> list[dict]:
        def matches(job: Job) -> bool:
            fields = {"name": job.name.lower(), "command": job.command.lower()}
            if name and name.lower() not in fields["name"]:
                return False
            if command and command.lower() not in fields["command"]:
                return False
            text = f"{job.name} {job.command} {job.description} {job.owner} {job.ownerName}".lower()
            return not any or any.lower() in text
        found = [job.to_json() for job in service.list_jobs() if matches(job)]
        return found[offset:offset + limit]

    @app.get(f"{PREFIX}/jobs/summary")
    def summary() -> dict:
        jobs = []
        for job in service.list_jobs():
            state, status = job_status(service, job)
            jobs.append({"name": job.name, "status": status, "state": state, "schedule": job.schedule or "",
                         "parents": job.parents, "disabled": job.disabled})
        return {"jobs": jobs}

    def _states() -> tuple[dict[str, str], dict[str, str]]:
        states, statuses = {}, {}
        for job in service.list_jobs():
            states[job.name], statuses[job.name] = job_status(service, job)
        return states, statuses

    @app.get(f"{PREFIX}/graph/dot", response_class=PlainTextResponse)
    def graph_dot() -> str:
        return service.graph().to_dot(_states()[0])

    @app.get(f"{PREFIX}/graph/csv", response_class=PlainTextResponse)
    def graph_csv() -> str:
        return service.graph().to_csv(*_states())

    @app.get(f"{PREFIX}/job/stat/{{name}}")
    def job_stats(name: str) -> dict:
        history = service.history(name)
        return {"histogram": duration_stats(history), "taskStatHistory": [r.to_json() for r in history]}

    @app.get(f"{PREFIX}/stats/{{percentile}}")
    def stats(percentile: str) -> list[dict]:
        if percentile not in PERCENTILES and percentile != "mean":
            choices = ", ".join([*PERCENTILES, "mean"])
            raise ValidationError(f"unknown statistic {percentile!r}; one of {choices}", "percentile")
        rows = []
        for job in service.list_jobs():
            value = duration_stats(service.history(job.name))[percentile]
            if value is not None:
                rows.append({"jobNameLabel": job.name, "time": value})
        return sorted(rows, key=lambda row: -row["time"])

    @app.get(f"{PREFIX}/leader")
    def leader() -> dict:
        return {"leader": service.leader()}

    @app.get("/ping", response_class=PlainTextResponse)
    def ping() -> str:
        return "pong"

    @app.get("/metrics")
    def metrics() -> dict:
        return service.metrics()

    return app
