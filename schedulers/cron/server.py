"""One cron scheduler process: Framework + `CronPlugin` + the Chronos REST API on uvicorn, optionally HA.

    CronServer(master, *, zk=None, http_port=4400, hostname="127.0.0.1", principal=None, secret=None,
               basic_auth=None, bearer_token=None, name="cron", failover_timeout=None,
               zk_session_timeout=10.0).start() -> server
        .url, .address, .plugin, .service, .framework, .stop(failover=True), .wait()
    start_demo_cron(master_address, zk_url=None, http_port=4400) -> a started CronServer (`.url`, `.stop()`)

With `zk`: a `ZooKeeperStateStore` and leader election under `<zk path>/<name>`, identity = this API's
`host:port`. A standby proxies every request to the leader except `/ping`, `/metrics` and
`GET /v1/scheduler/leader` (503 when no leader is known, or when the request was already proxied once).
Without `zk`: a `MemoryStateStore`, and this instance leads from the start. Runs are placed with the `Spread`
policy: runs due together go to different agents (and fit in one offer round).

Timeliness: the plugin reports its next wake-up time (the next slot, retry or deadline) whenever it changes;
`Waker` sleeps until exactly then and submits `plugin.tick(now)` to the core loop. The tick claims the due
slots and wakes the core, which REVIVEs offers at once, so a launch is late by one revive-to-offer round
trip, not by a polling period.
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

from mesosframe.core.clock import Clock, SystemClock
from mesosframe.core.framework import Framework
from mesosframe.errors import MesosframeError
from mesosframe.matching import Spread
from mesosframe.state import MemoryStateStore

from .api import PREFIX, create_app
from .mesos import MesosCronService
from .plugin import CronPlugin

__all__ = ["CronServer", "LeaderProxy", "Waker", "start_demo_cron"]

log = logging.getLogger("mesosframe.cron.server")
PROXIED = "x-mesosframe-proxied"
_DROP = {"host", "connection", "keep-alive", "transfer-encoding", "content-length", PROXIED}


class Waker:
    """Submits `plugin.tick(now)` to the core loop at the plugin's next wake-up time (`set(when)`)."""

    def __init__(self, plugin: CronPlugin, framework: Framework, clock: Clock, heal: float = 30.0) -> None:
        self.plugin, self.framework, self.clock, self.heal = plugin, framework, clock, heal
        self._when: float | None = None
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="cron-waker", daemon=True)

    def set(self, when: float | None) -> None:
        with self._cond:
            self._when = when
            self._cond.notify()

    def start(self) -> "Waker":
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    when = self._when
                    left = self.heal if when is None else when - self.clock.now()
                    if left <= 0:
                        break
                    if not self._cond.wait(min(left, self.heal)) and when is None:
                        break      # nothing reported for `heal` seconds: tick anyway (self-healing)
                if self._stopped:
                    return
                self._when = None
            try:
                self.framework.submit(lambda fw: self.plugin.tick(fw.clock.now())).result(timeout=60)
            except Exception:  # keep waking; the next tick retries
                log.exception("cron_tick_failed")


class LeaderProxy:
    """ASGI middleware: on a standby, forward each request to the leader and relay its answer."""

    def __init__(self, app: ASGIApp, service: MesosCronService) -> None:
        self.app, self.service = app, service
        self.client = httpx.AsyncClient(timeout=60.0)

    @staticmethod
    def exempt(method: str, path: str) -> bool:
        return path in ("/ping", "/metrics") or (method == "GET" and path == f"{PREFIX}/leader")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.service.leading or self.exempt(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        leader = await asyncio.to_thread(self.service.leader)
        if not leader or leader == self.service.address or PROXIED in headers:
            await self.app(scope, receive, send)     # answered 503 (NotLeaderError) by the app
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = scope["query_string"].decode()
        url = f"http://{leader}{scope['path']}" + (f"?{query}" if query else "")
        forward = {k: v for k, v in headers.items() if k not in _DROP}
        forward[PROXIED] = "1"
        try:
            answer = await self.client.request(scope["method"], url, content=bytes(body), headers=forward)
        except httpx.HTTPError as exc:
            answer = httpx.Response(503, json={"status": "503 Service Unavailable",
                                               "message": f"leader {leader} unreachable: {type(exc).__name__}"})
        out = [(k.encode(), v.encode()) for k, v in answer.headers.items() if k.lower() not in _DROP]
        await send({"type": "http.response.start", "status": answer.status_code, "headers": out})
        await send({"type": "http.response.body", "body": answer.content})


class CronServer:
    """A cron scheduler instance; see the module docstring."""

    def __init__(self, master: str, *, zk: str | None = None, http_port: int = 4400, hostname: str = "127.0.0.1",
                 principal: str | None = None, secret: str | None = None,
                 basic_auth: tuple[str, str] | None = None, bearer_token: str | None = None,
                 name: str = "cron", failover_timeout: float | None = None, zk_session_timeout: float = 10.0,
                 clock: Clock | None = None) -> None:
        self.master, self.zk, self.name = master, zk, name
        self._socket = socket.create_server((hostname, http_port))
        self.port = self._socket.getsockname()[1]
        self.address = f"{hostname}:{self.port}"
        self.url = f"http://{self.address}"
        self.clock = clock or SystemClock()
        self.ha = None
        options: dict[str, Any] = {}
        if failover_timeout is not None:
            options["failover_timeout"] = failover_timeout
        if zk:
            from mesosframe.core.leadership import ZooKeeperHA
            self.ha = ZooKeeperHA(zk, name, identity=self.address, session_timeout=zk_session_timeout)
            store = self.ha.store
            options["election"] = self._election
        else:
            store = MemoryStateStore()
        self.plugin = CronPlugin(store, self.clock)
        self.framework = Framework(name, [self.plugin], master=master, store=store, principal=principal,
                                   secret=secret, clock=self.clock, policy=Spread(), **options)
        self.service = MesosCronService(self.plugin, self.framework, address=self.address,
                                        leader_lookup=self.ha.leader_identity if self.ha else None)
        self.waker = Waker(self.plugin, self.framework, self.clock)
        self.plugin.on_wakeup = self.waker.set
        self.api = LeaderProxy(create_app(self.service, basic=basic_auth, bearer=bearer_token), self.service)
        self._uvicorn = uvicorn.Server(uvicorn.Config(self.api, log_level="warning", access_log=False,
                                                      lifespan="off"))
        self._http_thread = threading.Thread(target=self._serve, name="cron-http", daemon=True)

    def _election(self, on_event):
        def forward(event) -> None:
            kind = event.kind.name
            if kind in ("LOST", "SUSPENDED"):
                self.plugin.active = False        # stop at once; the loop hears it next
            on_event(event)
            if kind == "RESUMED":                 # statuses may have been missed: re-read, then act again
                self.framework.submit(lambda fw: self.plugin.resync(self.plugin.context.tasks(), fw.clock.now()))
        return self.ha.election(forward)

    def _serve(self) -> None:
        asyncio.run(self._uvicorn.serve(sockets=[self._socket]))

    def start(self) -> "CronServer":
        self.framework.start()
        self.waker.start()
        self._http_thread.start()
        log.info("cron_started url=%s master=%s zk=%s", self.url, self.master, bool(self.zk))
        return self

    def wait(self) -> None:
        """Block until the HTTP server stops (Ctrl-C in the CLI); raises the framework's fatal error."""
        while self._http_thread.is_alive():
            self._http_thread.join(0.5)
            if self.framework.error is not None:
                raise self.framework.error

    def stop(self, failover: bool = True) -> None:
        """Stop serving and scheduling; `failover=False` also tears the framework down (its tasks die)."""
        self._uvicorn.should_exit = True
        self.plugin.active = False
        self.waker.stop()
        try:
            self.framework.stop(failover=failover)
        except MesosframeError as exc:
            log.warning("framework_stop_failed error=%s", exc)
        if self.ha is not None:
            self.ha.close()
        self._http_thread.join(timeout=10)
        self._socket.close()


def start_demo_cron(master_address: str, zk_url: str | None = None, http_port: int = 4400) -> CronServer:
    """The demo's hook: a started cron scheduler (`.url`, `.stop()`) on `master_address`."""
    return CronServer(master_address, zk=zk_url, http_port=http_port).start()
