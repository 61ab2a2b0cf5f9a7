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

import logging
import threading

import httpx

from mesosframe.core.clock import SystemClock
from mesosframe.core.framework import Framework
from mesosframe.errors import ConfigurationError
from schedulers.common import proxy
from schedulers.common.server import FrameworkThread, SchedulerServer, api_authorization
from schedulers.longrun.api import create_app
from schedulers.longrun.healthcheck import HealthChecker
from schedulers.longrun.mesos import MesosLongrunService

__all__ = ["LongrunServer", "LeaderProxy", "Ticker", "start_demo_longrun"]

log = logging.getLogger("mesosframe.longrun.server")


class LeaderProxy(proxy.LeaderProxy):
    """On a standby, forward requests to the leader, streaming the response (`schedulers.common.proxy`)."""

    def __init__(self, app, service: MesosLongrunService) -> None:
        super().__init__(app, service, "/v2/leader", timeout=httpx.Timeout(60.0, read=None))


class Ticker(FrameworkThread):
    """Runs `service.tick()` on the core loop while leading: every `interval` seconds, and sooner when a status
    update sets `service.stepping`, but at least `gap` seconds after the previous tick (a tick is O(instances);
    the gap bounds its share of the loop during a burst of updates). One tick at a time, each submitted once the
    previous one has run. A tick is urgent: it runs before the updates already queued, so that during a burst
    (a rolling restart's new instances turning healthy) kills are decided every `gap`, not once the burst is
    over."""

    def __init__(self, service: MesosLongrunService, framework: Framework, interval: float,
                 gap: float = 0.05) -> None:
        super().__init__(framework, "longrun-ticker", log, "tick_failed")
        self.service, self.interval, self.gap = service, interval, min(gap, interval)
        self._stop = threading.Event()

    def wake_to_stop(self) -> None:
        self._stop.set()
        self.service.stepping.set()

    def run(self) -> None:
        while True:
            self.service.stepping.wait(self.interval - self.gap)
            if self._stop.is_set():
                return
            self.service.stepping.clear()
            if self.service.leading:
                self.submit(lambda fw: self.service.tick(), urgent=True)
            if self._stop.wait(self.gap):
                return


class LongrunServer(SchedulerServer):
    """A longrun scheduler instance; see the module docstring."""

    kind = "longrun"
    warm_paths = ("/ping", "/v2/apps", "/v2/info")       # one in each router of the API
    log = log
    graceful_shutdown = 1

    def __init__(self, master: str, *, zk: str | None = None, http_port: int = 8080, hostname: str = "127.0.0.1",
                 principal: str | None = None, secret: str | None = None,
                 basic_auth: tuple[str, str] | None = None, bearer_token: str | None = None,
                 name: str = "longrun", tick_interval: float = 0.5, progress_deadline: float | None = None,
                 health_period: float = 1.0, failover_timeout: float | None = None,
                 zk_session_timeout: float = 10.0) -> None:
        super().__init__(master, zk=zk, http_port=http_port, hostname=hostname, name=name,
                         zk_session_timeout=zk_session_timeout)
        self.clock = SystemClock()
        self.service = MesosLongrunService(self.clock, address=self.address, master=master, zk=zk,
                                           progress_deadline=progress_deadline)
        options = self.framework_options(failover_timeout)
        if self.ha is not None:
            options["store"] = self.ha.store
        self.framework = Framework(name, [self.service.plugin], master=master, principal=principal, secret=secret,
                                   clock=self.clock, **options)
        self.service.bind(self.framework, leader_lookup=self.ha.leader_identity if self.ha else None,
                          abdicate=self._abdicate if self.ha else None)
        self.ticker = Ticker(self.service, self.framework, tick_interval)
        self.health = HealthChecker(self.service, self.clock, period=health_period)
        self.serve_api(LeaderProxy(create_app(self.service, basic_auth=basic_auth, bearer_token=bearer_token),
                                   self.service), api_authorization(basic_auth, bearer_token))

    def before_leadership_event(self, kind: str) -> None:
        self.service.leadership_changed(kind)

    def _abdicate(self) -> None:
        election = self.ha._election if self.ha else None
        if election is None:
            raise ConfigurationError("no election to abdicate from")
        election.abdicate(rejoin=True)

    def start_workers(self) -> None:
        self.ticker.start()
        self.health.start()

    def stop_workers(self) -> None:
        self.service.bus.close_all()        # open /v2/events streams end now, not cancelled at shutdown
        self.health.stop()
        self.ticker.stop()


def start_demo_longrun(master_address: str, zk_url: str | None = None, http_port: int = 8080) -> LongrunServer:
    """The demo's hook: a started scheduler (`.url`, `.stop()`) on `master_address`."""
    return LongrunServer(master_address, zk=zk_url, http_port=http_port).start()
