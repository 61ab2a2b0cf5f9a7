"""Scheduler-side health checks (HTTP, HTTPS, TCP) of running instances, outside the core loop.

`HealthChecker(service, clock)` runs a thread that every `period` seconds picks the running instances of apps
whose first health check is scheduler-side and due (`intervalSeconds` after the last one, the first one
`delaySeconds` after start is not waited for, as in Marathon), probes `host:port` with `timeoutSeconds` in a
small thread pool, and hands each result to `service.report_health` (a command on the core loop), which
applies the grace period, `maxConsecutiveFailures` and the replace-then-kill rule.
`probe(protocol, host, port, path, timeout)` is the single check (True = healthy). The same thread fills in
the host ports and agent attributes of new tasks from the master (`ports.MasterState`), at most once per period.
"""
from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from mesosframe.core.clock import Clock
from mesosframe.errors import MesosframeError
from schedulers.longrun.ports import MasterState

log = logging.getLogger("mesosframe.longrun.healthcheck")


@dataclass(frozen=True)
class Probe:
    task_id: str
    protocol: str
    host: str
    port: int
    path: str
    timeout: float


def probe(protocol: str, host: str, port: int, path: str = "/", timeout: float = 20.0,
          ignore_1xx: bool = False) -> bool:
    """One check: TCP connects; HTTP(S) GETs `path` and wants a status in 200-399 (Marathon's rule)."""
    try:
        if protocol == "TCP":
            with socket.create_connection((host, port), timeout=timeout):
                return True
        if protocol == "HTTPS":
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE   # Marathon does not verify either
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, timeout=timeout,
                                                                           context=context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request("GET", path or "/")
            status = conn.getresponse().status
        finally:
            conn.close()
        return 200 <= status < 400 or (ignore_1xx and 100 <= status < 200)
    except (OSError, http.client.HTTPException):
        return False


def due_probes(service, now: float, last: dict[str, float]) -> list[Probe]:
    """The probes to run now (reads the service under its lock); `last` maps task id -> last probe time."""
    out = []
    with service._lock:
        for task in service.state.tasks.values():
            app = service.state.apps.get(task.app_id)
            if app is None or not app.healthChecks or app.healthChecks[0].runs_on_agent:
                continue
            check = app.healthChecks[0]
            if task.state != "TASK_RUNNING" or task.killing or task.started_at is None:
                continue
            if now - last.get(task.id, float("-inf")) < check.intervalSeconds:
                continue
            port = check.port or (task.ports[check.portIndex or 0] if len(task.ports) > (check.portIndex or 0)
                                  else None)
            if port is None:
                continue        # the core did not report the task's ports: nothing to probe
            out.append(Probe(task.id, check.protocol, task.host, port, check.path or "/", float(check.timeoutSeconds)))
    return out


class HealthChecker:
    """The checking thread; `start()` / `stop()`."""

    def __init__(self, service, clock: Clock, *, period: float = 1.0, workers: int = 8) -> None:
        self.service, self.clock, self.period = service, clock, period
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="longrun-health")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="longrun-health", daemon=True)
        self._last: dict[str, float] = {}
        self._master: MasterState | None = None

    def start(self) -> "HealthChecker":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._master is not None:
            self._master.close()

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            if not self.service.leading:
                continue
            if self._unplaced():
                self._resolve_placements()
            now = self.clock.now()
            for p in due_probes(self.service, now, self._last):
                self._last[p.task_id] = now
                self._pool.submit(self._check, p)

    def _unplaced(self) -> bool:
        """Some started task's ports and agent attributes are not known yet."""
        with self.service._lock:
            return any(t.state != "TASK_STAGING" and not t.placed for t in self.service.state.tasks.values())

    def _resolve_placements(self) -> None:
        framework_id = getattr(self.service.framework, "framework_id", None)
        if self._master is None:
            self._master = MasterState(self.service.master)
        found = self._master.placements(framework_id or "")
        if found:
            try:
                self.service.set_placements(found)
            except MesosframeError as exc:
                log.debug("placements_dropped error=%s", exc)

    def _check(self, p: Probe) -> None:
        ok = probe(p.protocol, p.host, p.port, p.path, p.timeout)
        try:
            self.service.report_health(p.task_id, ok)
        except MesosframeError as exc:     # the task ended meanwhile, or leadership moved
            log.debug("health_result_dropped task=%s error=%s", p.task_id, exc)
