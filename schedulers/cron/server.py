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
`Waker` sleeps until exactly then and submits `plugin.tick(now)` to the core loop. The plugin also announces
its next slot or retry to the core (`next_demand_at`), which revives `offer_lead_seconds` ahead and keeps the
offers it gets; the tick claims the due slots and wakes the core, which launches on those offers at once, so
a launch is late by the tick and the offer round's own work, not by a polling period or a REVIVE round trip.
"""
from __future__ import annotations

import logging
import threading

from mesosframe.core.clock import Clock, SystemClock
from mesosframe.core.framework import Framework
from mesosframe.matching import Spread
from mesosframe.state import MemoryStateStore
from schedulers.common import proxy
from schedulers.common.server import FrameworkThread, SchedulerServer, api_authorization

from .api import PREFIX, create_app
from .mesos import MesosCronService
from .plugin import CronPlugin

__all__ = ["CronServer", "LeaderProxy", "Waker", "start_demo_cron"]

log = logging.getLogger("mesosframe.cron.server")
PROXIED = proxy.PROXIED.decode()


class Waker(FrameworkThread):
    """Submits `plugin.tick(now)` to the core loop at the plugin's next wake-up time (`set(when)`)."""

    def __init__(self, plugin: CronPlugin, framework: Framework, clock: Clock, heal: float = 30.0) -> None:
        super().__init__(framework, "cron-waker", log, "cron_tick_failed")
        self.plugin, self.clock, self.heal = plugin, clock, heal
        self._when: float | None = None
        self._cond = threading.Condition()
        self._stopped = False

    def set(self, when: float | None) -> None:
        with self._cond:
            self._when = when
            self._cond.notify()

    def wake_to_stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def run(self) -> None:
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
            self.submit(lambda fw: self.plugin.tick(fw.clock.now()))


class LeaderProxy(proxy.LeaderProxy):
    """On a standby, forward each request to the leader and relay its answer (`schedulers.common.proxy`)."""

    def __init__(self, app, service: MesosCronService) -> None:
        super().__init__(app, service, f"{PREFIX}/leader", timeout=60.0,
                         error_body=lambda message: {"status": "503 Service Unavailable", "message": message})


class CronServer(SchedulerServer):
    """A cron scheduler instance; see the module docstring."""

    kind = "cron"
    warm_paths = ("/ping", "/v1/scheduler/jobs")
    log = log

    def __init__(self, master: str, *, zk: str | None = None, http_port: int = 4400, hostname: str = "127.0.0.1",
                 principal: str | None = None, secret: str | None = None,
                 basic_auth: tuple[str, str] | None = None, bearer_token: str | None = None,
                 name: str = "cron", failover_timeout: float | None = None, zk_session_timeout: float = 10.0,
                 clock: Clock | None = None) -> None:
        super().__init__(master, zk=zk, http_port=http_port, hostname=hostname, name=name,
                         zk_session_timeout=zk_session_timeout)
        self.clock = clock or SystemClock()
        store = self.ha.store if self.ha is not None else MemoryStateStore()
        self.plugin = CronPlugin(store, self.clock)
        self.framework = Framework(name, [self.plugin], master=master, store=store, principal=principal,
                                   secret=secret, clock=self.clock, policy=Spread(),
                                   **self.framework_options(failover_timeout))
        self.service = MesosCronService(self.plugin, self.framework, address=self.address,
                                        leader_lookup=self.ha.leader_identity if self.ha else None)
        self.waker = Waker(self.plugin, self.framework, self.clock)
        self.plugin.on_wakeup = self.waker.set
        self.serve_api(LeaderProxy(create_app(self.service, basic=basic_auth, bearer=bearer_token), self.service),
                       api_authorization(basic_auth, bearer_token))

    def before_leadership_event(self, kind: str) -> None:
        if kind in ("LOST", "SUSPENDED"):
            self.plugin.active = False        # stop at once; the loop hears it next

    def after_leadership_event(self, kind: str) -> None:
        if kind == "RESUMED":                 # statuses may have been missed: re-read, then act again
            self.framework.submit(lambda fw: self.plugin.resync(self.plugin.context.tasks(), fw.clock.now()))

    def start_workers(self) -> None:
        self.waker.start()

    def stop_workers(self) -> None:
        self.plugin.active = False
        self.waker.stop()


def start_demo_cron(master_address: str, zk_url: str | None = None, http_port: int = 4400) -> CronServer:
    """The demo's hook: a started cron scheduler (`.url`, `.stop()`) on `master_address`."""
    return CronServer(master_address, zk=zk_url, http_port=http_port).start()
