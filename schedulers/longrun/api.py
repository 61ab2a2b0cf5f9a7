"""The Marathon v2 REST API (FastAPI) over any `LongrunService`: `create_app(service)`.

Errors are Marathon's JSON: 400 `{"message": "Invalid JSON"}`, 404, 409 (with the blocking `deployments` when
an app is locked), 422 `{"message": "Object is not valid", "details": [{path, errors}]}`. Differences from
Marathon, on purpose: an unknown route is 404 (Marathon: 500), and bad input of any kind is a 4xx, never 500.

Options: HTTP Basic (`basic_auth=(user, password)`) and/or bearer (`bearer_token`) auth, compared in constant
time (`/ping` stays open); a request body limit (413). The access log records method, path and status only;
app env values whose names look secret are redacted wherever an app is logged.
"""
from __future__ import annotations

import hmac
import json
import logging
import re
import time
from typing import Any, Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mesosframe.errors import NotLeaderError, ValidationError
from schedulers.common.jsonbody import JSONBody
from schedulers.common.server import api_authorization
from schedulers.longrun.service import AppLockedError, LongrunError, LongrunService
from schedulers.longrun.validation import AppValidationError

log = logging.getLogger("mesosframe.longrun.api")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|API_?KEY|PRIVATE", re.IGNORECASE)
OPEN_PATHS = frozenset({"/ping"})


class BadJsonError(LongrunError):
    """The request body is not valid JSON."""

    status = 400


def redact_env(env: Mapping[str, Any]) -> dict[str, Any]:
    """`env` with the values of secret-looking names (…SECRET…, …PASSWORD…, …TOKEN…) replaced."""
    return {k: ("<redacted>" if SECRET_NAME.search(k) else v) for k, v in env.items()}


async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a (possibly blocking) service call off the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)


async def json_body(request: Request) -> Any:
    """The request body as JSON; BadJsonError (400) if it is not."""
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:      # RecursionError: nested too deep
        raise BadJsonError("Invalid JSON") from exc


def marathon_error(status: int, message: str, **extra: Any) -> JSONBody:
    return JSONBody({"message": message, **extra}, status_code=status)


def create_app(service: LongrunService, *, basic_auth: tuple[str, str] | None = None,
               bearer_token: str | None = None, max_body_bytes: int = 1 << 20) -> FastAPI:
    """The FastAPI application serving Marathon's v2 API over `service`."""
    from schedulers.longrun import api_apps, api_other

    app = FastAPI(title="mesosframe longrun (Marathon v2 compatible)", version="0.1.0",
                  docs_url=None, redoc_url=None, default_response_class=JSONBody)
    app.state.service = service
    _install_error_handlers(app)
    app.include_router(api_apps.router)
    app.include_router(api_other.router)
    if basic_auth is not None or bearer_token is not None:     # the last added runs first
        app.add_middleware(_Auth, basic_auth=basic_auth, bearer_token=bearer_token)
    app.add_middleware(_BodyLimit, limit=max_body_bytes)
    app.add_middleware(_AccessLog)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppValidationError)
    async def _invalid_app(request: Request, exc: AppValidationError) -> JSONBody:
        return marathon_error(422, "Object is not valid", details=exc.details)

    @app.exception_handler(ValidationError)
    async def _invalid(request: Request, exc: ValidationError) -> JSONBody:
        return marathon_error(422, "Object is not valid", details=[{"path": exc.path or "/", "errors": [exc.message]}])

    @app.exception_handler(AppLockedError)
    async def _locked(request: Request, exc: AppLockedError) -> JSONBody:
        return marathon_error(409, str(exc), deployments=[{"id": d} for d in exc.deployment_ids])

    @app.exception_handler(LongrunError)
    async def _known(request: Request, exc: LongrunError) -> JSONBody:
        return marathon_error(exc.status, str(exc))

    @app.exception_handler(NotLeaderError)
    async def _not_leader(request: Request, exc: NotLeaderError) -> JSONBody:
        return marathon_error(503, str(exc), leader=exc.leader)

    @app.exception_handler(RequestValidationError)
    async def _bad_params(request: Request, exc: RequestValidationError) -> JSONBody:
        details = [{"path": "/" + "/".join(str(p) for p in e.get("loc", ())), "errors": [e.get("msg", "invalid")]}
                   for e in exc.errors()]
        return marathon_error(400, "Invalid parameters", details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONBody:
        message = "URI not found" if exc.status_code == 404 else str(exc.detail)
        return marathon_error(exc.status_code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONBody:
        log.exception("request_failed method=%s path=%s", request.method, request.url.path)
        return marathon_error(500, "internal error")


class _AccessLog:
    """Logs `http_request method path status ms`; never headers, query strings or bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.monotonic(), [0]

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            log.info("http_request method=%s path=%s status=%s ms=%.1f", scope["method"], scope["path"],
                     status[0], (time.monotonic() - started) * 1000)


class _BodyLimit:
    """Refuses request bodies above `limit` bytes with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _send_json(send, 413, {"message": f"Request body larger than {self.limit} bytes"})
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _send_json(send, 413, {"message": f"Request body larger than {self.limit} bytes"})
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body, replayed = b"".join(chunks), [False]

        async def replay() -> Message:
            if not replayed[0]:
                replayed[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class _Auth:
    """HTTP Basic and/or bearer auth, compared with `hmac.compare_digest`."""

    def __init__(self, app: ASGIApp, basic_auth: tuple[str, str] | None, bearer_token: str | None) -> None:
        self.app = app
        self.basic = api_authorization(basic_auth, None).encode() if basic_auth else None
        self.bearer = api_authorization(None, bearer_token).encode() if bearer_token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"authorization", b"")
        ok = any(expected is not None and hmac.compare_digest(given, expected)
                 for expected in (self.basic, self.bearer))
        if ok:
            await self.app(scope, receive, send)
            return
        await _send_json(send, 401, {"message": "Invalid username or password."},
                         [(b"www-authenticate", b'Basic realm="mesosframe"')])


async def _send_json(send: Send, status: int, body: dict[str, Any],
                     headers: list[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": payload})


def deployment_response(result: Any, status: int = 200, location: str | None = None,
                        body: Any = None) -> Response:
    """A change's response: the body (default `{deploymentId, version}`) and `Marathon-Deployment-Id`."""
    headers = {"Marathon-Deployment-Id": result.deployment_id}
    if location:
        headers["Location"] = location
    return JSONBody(body if body is not None else result.to_json(), status_code=status, headers=headers)
