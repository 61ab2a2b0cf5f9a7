"""An ExecutorHost on its own loop thread, served over loopback HTTP, with a recording master and status sink.

`InProcessLauncher` starts no process: it records the LaunchSpec and returns a `FakeRun` that "exits" when
signalled (SIGKILL/SIGTERM) or when the test calls `exit(code)`. Tests then run pymesos's executor driver in
this process with the spec's environment (`start_driver`). `MESOS_LOCAL=1` keeps pymesos from
`killpg(0, SIGKILL)` (which would kill pytest) on SHUTDOWN.
"""
from __future__ import annotations

import asyncio
import os
import pathlib
import signal
import threading
import time
from typing import Any, Callable

from mesosframe.core.clock import SystemClock
from mesosframe.local.executors import ExecutorHost, ExecutorHttp, ExecutorLauncher, ExecutorRun
from mesosframe.local.protocol import AgentInfo, MasterPort

ROOT = pathlib.Path(__file__).resolve().parents[3]
FRAMEWORK = {"id": {"value": "fw-1"}, "name": "test", "user": "", "checkpoint": True,
             "capabilities": [{"type": "TASK_KILLING_STATE"}]}


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class RecordingMaster(MasterPort):
    def __init__(self) -> None:
        self.messages: list[tuple[str, str, str, bytes]] = []
        self.exited: list[tuple[str, str, str, int]] = []

    def register_agent(self, agent): pass
    def status_update(self, agent_id, framework_id, status): pass
    def agent_heartbeat(self, agent_id): pass
    def agent_exited(self, agent_id): pass

    def executor_message(self, agent_id, framework_id, executor_id, data):
        self.messages.append((agent_id, framework_id, executor_id, data))

    def executor_exited(self, agent_id, framework_id, executor_id, status):
        self.exited.append((agent_id, framework_id, executor_id, status))


class FakeRun(ExecutorRun):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._done: asyncio.Future = loop.create_future()
        self.signals: list[int] = []

    async def wait(self) -> int:
        return await self._done

    def signal(self, signum: int) -> None:
        self.signals.append(signum)
        if signum in (signal.SIGKILL, signal.SIGTERM):
            self.exit(-signum)

    def exit(self, code: int) -> None:
        if not self._done.done():
            self._done.set_result(code)


class InProcessLauncher(ExecutorLauncher):
    def __init__(self) -> None:
        self.specs: list = []
        self.runs: list[FakeRun] = []

    async def launch(self, spec) -> ExecutorRun:
        run = FakeRun(asyncio.get_running_loop())
        self.specs.append(spec)
        self.runs.append(run)
        return run


class HostHarness:
    """The host, its HTTP server and what it reported; `call(fn, *args)` runs on the host's loop."""

    def __init__(self, tmp_path: pathlib.Path, launcher: ExecutorLauncher | None, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.master = RecordingMaster()
        self.statuses: list[dict] = []
        self.info = AgentInfo(agent_id="agent-1", hostname="127.0.0.1",
                              resources=[{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}}])
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.host = self.call(lambda: ExecutorHost(self.info, self.master, self._sink, loop=self.loop,
                                                   clock=SystemClock(), work_dir=tmp_path, launcher=launcher,
                                                   base_env=env, **options))
        self.http = ExecutorHttp(self.host)
        self.port = self.call(self.http.listen, "127.0.0.1", 0)     # as an agent would, from its start()
        self.info.port = self.port

    def _sink(self, framework_id: str, status: dict) -> None:
        self.statuses.append(status)

    def call(self, fn: Callable, *args: Any) -> Any:
        async def run() -> Any:
            return fn(*args)
        return self.wait(run())

    def wait(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(15)

    def states(self, task_id: str) -> list[str]:
        return [s["state"] for s in list(self.statuses) if s["task_id"]["value"] == task_id]

    def wait_state(self, task_id: str, state: str, timeout: float = 10.0) -> dict:
        def find() -> dict | None:
            return next((s for s in list(self.statuses)
                         if s["task_id"]["value"] == task_id and s["state"] == state), None)
        return wait_for(find, timeout, f"{task_id} {state}; saw {self.states(task_id)}")

    def close(self) -> None:
        self.call(self.host.stop)
        self.wait(self.host.wait_stopped())
        self.wait(self.http.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


