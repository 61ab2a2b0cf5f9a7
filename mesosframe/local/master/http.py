"""HTTP transport of the local master (aiohttp): the v1 scheduler API and the operator endpoints.

`POST /api/v1/scheduler` (also `/master/api/v1/scheduler`): checks in the order of a Mesos 1.11 master
(leadership 307/503, method 405, Content-Type 400/415, JSON 400, then the call's own checks), SUBSCRIBE
answers 200 with a chunked RecordIO stream and `Mesos-Stream-Id`, other calls 202 with
`Content-Length: 0`. `GET /version`, `GET /master/state` (also `/state`), `GET /health`.

With `MasterOptions.credentials`, the scheduler API checks HTTP Basic credentials before anything else:
wrong ones (or none, under `authenticate_frameworks`) get 401 with `WWW-Authenticate: Basic
realm="mesos-master-scheduler"`; the authenticated principal goes to `Master.subscribe` / `Master.handle`.
Other components (networked agents) mount their own routes with `extra_routes=` or `add_routes()`.
The port is served by `fastpath.FrontProtocol` (`fast_path=True`, the default): plain scheduler calls are
answered there, everything else by this aiohttp application.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Iterable

from aiohttp import web

from mesosframe.local.master.auth import CHALLENGE, AuthenticationFailed, Credentials
from mesosframe.local.master.core import Master
from mesosframe.local.master.fastpath import FrontProtocol
from mesosframe.local.master.state_json import master_state, version_json
from mesosframe.local.master.validation import CallError, parse_json_body
from mesosframe.local.recordio import RecordStream, encode_record

log = logging.getLogger("mesosframe.local.master")

MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_PENDING_BYTES = 256 * 1024 * 1024
record = encode_record      # re-exported: one RecordIO record


class StreamSink(RecordStream):
    """An `EventSink` that buffers RecordIO records for the subscription's HTTP response.

    A subscriber that stops reading is cut off once `max_pending` bytes wait to be written (its stream
    closes, as if it had disconnected), so it cannot make the master grow without bound."""

    def __init__(self, max_pending: int = MAX_PENDING_BYTES) -> None:
        super().__init__(max_pending)


def _accepts_json(accept: str | None) -> bool:
    """True when an Accept header (absent means anything) allows application/json."""
    if not accept:
        return True
    types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return bool(types & {"application/json", "application/*", "*/*"})


def _text(status: int, text: str, **headers: str) -> web.Response:
    return web.Response(status=status, text=text, headers=headers)


class MasterHttp:
    """The aiohttp application around a `Master`. `extra_routes` (aiohttp `RouteDef`s, e.g. from a
    `web.RouteTableDef`) are mounted next to the master's own; `add_routes()` does the same before `start()`."""

    def __init__(self, master: Master, extra_routes: Iterable[web.AbstractRouteDef] = (), *,
                 fast_path: bool = True) -> None:
        self.master = master
        self.fast_path = fast_path
        self.max_body_bytes = MAX_BODY_BYTES
        credentials = master.options.credentials
        self.credentials: Credentials | None = Credentials(credentials) if credentials else None
        self.require_auth = bool(master.options.authenticate_frameworks)
        self.app = web.Application(client_max_size=MAX_BODY_BYTES)
        for path in ("/api/v1/scheduler", "/master/api/v1/scheduler"):
            self.app.router.add_route("*", path, self.scheduler)
        self.app.router.add_get("/version", self.version)
        self.app.router.add_get("/master/state", self.state)
        self.app.router.add_get("/state", self.state)
        self.app.router.add_get("/master/state.json", self.state)
        self.app.router.add_get("/health", self.health)
        self.app.router.add_get("/master/health", self.health)
        self.add_routes(extra_routes)
        self._runner: web.AppRunner | None = None
        self._server: asyncio.AbstractServer | None = None
        self._front_connections: set[FrontProtocol] = set()
        self._sinks: set[StreamSink] = set()
        self._closing = False
        self.port = 0

    def add_routes(self, routes: Iterable[web.AbstractRouteDef]) -> None:
        """Mount more aiohttp routes (before `start()`; aiohttp freezes the router when serving)."""
        self.app.router.add_routes(list(routes))

    def authenticate(self, header: str | None) -> str | None:
        """The authenticated principal, None when unauthenticated and allowed; AuthenticationFailed else."""
        if self.credentials is None or (header is None and not self.require_auth):
            return None
        return self.credentials.authenticate(header)

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0 = any free port); returns the bound port."""
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None,
                                     handler_cancellation=True, shutdown_timeout=5.0)
        await self._runner.setup()
        if self.fast_path:
            fallback, connections = self._runner.server, self._front_connections
            self._server = await asyncio.get_running_loop().create_server(
                lambda: FrontProtocol(self, fallback, connections), host, port, reuse_address=True)
            self.port = self._server.sockets[0].getsockname()[1]
        else:
            site = web.TCPSite(self._runner, host, port, reuse_address=True)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def closing(self) -> bool:
        return self._closing

    async def stop(self) -> None:
        """Refuse new calls (503), end every open stream, close the server, then drop every connection still
        open (those handed to aiohttp included), as a master process that exits does: a client never keeps a
        socket to a master that no longer serves it."""
        self._closing = True
        for sink in list(self._sinks):
            sink.close()
        if self._server is not None:
            self._server.close()
            for connection in list(self._front_connections):
                connection.transport.close()
            self._server = None
        server = self._runner.server if self._runner is not None else None
        handlers = getattr(server, "connections", ()) if server is not None else ()
        for transport in [h.transport for h in handlers if h.transport is not None]:   # streams, handed over
            if not transport.is_closing():
                transport.abort()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def version(self, request: web.Request) -> web.Response:
        return web.json_response(version_json())

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def state(self, request: web.Request) -> web.Response:
        return web.json_response(master_state(self.master))

    async def scheduler(self, request: web.Request) -> web.StreamResponse:
        master = self.master
        try:
            principal = self.authenticate(request.headers.get("Authorization"))
        except AuthenticationFailed as exc:
            log.info("authentication_failed peer=%s reason=%s", request.remote, exc)
            return web.Response(status=401, headers={"WWW-Authenticate": CHALLENGE})
        if self._closing:
            return _text(503, "Master is shutting down")
        if not master.leading:
            if master.leader is None:
                return _text(503, "No leading master")
            host, port = master.leader
            return web.Response(status=307, headers={"Location": f"//{host}:{port}/api/v1/scheduler"})
        if request.method != "POST":
            return _text(405, f"405 Method Not Allowed. Expecting one of {{ 'POST' }}, but received "
                              f"'{request.method}'.", Allow="POST")
        ctype = request.headers.get("Content-Type")
        if ctype is None:
            return _text(400, "Expecting 'Content-Type' to be present")
        if request.content_type != "application/json":
            return _text(415, "Expecting 'Content-Type' of application/json or application/x-protobuf"
                         if request.content_type != "application/x-protobuf"
                         else "This master accepts only 'Content-Type' application/json")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _text(413, f"Request body is larger than {MAX_BODY_BYTES} bytes")
        stream_id = request.headers.get("Mesos-Stream-Id")
        try:
            call = parse_json_body(body)
            if call.get("type") == "SUBSCRIBE" and stream_id is None:
                if not _accepts_json(request.headers.get("Accept")):
                    return _text(406, "Expecting 'Accept' to allow application/json or application/x-protobuf")
                return await self._subscribe(request, call, principal)
            status = master.handle(call, stream_id, principal)
        except CallError as exc:
            return _text(exc.status, exc.text)
        except Exception:   # a bug must not wedge the master: answer 500 and keep serving
            log.exception("call_failed")
            return _text(500, "Internal error")
        return web.Response(status=status)

    async def _subscribe(self, request: web.Request, call: dict, principal: str | None) -> web.StreamResponse:
        sink = StreamSink()
        framework_id, stream_id = self.master.subscribe(call, sink, principal)
        self._sinks.add(sink)
        response = web.StreamResponse(status=200, headers={
            "Content-Type": "application/json", "Mesos-Stream-Id": stream_id})
        response.enable_chunked_encoding()
        try:
            await response.prepare(request)
            await sink.pump(response)
            await response.write_eof()
        except ConnectionError:
            pass
        finally:
            self._sinks.discard(sink)
            if framework_id is not None:
                self.master.stream_closed(framework_id, stream_id)
        return response
