"""The lifecycle shared by the scheduler servers (`CronServer`, `LongrunServer`): one process with a
`Framework`, optional ZooKeeper HA, background threads that drive the scheduler, and the REST API served by
uvicorn from a thread on a socket bound at construction.

    SchedulerServer(master, *, zk, http_port, hostname, name, zk_session_timeout)
        .url, .address, .port, .ha (ZooKeeperHA or None), .framework, .api (set by the subclass)
        .start() -> self; .warm_up(); .wait(); .stop(failover=True)
    FrameworkThread(framework, name, log, failure_event): a daemon thread that submits work to the core loop

A subclass builds its framework (with `framework_options(...)`) and API, calls `serve_api(asgi_app,
auth_header)`, lists a few cheap GET paths that reach each of its routers in `warm_paths`, and
overrides the hooks `start_workers`, `stop_workers`, `before_leadership_event(kind)` and
`after_leadership_event(kind)` (kind: the election event's name, e.g. "ELECTED", "LOST", "RESUMED").
"""
from __future__ import annotations

import asyncio
import base64
import logging
import socket
import threading
from typing import Any, Callable, Self

import httpx
import uvicorn

from mesosframe.core.framework import Framework
from mesosframe.errors import MesosframeError
from schedulers.common.proxy import PROXIED

__all__ = ["SchedulerServer", "FrameworkThread", "api_authorization"]


def api_authorization(basic_auth: tuple[str, str] | None, bearer_token: str | None) -> str | None:
    """The Authorization header value that an API configured with these credentials accepts, or None."""
    if basic_auth:
        return "Basic " + base64.b64encode(f"{basic_auth[0]}:{basic_auth[1]}".encode()).decode()
    return f"Bearer {bearer_token}" if bearer_token else None


class FrameworkThread:
    """A daemon thread whose `run()` decides when to `submit(fn)` work to the framework's core loop; a failed
    submission is logged as `failure_event` and never ends the thread. `stop()` wakes it (`wake_to_stop`)
    and joins it."""

    def __init__(self, framework: Framework, name: str, log: logging.Logger, failure_event: str) -> None:
        self.framework, self._log, self._failure_event = framework, log, failure_event
        self._thread = threading.Thread(target=self.run, name=name, daemon=True)

    def start(self) -> "FrameworkThread":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.wake_to_stop()
        self._thread.join(timeout=5)

    def wake_to_stop(self) -> None:
        """Make `run()` return soon."""
        raise NotImplementedError

    def run(self) -> None:
        raise NotImplementedError

    def submit(self, fn: Callable[[Framework], Any], urgent: bool = False) -> None:
        """Run `fn(framework)` on the core loop (ahead of queued events if `urgent`) and wait for it (up to
        60 s); failures are logged."""
        try:
            self.framework.submit(fn, urgent).result(timeout=60)
        except Exception:  # keep going; the next submission retries
            self._log.exception(self._failure_event)


class SchedulerServer:
    """See the module docstring. `kind` names the HTTP thread (`<kind>-http`) and the start log line."""

    kind = "scheduler"
    log = logging.getLogger("mesosframe.schedulers.server")
    graceful_shutdown: float | None = None     # uvicorn's timeout_graceful_shutdown (None: its default)
    framework: Framework
    api: Any

    def __init__(self, master: str, *, zk: str | None, http_port: int, hostname: str, name: str,
                 zk_session_timeout: float) -> None:
        self.master, self.zk, self.name = master, zk, name
        self._socket = socket.create_server((hostname, http_port))
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # no Nagle wait between head and body
        self.port = self._socket.getsockname()[1]
        self.address = f"{hostname}:{self.port}"
        self.url = f"http://{self.address}"
        self.ha = None
        if zk:
            from mesosframe.core.leadership import ZooKeeperHA
            self.ha = ZooKeeperHA(zk, name, identity=self.address, session_timeout=zk_session_timeout)

    def framework_options(self, failover_timeout: float | None = None) -> dict[str, Any]:
        """Framework keyword arguments for `failover_timeout` (if given) and, with HA, the leader election."""
        options: dict[str, Any] = {}
        if failover_timeout is not None:
            options["failover_timeout"] = failover_timeout
        if self.ha is not None:
            options["election"] = self._election
        return options

    warm_paths: tuple[str, ...] = ("/ping",)

    def serve_api(self, api: Any, auth_header: str | None = None) -> None:
        """Prepare uvicorn to serve the ASGI `api` on the bound socket (from `start()`); `auth_header`: the
        Authorization value the API wants, if any (for `warm_up`)."""
        self.api, self._auth_header = api, auth_header
        extra = {} if self.graceful_shutdown is None else {"timeout_graceful_shutdown": self.graceful_shutdown}
        self._uvicorn = uvicorn.Server(uvicorn.Config(api, log_level="warning", access_log=False, lifespan="off",
                                                      **extra))
        self._http_thread = threading.Thread(target=self._serve, name=f"{self.kind}-http", daemon=True)

    def _election(self, on_event):
        def forward(event) -> None:
            kind = event.kind.name
            self.before_leadership_event(kind)
            on_event(event)
            self.after_leadership_event(kind)
        return self.ha.election(forward)

    def before_leadership_event(self, kind: str) -> None:
        """Called on the election's thread before the core hears of a leadership event."""

    def after_leadership_event(self, kind: str) -> None:
        """Called on the election's thread after the core heard of a leadership event."""

    def start_workers(self) -> None:
        """Start the scheduler's background threads (after the framework, before the API)."""

    def stop_workers(self) -> None:
        """Stop them (after the API was told to exit, before the framework stops)."""

    def _serve(self) -> None:
        asyncio.run(self._uvicorn.serve(sockets=[self._socket]))

    def start(self) -> Self:
        self.framework.start()
        self.start_workers()
        self._http_thread.start()
        self.log.info("%s_started url=%s master=%s zk=%s", self.kind, self.url, self.master, bool(self.zk))
        return self

    def warm_up(self, timeout: float = 5.0) -> None:
        """Send one GET of each of `warm_paths` to this server (marked as proxied once, so that a standby answers
        it itself), so that the web framework's lazy set-up is done before the first client's request: FastAPI
        builds an included router's routes on its first request and anyio imports its thread pool on first use
        (about 50 ms on the first `POST /v2/apps` before). Failures are logged and ignored."""
        headers = {PROXIED.decode(): "1"}
        if self._auth_header:
            headers["Authorization"] = self._auth_header
        with httpx.Client(base_url=self.url, timeout=timeout, headers=headers) as client:
            for path in self.warm_paths:
                try:
                    client.get(path)
                except httpx.HTTPError as exc:
                    self.log.debug("warm_up_failed path=%s error=%s", path, exc)

    def wait(self) -> None:
        """Block until the HTTP server stops (Ctrl-C in the CLI); raises the framework's fatal error."""
        while self._http_thread.is_alive():
            self._http_thread.join(0.5)
            if self.framework.error is not None:
                raise self.framework.error

    def stop(self, failover: bool = True) -> None:
        """Stop serving and scheduling; `failover=False` also tears the framework down (its tasks die)."""
        self._uvicorn.should_exit = True
        self.stop_workers()
        try:
            self.framework.stop(failover=failover)
        except MesosframeError as exc:
            self.log.warning("framework_stop_failed error=%s", exc)
        if self.ha is not None:
            self.ha.close()
        self._http_thread.join(timeout=10)
        self._socket.close()
