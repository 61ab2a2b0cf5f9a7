"""`/v2/groups`, `/v2/deployments`, `/v2/queue`, `/v2/events`, `/v2/info`, `/v2/leader`, `/ping`, `/metrics`."""
from __future__ import annotations

import json
import time
from typing import Any, AsyncIterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from schedulers.common.jsonbody import JSONBody
from schedulers.longrun.api import call, deployment_response, json_body
from schedulers.longrun.events import EVENT_TYPES, make_event
from schedulers.longrun.pathid import ROOT, PathIdError, canonical
from schedulers.longrun.service import BadRequestError, LongrunService, NotFoundError
from schedulers.longrun.validation import AppValidationError

router = APIRouter()


def _service(request: Request) -> LongrunService:
    return request.app.state.service


def _group_id(raw: str) -> str:
    try:
        return canonical(raw) if raw.strip("/") else ROOT
    except PathIdError as exc:
        raise NotFoundError(f"Group '/{raw}' does not exist") from exc


async def _group_body(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise AppValidationError([("/", "must be a JSON object")])
    return body


# groups ----------------------------------------------------------------------------------------------------
@router.get("/v2/groups")
async def root_group(request: Request, embed: list[str] = Query(default=[])) -> dict[str, Any]:
    return await call(_service(request).group, ROOT)


@router.post("/v2/groups", status_code=201)
async def create_group(request: Request, force: bool = False) -> Response:
    return await _create(request, ROOT, force)


@router.put("/v2/groups")
async def update_root(request: Request, force: bool = False, dryRun: bool = False) -> Response:
    return await _update(request, ROOT, force, dryRun)


@router.delete("/v2/groups")
async def delete_root(request: Request, force: bool = False) -> Response:
    return deployment_response(await call(_service(request).delete_group, ROOT, force))


@router.get("/v2/groups/{group_id:path}")
async def get_group(request: Request, group_id: str, embed: list[str] = Query(default=[])) -> dict[str, Any]:
    return await call(_service(request).group, _group_id(group_id))


@router.post("/v2/groups/{group_id:path}", status_code=201)
async def create_subgroup(request: Request, group_id: str, force: bool = False) -> Response:
    return await _create(request, _group_id(group_id), force)


@router.put("/v2/groups/{group_id:path}")
async def update_group(request: Request, group_id: str, force: bool = False, dryRun: bool = False) -> Response:
    return await _update(request, _group_id(group_id), force, dryRun)


@router.delete("/v2/groups/{group_id:path}")
async def delete_group(request: Request, group_id: str, force: bool = False) -> Response:
    return deployment_response(await call(_service(request).delete_group, _group_id(group_id), force))


async def _create(request: Request, base: str, force: bool) -> Response:
    body = await _group_body(request)
    raw_id = body.get("id")
    if not isinstance(raw_id, str):
        raise AppValidationError([("/id", "is required")])
    try:
        group_id = canonical(raw_id, base)
    except PathIdError as exc:
        raise AppValidationError([("/id", exc.message)]) from exc
    result = await call(_service(request).update_group, group_id, body, create=True, force=force)
    return deployment_response(result, 201, location=f"/v2/groups{group_id}")


async def _update(request: Request, group_id: str, force: bool, dry_run: bool) -> Response:
    body = await _group_body(request)
    result = await call(_service(request).update_group, group_id, body, create=False, force=force, dry_run=dry_run)
    if isinstance(result, dict):
        return JSONBody(result)
    return deployment_response(result)


# deployments, queue -------------------------------------------------------------------------------------------
@router.get("/v2/deployments")
async def deployments(request: Request) -> list[dict[str, Any]]:
    return await call(_service(request).deployments)


@router.delete("/v2/deployments/{deployment_id}")
async def cancel_deployment(request: Request, deployment_id: str, force: bool = False) -> Response:
    result = await call(_service(request).cancel_deployment, deployment_id, force)
    if result is None:
        return Response(status_code=202)
    return deployment_response(result)


@router.get("/v2/queue")
async def queue(request: Request, embed: list[str] = Query(default=[])) -> dict[str, Any]:
    return {"queue": await call(_service(request).queue)}


@router.delete("/v2/queue/{app_id:path}/delay", status_code=204)
async def reset_delay(request: Request, app_id: str) -> Response:
    try:
        target = canonical(app_id)
    except PathIdError as exc:
        raise NotFoundError(f"App '/{app_id}' does not exist") from exc
    await call(_service(request).reset_delay, target)
    return Response(status_code=204)


# events ------------------------------------------------------------------------------------------------------
@router.get("/v2/events")
async def events(request: Request, event_type: list[str] = Query(default=[])) -> Response:
    """Server-Sent Events: `event: <eventType>` and `data: <json>` per event; 405 without text/event-stream."""
    if "text/event-stream" not in request.headers.get("accept", ""):
        return JSONBody({"message": "The event stream needs 'Accept: text/event-stream'"}, status_code=405)
    unknown = [t for t in event_type if t not in EVENT_TYPES]
    if unknown:
        raise BadRequestError(f"unknown event type {unknown[0]!r}")
    subscription = _service(request).subscribe(event_type)
    client = request.client.host if request.client else "unknown"
    return StreamingResponse(sse_stream(subscription, client), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


def sse_frame(event: dict[str, Any]) -> bytes:
    """One SSE frame: `event: <type>\\ndata: <json>\\n\\n`."""
    return f"event: {event['eventType']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode()


async def sse_stream(subscription: Any, client: str, now: float | None = None) -> AsyncIterator[bytes]:
    """The frames of one subscription: `event_stream_attached` first, then every event; closes on exit."""
    try:
        yield sse_frame(make_event("event_stream_attached", time.time() if now is None else now, remoteAddress=client))
        async for event in subscription:
            yield sse_frame(event)
    finally:
        subscription.close()


@router.get("/v2/eventSubscriptions")
@router.post("/v2/eventSubscriptions")
@router.delete("/v2/eventSubscriptions")
async def event_subscriptions() -> JSONBody:
    return JSONBody({"message": "HTTP callback event subscriptions are not supported; "
                                    "use the Server-Sent Events stream at /v2/events"}, status_code=404)


# info, leader, ping, metrics ---------------------------------------------------------------------------------
@router.get("/v2/info")
async def info(request: Request) -> dict[str, Any]:
    return await call(_service(request).info)


@router.get("/v2/leader")
async def leader(request: Request) -> JSONBody:
    current = await call(_service(request).leader)
    if current is None:
        return JSONBody({"message": "There is no leader"}, status_code=404)
    return JSONBody({"leader": current})


@router.delete("/v2/leader")
async def abdicate(request: Request) -> JSONBody:
    service = _service(request)
    if await call(service.leader) is None:
        return JSONBody({"message": "There is no leader"}, status_code=404)
    await call(service.abdicate)
    return JSONBody({"message": "Leadership abdicated"})


@router.get("/ping")
async def ping() -> PlainTextResponse:
    return PlainTextResponse("pong")


@router.get("/metrics")
async def metrics(request: Request) -> dict[str, Any]:
    return await call(_service(request).metrics)


__all__ = ["router", "sse_frame", "sse_stream"]
