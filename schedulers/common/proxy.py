"""`LeaderProxy`: ASGI middleware that makes a standby scheduler forward its API requests to the leader.

    LeaderProxy(app, service, leader_path, *, timeout=httpx.Timeout(60.0), error_body=None)

`service` has `.leading`, `.address` (this instance's `host:port`) and `.leader()` (the leader's `host:port`
or None; called in a thread, it may block). While leading, and for `/ping`, `/metrics` and `GET leader_path`,
requests go to `app`. A standby forwards everything else to the leader with `x-mesosframe-proxied: 1` and
streams the answer back; with no known leader, itself as leader, or a request that was proxied once already,
`app` answers (503, not leading). A leader that cannot be reached gives 503 with the JSON
`error_body(message)` (default `{"message": message}`).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["LeaderProxy", "PROXIED"]

PROXIED = b"x-mesosframe-proxied"
_HOP = {b"host", b"connection", b"keep-alive", b"transfer-encoding", b"content-length", PROXIED}


def _message_body(message: str) -> dict[str, Any]:
    return {"message": message}


class LeaderProxy:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, service: Any, leader_path: str, *,
                 timeout: httpx.Timeout | float = 60.0,
                 error_body: Callable[[str], dict[str, Any]] | None = None) -> None:
        self.app, self.service, self.leader_path = app, service, leader_path
        self.error_body = error_body or _message_body
        self.client = httpx.AsyncClient(timeout=timeout)

    def exempt(self, method: str, path: str) -> bool:
        """True for the requests every instance answers itself."""
        return path in ("/ping", "/metrics") or (method == "GET" and path == self.leader_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.service.leading or self.exempt(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP]
        leader = await asyncio.to_thread(self.service.leader)
        already = any(k.lower() == PROXIED for k, _ in scope["headers"])
        if not leader or leader == self.service.address or already:
            await self.app(scope, receive, send)     # the app answers 503: not leading
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = scope["query_string"].decode()
        url = f"http://{leader}{scope['path']}" + (f"?{query}" if query else "")
        request = self.client.build_request(scope["method"], url, content=bytes(body),
                                            headers=[*headers, (PROXIED, b"1")])
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            error = self.error_body(f"leader {leader} unreachable: {type(exc).__name__}")
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": json.dumps(error).encode()})
            return
        try:
            out = [(k.encode(), v.encode()) for k, v in response.headers.items() if k.encode().lower() not in _HOP]
            await send({"type": "http.response.start", "status": response.status_code, "headers": out})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()
