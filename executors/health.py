"""Mesos health checks (HealthCheck JSON) for the bundled executors.

`HealthCheckSpec.from_json` validates as `src/common/validation.cpp` does and fills Mesos's defaults (delay 15,
interval 10, timeout 20, consecutive failures 3, grace period 10 s). `HealthTracker` is the pure decision
part of Mesos's health checker: a failure while no check has succeeded yet and within the grace period
(counted from the task's start) is ignored; every other failure is reported as unhealthy and the task is to
be killed once `consecutive_failures` failures happened in a row; a success is reported on the first success
and on the first one after failures. `probe` runs one check against 127.0.0.1 (blocking): HTTP(S) counts
200-399 as success (Mesos's built-in executors ignore `statuses`), TCP a completed connect, COMMAND exit 0;
a timeout is a failure. `HealthChecker` runs probes on a thread.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Callable, Mapping

from mesosframe.errors import ValidationError

__all__ = ["HealthCheckError", "HealthCheckSpec", "HealthTracker", "Verdict", "probe", "HealthChecker"]


class HealthCheckError(ValidationError):
    """A HealthCheck JSON that Mesos would refuse."""


@dataclass(frozen=True)
class HealthCheckSpec:
    kind: str                                   # HTTP | TCP | COMMAND
    delay: float = 15.0
    interval: float = 10.0
    timeout: float = 20.0
    consecutive_failures: int = 3
    grace_period: float = 10.0
    port: int = 0
    path: str = "/"
    scheme: str = "http"
    command: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, check: dict) -> "HealthCheckSpec":
        kind = check.get("type")
        numbers = {name: check.get(f"{name}_seconds", default) for name, default in
                   (("delay", 15.0), ("interval", 10.0), ("timeout", 20.0), ("grace_period", 10.0))}
        failures = check.get("consecutive_failures", 3)
        for name, value in [*numbers.items(), ("consecutive_failures", failures)]:
            if not isinstance(value, (int, float)) or value < 0:
                raise HealthCheckError(f"expecting a non-negative number, got {value!r}", f"health_check.{name}")
        common = dict(numbers, consecutive_failures=int(failures))
        if kind == "HTTP":
            spec = check.get("http")
            if not isinstance(spec, dict) or not isinstance(spec.get("port"), int):
                raise HealthCheckError("expecting 'http' with a 'port'", "health_check.http")
            scheme, path = spec.get("scheme", "http"), spec.get("path", "/")
            if scheme not in ("http", "https"):
                raise HealthCheckError(f"unsupported scheme {scheme!r}", "health_check.http.scheme")
            if not path.startswith("/"):
                raise HealthCheckError("the path must start with '/'", "health_check.http.path")
            return cls("HTTP", port=spec["port"], path=path, scheme=scheme, **common)
        if kind == "TCP":
            spec = check.get("tcp")
            if not isinstance(spec, dict) or not isinstance(spec.get("port"), int):
                raise HealthCheckError("expecting 'tcp' with a 'port'", "health_check.tcp")
            return cls("TCP", port=spec["port"], **common)
        if kind == "COMMAND":
            command = check.get("command")
            if not isinstance(command, dict) or not command.get("value"):
                raise HealthCheckError("expecting 'command' with a 'value'", "health_check.command")
            return cls("COMMAND", command=command, **common)
        raise HealthCheckError(f"unsupported or missing type {kind!r}", "health_check.type")


@dataclass(frozen=True)
class Verdict:
    """What to do after one check: send TASK_RUNNING with `healthy` if `report`; kill the task if `kill`."""
    report: bool
    healthy: bool
    kill: bool = False


class HealthTracker:
    """The pure state of one task's health checking (see the module docstring)."""

    def __init__(self, spec: HealthCheckSpec, started_at: float) -> None:
        self.spec = spec
        self.started_at = started_at
        self.succeeded_once = False
        self.failures = 0

    def observe(self, ok: bool, now: float) -> Verdict:
        if ok:
            report = not self.succeeded_once or self.failures > 0
            self.succeeded_once = True
            self.failures = 0
            return Verdict(report=report, healthy=True)
        if not self.succeeded_once and now - self.started_at <= self.spec.grace_period:
            return Verdict(report=False, healthy=False)
        self.failures += 1
        return Verdict(report=True, healthy=False, kill=self.failures >= self.spec.consecutive_failures)


def probe(spec: HealthCheckSpec, *, env: Mapping[str, str] | None = None, cwd: str | None = None) -> bool:
    """Run one check (blocking, at most about `spec.timeout` seconds); True if it passed."""
    timeout = spec.timeout or None
    try:
        if spec.kind == "HTTP":
            if spec.scheme == "https":
                conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                    "127.0.0.1", spec.port, timeout=timeout, context=ssl._create_unverified_context())
            else:
                conn = http.client.HTTPConnection("127.0.0.1", spec.port, timeout=timeout)
            try:
                conn.request("GET", spec.path)
                return 200 <= conn.getresponse().status < 400
            finally:
                conn.close()
        if spec.kind == "TCP":
            with socket.create_connection(("127.0.0.1", spec.port), timeout=timeout):
                return True
        command = spec.command
        if command.get("shell", True):
            argv = ["/bin/sh", "-c", command["value"]]
        else:
            argv = list(command.get("arguments") or [command["value"]])
        child_env = dict(env or {})
        child_env.update({v["name"]: v.get("value", "") for v in command.get("environment", {}).get("variables", ())})
        result = subprocess.run(argv, env=child_env or None, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout,
                                process_group=0)
        return result.returncode == 0
    except (OSError, http.client.HTTPException, subprocess.TimeoutExpired, ValueError):
        return False


class HealthChecker:
    """Probes a task every `interval` after `delay` on a daemon thread and calls `on_verdict(verdict)` for
    each verdict that reports. `clock()` gives monotonic seconds; `stop()` ends the thread."""

    def __init__(self, spec: HealthCheckSpec, on_verdict: Callable[[Verdict], None], *, started_at: float,
                 clock: Callable[[], float], env: Mapping[str, str] | None = None, cwd: str | None = None) -> None:
        self._spec = spec
        self._tracker = HealthTracker(spec, started_at)
        self._on_verdict = on_verdict
        self._clock = clock
        self._env, self._cwd = env, cwd
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="health-check", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _loop(self) -> None:
        if self._stopped.wait(self._spec.delay):
            return
        while not self._stopped.is_set():
            ok = probe(self._spec, env=self._env, cwd=self._cwd)
            if self._stopped.is_set():
                return
            verdict = self._tracker.observe(ok, self._clock())
            if verdict.report:
                self._on_verdict(verdict)
            if verdict.kill or self._stopped.wait(self._spec.interval):
                return
