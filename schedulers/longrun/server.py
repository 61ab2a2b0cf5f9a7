"""One longrun scheduler process: Framework + `MesosLongrunService` + the REST API on uvicorn, optionally HA.

    LongrunServer(master, *, zk=None, http_port=8080, hostname="127.0.0.1", principal=None, secret=None,
                  basic_auth=None, bearer_token=None, name="longrun", tick_interval=0.5,
                  progress_deadline=None, health_period=1.0, failover_timeout=None,
                  zk_session_timeout=10.0).start() -> server
        .url ("http://host:port"), .service, .framework, .stop(), .wait()
    start_demo_longrun(master_address, zk_url=None, http_port=8080) -> a started LongrunServer

With `zk`: a `ZooKeeperStateStore` and leader election under `<zk path>/<name>`, identity = this API's
`host:port`. A standby proxies every request to the leader except `/ping`, `/metrics` and `GET /v2/leader`
(and answers 503 when no leader is known or the request was already proxied once).
Without `zk`: a `MemoryStateStore`, one instance that leads from the start.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from mesosframe.core.clock import SystemClock
from mesosframe.core.framework import Framework
from mesosframe.errors import ConfigurationError, MesosframeError
from schedulers.longrun.api import create_app
from schedulers.longrun.healthcheck import HealthChecker
from schedulers.longrun.mesos import MesosLongrunService

log = logging.getLogger("mesosframe.longrun.server")
PROXIED = b"x-mesosframe-proxied"
_HOP = {b"host", b"connection", b"keep-alive", b"transfer-encoding", b"content-length", PROXIED}


def _exempt(method: str, path: str) -> bool:
    return path in ("/ping", "/metrics") or (path == "/v2/leader" and method == "GET")


class LeaderProxy:
    """ASGI middleware: on a standby, forward requests to the leader (streaming the response)."""

    def __init__(self, app: ASGIApp, service: MesosLongrunService) -> None:
        self.app, self.service = app, service
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(60.0, read=None))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.service.leading or _exempt(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP]
        leader = await asyncio.to_thread(self.service.leader)
        already = any(k.lower() == PROXIED for k, _ in scope["headers"])
        if leader is None or leader == self.service.address or already:
            await self.app(scope, receive, send)     # the service answers 503 NotLeader
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        url = f"http://{leader}{scope['path']}" + (f"?{scope['query_string'].decode()}" if scope["query_string"] else "")
        request = self.client.build_request(scope["method"], url, content=body,
                                            headers=[*headers, (PROXIED, b"1")])
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            await _json(send, 503, f'{{"message": "leader {leader} unreachable: {type(exc).__name__}"}}')
            return
        try:
            out_headers = [(k.encode(), v.encode()) for k, v in response.headers.items()
                           if k.encode().lower() not in _HOP]
            await send({"type": "http.response.start", "status": response.status_code, "headers": out_headers})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()


async def _json(send: Send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": text.encode()})


class Ticker:
    """Runs `service.tick()` on the core loop every `interval` seconds while leading."""

    def __init__(self, service: MesosLongrunService, framework: Framework, interval: float) -> None:
        self.service, self.framework, self.interval = service, framework, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="longrun-ticker", daemon=True)

    def start(self) -> "Ticker":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if not self.service.leading:
                continue
            try:
                self.framework.submit(lambda fw: self.service.tick()).result(timeout=60)
            except Exception:     # keep ticking; a failed tick is logged, the next one retries
                log.exception("tick_failed")


class LongrunServer:
    def __init__(self, master: str, *, zk: str | None = None, http_port: int = 8080, hostname: str = "127.0.0.1",
                 principal: str | None = None, secret: str | None = None,
                 basic_auth: tuple[str, str] | None = None, bearer_token: str | None = None,
                 name: str = "longrun", tick_interval: float = 0.5, progress_deadline: float | None = None,
                 health_period: float = 1.0, failover_timeout: float | None = None,
                 zk_session_timeout: float = 10.0) -> None:
        self.master, self.zk, self.name = master, zk, name
        self._socket = socket.create_server((hostname, http_port))
        self.port = self._socket.getsockname()[1]
        self.address = f"{hostname}:{self.port}"
        self.url = f"http://{self.address}"
        self.clock = SystemClock()
        self.service = MesosLongrunService(self.clock, address=self.address, master=master, zk=zk,
                                           progress_deadline=progress_deadline)
        self.ha = None
        options: dict[str, Any] = {}
        if failover_timeout is not None:
            options["failover_timeout"] = failover_timeout
        if zk:
            from mesosframe.core.leadership import ZooKeeperHA
            self.ha = ZooKeeperHA(zk, name, identity=self.address, session_timeout=zk_session_timeout)
            options.update(store=self.ha.store, election=self._election)
        self.framework = Framework(name, [self.service.plugin], master=master, principal=principal, secret=secret,
                                   clock=self.clock, **options)
        self.service.bind(self.framework, leader_lookup=self.ha.leader_identity if self.ha else None,
                          abdicate=self._abdicate if self.ha else None)
        self.api = LeaderProxy(create_app(self.service, basic_auth=basic_auth, bearer_token=bearer_token),
                               self.service)
        self.ticker = Ticker(self.service, self.framework, tick_interval)
        self.health = HealthChecker(self.service, self.clock, period=health_period)
        self._uvicorn = uvicorn.Server(uvicorn.Config(self.api, log_level="warning", access_log=False,
                                                      lifespan="off", timeout_graceful_shutdown=1))
        self._http_thread = threading.Thread(target=self._serve, name="longrun-http", daemon=True)

    def _election(self, on_event):
        def forward(event) -> None:
            self.service.leadership_changed(event.kind.name)
            on_event(event)
        return self.ha.election(forward)

    def _abdicate(self) -> None:
        election = self.ha._election if self.ha else None
        if election is None:
            raise ConfigurationError("no election to abdicate from")
        election.abdicate(rejoin=True)

    def _serve(self) -> None:
        asyncio.run(self._uvicorn.serve(sockets=[self._socket]))

    def start(self) -> "LongrunServer":
        self.framework.start()
        self.ticker.start()
        self.health.start()
        self._http_thread.start()
        log.info("longrun_started url=%s master=%s zk=%s", self.url, self.master, bool(self.zk))
        return self

    def wait(self) -> None:
        """Block until the HTTP server stops (Ctrl-C in the CLI) or the framework fails."""
        while self._http_thread.is_alive():
            self._http_thread.join(0.5)
            if self.framework.error is not None:
                raise self.framework.error

    def stop(self, failover: bool = True) -> None:
        """Stop serving and scheduling; `failover=False` also tears the framework down (its tasks die)."""
        self._uvicorn.should_exit = True
        self.health.stop()
        self.ticker.stop()
        try:
            self.framework.stop(failover=failover)
        except MesosframeError as exc:
            log.warning("framework_stop_failed error=%s", exc)
        if self.ha is not None:
            self.ha.close()
        self._http_thread.join(timeout=10)
        self._socket.close()


def start_demo_longrun(master_address: str, zk_url: str | None = None, http_port: int = 8080) -> LongrunServer:
    """The demo's hook: a started scheduler (`.url`, `.stop()`) on `master_address`."""
    return LongrunServer(master_address, zk=zk_url, http_port=http_port).start()
