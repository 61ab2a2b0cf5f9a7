"""HTTP transport of the executor API (aiohttp): `POST /api/v1/executor` in JSON.

SUBSCRIBE answers 200 with a chunked RecordIO stream of events (no Mesos-Stream-Id: the executor API has
none) that lasts until the host closes it or the executor goes away. UPDATE, MESSAGE and HEARTBEAT answer
202 with `Content-Length: 0` (pymesos reuses its connection). Refusals are text bodies: 405 for a method
other than POST, 415 for a non-JSON Content-Type, 400 for a bad body or an unknown framework/executor,
403 "Executor is not subscribed".
"""
from __future__ import annotations

import asyncio
import logging
import socket

from aiohttp import web

from mesosframe.local.executors.host import EventStream, ExecutorHost
from mesosframe.local.executors.wire import ExecutorCallError, parse_call
from mesosframe.local.recordio import RecordStream

log = logging.getLogger("mesosframe.local.executors.http")

__all__ = ["ExecutorHttp", "BufferedStream", "EXECUTOR_API_PATH"]

EXECUTOR_API_PATH = "/api/v1/executor"
MAX_BODY_BYTES = 16 * 1024 * 1024


class BufferedStream(RecordStream, EventStream):
    """Buffers RecordIO records until `pump` writes them to the SUBSCRIBE response (no size bound)."""


class ExecutorHttp:
    """The executor API of one agent: mount `routes()` on the agent's app, or `start()` a server of its own
    (which also sets `host.endpoint`)."""

    def __init__(self, host: ExecutorHost) -> None:
        self.host = host
        self.app = web.Application(client_max_size=MAX_BODY_BYTES)
        self.app.router.add_routes(self.routes())
        self._runner: web.AppRunner | None = None
        self._streams: set[BufferedStream] = set()
        self._serving: asyncio.Task | None = None
        self.port = 0

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", EXECUTOR_API_PATH, self.executor)]

    async def start(self, ip: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ip:port (0 = any free port); set `host.endpoint`; return the bound port."""
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, ip, port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self.host.endpoint = f"{ip}:{self.port}"
        return self.port

    def listen(self, ip: str = "127.0.0.1", port: int = 0) -> int:
        """Synchronous variant of `start` for code already on the loop (an agent's `start()`): binds and
        listens now (early connections wait in the backlog), serves from a task; returns the port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, port))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self.host.endpoint = f"{ip}:{self.port}"
        self._serving = asyncio.get_running_loop().create_task(self._serve(sock))
        return self.port

    async def _serve(self, sock: socket.socket) -> None:
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=2.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """End every event stream (executors see the agent go away), then stop serving."""
        for stream in list(self._streams):
            stream.close()
        if self._serving is not None:
            await self._serving
            self._serving = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def executor(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return web.Response(status=405, text=f"Expecting 'POST', received '{request.method}'",
                                headers={"Allow": "POST"})
        try:
            call = parse_call(await request.read(), request.headers.get("Content-Type"))
            if call.type == "SUBSCRIBE":
                return await self._subscribe(request, call)
            self.host.handle(call)
        except ExecutorCallError as exc:
            return web.Response(status=exc.status, text=exc.reason)
        return web.Response(status=202)

    async def _subscribe(self, request: web.Request, call) -> web.StreamResponse:
        stream = BufferedStream()
        self.host.subscribe(call, stream)          # raises before any byte of the response is sent
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        self._streams.add(stream)
        try:
            await response.prepare(request)
            await stream.pump(response)
        except ConnectionError:
            log.debug("executor_stream_broken framework=%s executor=%s", call.framework_id, call.executor_id)
        finally:
            self._streams.discard(stream)
            self.host.disconnected(call, stream)
        return response
