"""`MesosCronService`: the `CronService` (what the REST API needs) over a `CronPlugin` hosted by a Framework.

Threads: REST handlers call these methods from the HTTP server's threads. Each one submits a command to the
core loop (`Framework.submit`) and waits for its result, so the engine is only ever touched on the loop
thread. A standby (not leading, or leadership suspended) raises `NotLeaderError` naming the leader; the HTTP
layer proxies to the leader before it gets here (`server.LeaderProxy`).
"""
from __future__ import annotations

from typing import Any, Callable

from mesosframe.errors import NotLeaderError

from .dag import JobGraph
from .history import RunRecord
from .job import Job
from .plugin import CronPlugin
from .runs import Run
from .service import CronService

__all__ = ["MesosCronService"]

COMMAND_TIMEOUT = 30.0


class MesosCronService(CronService):
    """Commands run on the core loop. `leader_lookup()` gives the leader's `host:port` when HA is on."""

    def __init__(self, plugin: CronPlugin, framework: Any, *, address: str = "",
                 leader_lookup: Callable[[], str | None] | None = None) -> None:
        self.plugin, self.framework, self.address = plugin, framework, address
        self.leader_lookup = leader_lookup

    @property
    def leading(self) -> bool:
        return self.plugin.active

    def _on_loop(self, fn: Callable[[float], Any]) -> Any:
        if not self.plugin.active:
            raise NotLeaderError("not the leader", self.leader() or None)

        def command(fw) -> Any:
            if not self.plugin.active:
                raise NotLeaderError("not the leader", self.leader() or None)
            return fn(fw.clock.now())
        return self.framework.submit(command).result(timeout=COMMAND_TIMEOUT)

    def _change(self, fn: Callable[[float], Any]) -> Any:
        return self._on_loop(lambda now: self.plugin.run_engine(lambda: fn(now), now))

    def list_jobs(self) -> list[Job]:
        engine = self.plugin.engine
        return self._on_loop(lambda now: [engine.jobs[name] for name in sorted(engine.jobs)])

    def get_job(self, name: str) -> Job:
        return self._on_loop(lambda now: self.plugin.engine.get_job(name))

    def put_job(self, job: Job) -> Job:
        return self._change(lambda now: self.plugin.engine.put_job(job, now))

    def delete_job(self, name: str) -> None:
        self._change(lambda now: self.plugin.engine.delete_job(name, now))

    def run_now(self, name: str, arguments: list[str]) -> None:
        self._change(lambda now: self.plugin.engine.run_now(name, now, tuple(arguments)))

    def kill_tasks(self, name: str) -> None:
        self._change(lambda now: self.plugin.engine.kill(name, now))

    def mark_success(self, name: str) -> None:
        self._change(lambda now: self.plugin.engine.mark_success(name, now))

    def history(self, name: str) -> list[RunRecord]:
        engine = self.plugin.engine

        def read(now: float) -> list[RunRecord]:
            engine.get_job(name)
            return list(engine.history.get(name, ()))
        return self._on_loop(read)

    def active_runs(self, name: str) -> list[Run]:
        engine = self.plugin.engine

        def read(now: float) -> list[Run]:
            engine.get_job(name)
            return engine.active(name)
        return self._on_loop(read)

    def graph(self) -> JobGraph:
        return self._on_loop(lambda now: self.plugin.engine.graph)

    def leader(self) -> str:
        if self.plugin.active or self.leader_lookup is None:
            return self.address
        return self.leader_lookup() or ""

    def metrics(self) -> dict:
        """Engine gauges and counters plus launch counts; empty gauges on a standby."""
        if not self.plugin.active:
            return {"gauges": {"leading": 0}, "counters": {}}
        data = super().metrics()
        data["gauges"]["leading"] = 1
        data["gauges"]["launches.pending"] = len(self.plugin.pending)
        data["counters"]["tasks.launched"] = self.plugin.launched
        return data
