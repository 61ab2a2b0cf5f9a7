"""`ExecutorHost`: the executors of one agent and the agent side of their v1 executor API calls.

Lifecycle of an executor (one per (framework id, executor id)):

    LAUNCHING --SUBSCRIBE--> REGISTERED --stream closed--> DISCONNECTED --SUBSCRIBE--> REGISTERED
        |                        |  shutdown_executor / shutdown_framework
        |                        v
        +-----------------> TERMINATING --process exit--> (forgotten)
    (the executor's process exiting in any state also forgets it)

Tasks given to `launch` before the executor subscribes are queued and sent as LAUNCH / LAUNCH_GROUP right
after SUBSCRIBED. An UPDATE is handed to `status_sink(framework_id, status)` (the agent's status update
manager) and then ACKNOWLEDGED to the executor; an update whose uuid was already taken (re-sent in
SUBSCRIBE's `unacknowledged_updates`) is only acknowledged again. When the executor process exits, each of
its tasks that is not terminal gets TASK_LOST (TASK_GONE for PARTITION_AWARE frameworks) with
REASON_EXECUTOR_TERMINATED, or REASON_EXECUTOR_REGISTRATION_TIMEOUT if it never subscribed in time, and the
master hears `executor_exited` with the raw wait status (the scheduler gets FAILURE). After
`shutdown_framework` nothing is reported. Executors whose ExecutorInfo has a container image start through
`image_launcher` (`ContainerExecutorLauncher`), with only the MESOS_* environment (no agent environment) and
MESOS_SANDBOX=/mnt/mesos/sandbox; without an `image_launcher` their tasks fail (REASON_CONTAINER_LAUNCH_FAILED). All methods run on the agent's loop and do not block.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import os
import pathlib
import signal
import uuid as uuidlib
from typing import Any, Callable

from mesosframe.core.clock import Clock
from mesosframe.local.agents.base import has_capability, value_of
from mesosframe.local.agents.containerized import has_image
from mesosframe.local.agents.sandbox import make_sandbox, sandbox_path
from mesosframe.local.agents.updates import is_terminal, stamp
from mesosframe.local.containers import SANDBOX_PATH, ContainerError
from mesosframe.local.executors.launch import (
    ExecutorLauncher, ExecutorLaunchSpec, ProcessExecutorLauncher, executor_argv,
)
from mesosframe.local.executors.records import EventStream, ExecutorState, ExecutorRecord
from mesosframe.local.executors.wire import (
    ExecutorCall, ExecutorCallError, event, executor_environment, nanoseconds_to_seconds, wait_status,
)
from mesosframe.local.protocol import AgentInfo, MasterPort

log = logging.getLogger("mesosframe.local.executors")

__all__ = ["ExecutorHost", "ExecutorState", "EventStream"]

DEFAULT_SHUTDOWN_GRACE = 5.0


class ExecutorHost:
    """Runs an agent's executors and serves their calls (see the module docstring).

    `status_sink(framework_id, status)` receives complete TaskStatus JSON (with `uuid` and `timestamp`);
    `endpoint` (`ip:port` of the executor API) must be set before the first `launch`.
    """

    def __init__(self, agent_info: AgentInfo, master: MasterPort, status_sink: Callable[[str, dict], None], *,
                 loop: Any, clock: Clock, work_dir: pathlib.Path, launcher: ExecutorLauncher | None = None,
                 registration_timeout: float = 60.0, heartbeat_interval: float = 1800.0,
                 base_env: dict[str, str] | None = None, endpoint: str = "",
                 image_launcher: ExecutorLauncher | None = None) -> None:
        self.agent_info = agent_info
        self._master = master
        self._sink = status_sink
        self._loop = loop
        self._clock = clock
        self._work_dir = pathlib.Path(work_dir)
        self._launcher = launcher or ProcessExecutorLauncher()
        self.image_launcher = image_launcher
        self.registration_timeout = float(registration_timeout)
        self.heartbeat_interval = float(heartbeat_interval)
        self._base_env = dict(os.environ if base_env is None else base_env)
        self.endpoint = endpoint
        self._executors: dict[tuple[str, str], ExecutorRecord] = {}
        self._stopping: set[asyncio.Task] = set()

    # agent-facing API ------------------------------------------------------------------------------

    def launch(self, framework: dict, executor_info: dict, tasks: list[dict], group: bool = False) -> None:
        """Give `tasks` to the executor `executor_info`, starting it if it is not running."""
        framework_id = value_of(framework["id"])
        key = (framework_id, value_of(executor_info["executor_id"]))
        ex = self._executors.get(key)
        if ex is None or ex.state is ExecutorState.TERMINATING:
            if ex is not None:
                for task in tasks:
                    self._report(ex, task, "TASK_LOST", "REASON_EXECUTOR_TERMINATED", "Executor is terminating")
                return
            ex = self._start(framework, framework_id, executor_info)
        for task in tasks:
            ex.tasks[value_of(task["task_id"])] = task
        if ex.state is ExecutorState.REGISTERED:
            self._deliver(ex, tasks, group)
        else:
            ex.queued.append((tasks, group))

    def owns(self, framework_id: str, task_id: str) -> bool:
        """Whether a live task with this id runs under one of this host's executors."""
        return self._find(framework_id, task_id) is not None

    def kill_task(self, framework_id: str, task_id: str, kill_policy: dict | None = None) -> bool:
        """KILL the task (or drop it with TASK_KILLED if not yet delivered). False if no executor has it."""
        ex = self._find(framework_id, task_id)
        if ex is None:
            return False
        for index, (tasks, group) in enumerate(ex.queued):
            if any(value_of(t["task_id"]) == task_id for t in tasks):
                # a queued group is killed as a whole, as the agent does before delivery
                del ex.queued[index]
                for task in tasks:
                    self._report(ex, task, "TASK_KILLED", None, "Killed before delivery to the executor")
                return True
        body: dict[str, Any] = {"task_id": {"value": task_id}}
        if kill_policy:
            body["kill_policy"] = kill_policy
        self._send(ex, event("KILL", **body))
        return True

    def framework_message(self, framework_id: str, executor_id: str, data: bytes) -> bool:
        """Deliver a scheduler's MESSAGE to a subscribed executor; False (dropped) otherwise."""
        ex = self._executors.get((framework_id, executor_id))
        if ex is None or ex.stream is None:
            return False
        self._send(ex, event("MESSAGE", data=base64.b64encode(data).decode("ascii")))
        return True

    def shutdown_executor(self, framework_id: str, executor_id: str) -> bool:
        """SHUTDOWN the executor, SIGKILL its process group after its shutdown grace period."""
        ex = self._executors.get((framework_id, executor_id))
        if ex is None:
            return False
        self._shutdown(ex)
        return True

    def shutdown_framework(self, framework_id: str) -> None:
        """Shut down every executor of the framework; no updates and no FAILURE are reported for them."""
        for ex in [e for e in self._executors.values() if e.framework_id == framework_id]:
            ex.silent = True
            self._shutdown(ex)

    def stop(self) -> None:
        """SIGKILL every executor and its tasks at once and forget them (agent stop or crash); reports nothing."""
        for ex in list(self._executors.values()):
            ex.silent = True
            if ex.run is not None:
                ex.run.destroy()
            elif ex.waiter is not None:
                ex.waiter.cancel()            # still starting: nothing to reap
            if ex.waiter is not None and not ex.waiter.done():
                self._stopping.add(ex.waiter)
            self._forget(ex)

    async def wait_stopped(self) -> None:
        """After `stop()`: wait until the killed executors are reaped (await it before the loop closes)."""
        while self._stopping:
            waiters, self._stopping = list(self._stopping), set()
            await asyncio.wait(waiters, timeout=5.0)

    def state(self, framework_id: str, executor_id: str) -> ExecutorState | None:
        """The executor's state, or None if the host does not know it (never started or exited)."""
        ex = self._executors.get((framework_id, executor_id))
        return ex.state if ex else None

    def sandbox_of(self, framework_id: str, executor_id: str) -> pathlib.Path | None:
        ex = self._executors.get((framework_id, executor_id))
        return ex.sandbox if ex else None

    def pid_of(self, framework_id: str, executor_id: str) -> int | None:
        ex = self._executors.get((framework_id, executor_id))
        return ex.run.pid if ex and ex.run else None

    # executor-facing API (called by the HTTP layer) ------------------------------------------------

    def subscribe(self, call: ExecutorCall, stream: EventStream) -> None:
        """SUBSCRIBE (or re-subscribe): attach `stream` and send SUBSCRIBED, re-taken updates' ACKNOWLEDGED
        and the queued tasks. Raises ExecutorCallError for an unknown or terminating executor."""
        ex = self._lookup(call)
        if ex.state is ExecutorState.TERMINATING:
            raise ExecutorCallError(403, "Executor is terminating")
        if ex.stream is not None and ex.stream is not stream:
            ex.stream.close()
        ex.stream = stream
        ex.state = ExecutorState.REGISTERED
        self._cancel(ex, "registration")
        stream.send(event("SUBSCRIBED", executor_info=ex.info, framework_info=ex.framework,
                          agent_info=self._agent_json(), container_id={"value": ex.container_id}))
        subscribe = call.body.get("subscribe", {})
        for update in subscribe.get("unacknowledged_updates", ()):
            status = update.get("status") if isinstance(update, dict) else None
            if isinstance(status, dict) and status.get("uuid"):
                self._take_update(ex, status)
        known = {value_of(t["task_id"]) for t in subscribe.get("unacknowledged_tasks", ())}
        queued, ex.queued = ex.queued, []
        for tasks, group in queued:
            tasks = [t for t in tasks if value_of(t["task_id"]) not in known]
            if tasks:
                self._deliver(ex, tasks, group)
        self._arm(ex, "heartbeat", self.heartbeat_interval, self._heartbeat, ex)
        log.info("executor_subscribed framework=%s executor=%s", ex.framework_id, ex.executor_id)

    def disconnected(self, call: ExecutorCall, stream: EventStream) -> None:
        """The SUBSCRIBE response `stream` ended (client went away); wait for a re-subscription."""
        ex = self._executors.get((call.framework_id, call.executor_id))
        if ex is None or ex.stream is not stream:
            return
        ex.stream = None
        self._cancel(ex, "heartbeat")
        if ex.state is ExecutorState.REGISTERED:
            ex.state = ExecutorState.DISCONNECTED
        log.info("executor_disconnected framework=%s executor=%s", ex.framework_id, ex.executor_id)

    def handle(self, call: ExecutorCall) -> None:
        """UPDATE, MESSAGE or HEARTBEAT from a subscribed executor. Raises ExecutorCallError (400/403)."""
        ex = self._lookup(call)
        if ex.state not in (ExecutorState.REGISTERED, ExecutorState.TERMINATING) or ex.stream is None:
            raise ExecutorCallError(403, "Executor is not subscribed")
        if call.type == "UPDATE":
            self._take_update(ex, call.status)
        elif call.type == "MESSAGE":
            data = base64.b64decode(call.body["message"]["data"])
            self._master.executor_message(self.agent_info.agent_id, ex.framework_id, ex.executor_id, data)

    def close_stream(self, framework_id: str, executor_id: str) -> bool:
        """Close the executor's event stream as an agent restart would (tests: forces a re-subscription)."""
        ex = self._executors.get((framework_id, executor_id))
        if ex is None or ex.stream is None:
            return False
        stream, ex.stream = ex.stream, None
        ex.state = ExecutorState.DISCONNECTED
        self._cancel(ex, "heartbeat")
        stream.close()
        return True

    # internals -------------------------------------------------------------------------------------

    def _start(self, framework: dict, framework_id: str, info: dict) -> ExecutorRecord:
        if not self.endpoint:
            raise RuntimeError("ExecutorHost.endpoint is not set; start or mount the executor API first")
        container_id = str(uuidlib.uuid4())
        executor_id = value_of(info["executor_id"])
        sandbox = sandbox_path(self._work_dir, self.agent_info.agent_id, framework_id, executor_id, container_id)
        info = dict(info)
        info.setdefault("framework_id", {"value": framework_id})
        ex = ExecutorRecord(framework, framework_id, info, sandbox, container_id)
        self._executors[(framework_id, executor_id)] = ex
        self._arm(ex, "registration", self.registration_timeout, self._registration_timeout, ex)
        ex.waiter = self._loop.create_task(self._run(ex))
        return ex

    def _spec(self, ex: ExecutorRecord, image: bool) -> ExecutorLaunchSpec:
        command = ex.info.get("command", {})
        extra = {v["name"]: v.get("value", "") for v in command.get("environment", {}).get("variables", ())
                 if v.get("type", "VALUE") == "VALUE"}
        env = executor_environment(
            base={} if image else self._base_env, agent_id=self.agent_info.agent_id, endpoint=self.endpoint,
            framework_id=ex.framework_id, executor_id=ex.executor_id, directory=ex.sandbox,
            sandbox=pathlib.Path(SANDBOX_PATH) if image else None, checkpoint=bool(ex.framework.get("checkpoint")),
            shutdown_grace=self._grace(ex), extra=extra)
        executable, argv = executor_argv(ex.info, env)
        resources = [*ex.info.get("resources", ()), *(r for t in ex.tasks.values() for r in t.get("resources", ()))]
        return ExecutorLaunchSpec(executable=executable, argv=argv, env=env, cwd=ex.sandbox,
                                  stdout=ex.sandbox / "stdout", stderr=ex.sandbox / "stderr",
                                  container_id=ex.container_id, executor_info=ex.info, resources=tuple(resources))

    async def _run(self, ex: ExecutorRecord) -> None:
        image = has_image(ex.info)
        try:
            launcher = self.image_launcher if image else self._launcher
            if launcher is None:
                raise ValueError("container images for executors need an agent with a usable container runtime")
            make_sandbox(ex.sandbox)
            ex.run = await launcher.launch(self._spec(ex, image))
        except (OSError, ValueError, ContainerError) as exc:
            log.warning("executor_launch_failed framework=%s executor=%s error=%s", ex.framework_id,
                        ex.executor_id, exc)
            self._fail_tasks(ex, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED",
                             f"Failed to launch executor: {exc}")
            self._forget(ex)
            return
        log.info("executor_launched framework=%s executor=%s pid=%s", ex.framework_id, ex.executor_id, ex.run.pid)
        if ex.state is ExecutorState.TERMINATING and "shutdown" not in ex.timers:
            ex.run.signal(signal.SIGKILL)     # shut down or timed out while starting
        code = await ex.run.wait()
        await ex.run.release()                # whatever it left behind, its tasks included
        self._terminated(ex, code)

    def _terminated(self, ex: ExecutorRecord, code: int) -> None:
        if self._executors.get((ex.framework_id, ex.executor_id)) is not ex:
            return
        log.info("executor_exited framework=%s executor=%s status=%s", ex.framework_id, ex.executor_id, code)
        self._forget(ex)
        if ex.silent:
            return
        state = "TASK_GONE" if has_capability(ex.framework, "PARTITION_AWARE") else "TASK_LOST"
        self._fail_tasks(ex, state, ex.reason, "Executor terminated")
        self._master.executor_exited(self.agent_info.agent_id, ex.framework_id, ex.executor_id,
                                     wait_status(code))

    def _fail_tasks(self, ex: ExecutorRecord, state: str, reason: str, message: str) -> None:
        for task in list(ex.tasks.values()):
            self._report(ex, task, state, reason, message)
        ex.tasks.clear()
        ex.queued.clear()

    def _forget(self, ex: ExecutorRecord) -> None:
        for name in list(ex.timers):
            self._cancel(ex, name)
        if ex.stream is not None:
            ex.stream.close()
            ex.stream = None
        self._executors.pop((ex.framework_id, ex.executor_id), None)

    def _shutdown(self, ex: ExecutorRecord) -> None:
        if ex.state is ExecutorState.TERMINATING:
            return
        ex.state = ExecutorState.TERMINATING
        self._cancel(ex, "registration")
        if ex.stream is not None:
            self._send(ex, event("SHUTDOWN"))
            self._arm(ex, "shutdown", self._grace(ex), self._kill, ex)
        else:
            self._kill(ex)

    def _kill(self, ex: ExecutorRecord) -> None:
        ex.timers.pop("shutdown", None)
        if ex.run is not None:
            ex.run.signal(signal.SIGKILL)

    def _registration_timeout(self, ex: ExecutorRecord) -> None:
        ex.timers.pop("registration", None)
        if ex.state is not ExecutorState.LAUNCHING:
            return
        log.warning("executor_registration_timeout framework=%s executor=%s", ex.framework_id, ex.executor_id)
        ex.reason = "REASON_EXECUTOR_REGISTRATION_TIMEOUT"
        ex.state = ExecutorState.TERMINATING
        self._kill(ex)

    def _heartbeat(self, ex: ExecutorRecord) -> None:
        ex.timers.pop("heartbeat", None)
        if ex.stream is not None:
            self._send(ex, event("HEARTBEAT"))
            self._arm(ex, "heartbeat", self.heartbeat_interval, self._heartbeat, ex)

    def _take_update(self, ex: ExecutorRecord, status: dict) -> None:
        raw = base64.b64decode(status["uuid"])
        task_id = status["task_id"]["value"]
        if raw not in ex.seen:
            ex.seen.add(raw)
            status = dict(status)
            status["agent_id"] = {"value": self.agent_info.agent_id}
            status["executor_id"] = {"value": ex.executor_id}
            status.setdefault("timestamp", self._clock.now())
            if is_terminal(status["state"]):
                ex.tasks.pop(task_id, None)
            self._sink(ex.framework_id, status)
        self._send(ex, event("ACKNOWLEDGED", task_id={"value": task_id}, uuid=status["uuid"]))

    def _report(self, ex: ExecutorRecord, task: dict, state: str, reason: str | None, message: str) -> None:
        status: dict[str, Any] = {"task_id": {"value": value_of(task["task_id"])}, "state": state,
                                  "source": "SOURCE_AGENT", "message": message,
                                  "agent_id": {"value": self.agent_info.agent_id},
                                  "executor_id": {"value": ex.executor_id}}
        if reason:
            status["reason"] = reason
        stamp(status, self._clock.now())
        ex.tasks.pop(value_of(task["task_id"]), None)
        self._sink(ex.framework_id, status)

    def _deliver(self, ex: ExecutorRecord, tasks: list[dict], group: bool) -> None:
        if group:
            self._send(ex, event("LAUNCH_GROUP", task_group={"tasks": tasks}))
        else:
            for task in tasks:
                self._send(ex, event("LAUNCH", task=task))

    def _send(self, ex: ExecutorRecord, payload: dict) -> None:
        if ex.stream is not None:
            ex.stream.send(payload)

    def _lookup(self, call: ExecutorCall) -> ExecutorRecord:
        if not any(e.framework_id == call.framework_id for e in self._executors.values()):
            raise ExecutorCallError(400, f"Framework {call.framework_id} cannot be found")
        ex = self._executors.get((call.framework_id, call.executor_id))
        if ex is None:
            raise ExecutorCallError(400, f"Executor {call.executor_id} cannot be found")
        return ex

    def _find(self, framework_id: str, task_id: str) -> ExecutorRecord | None:
        for ex in self._executors.values():
            if ex.framework_id == framework_id and task_id in ex.tasks:
                return ex
        return None

    def _agent_json(self) -> dict:
        info = self.agent_info
        port = int(self.endpoint.rsplit(":", 1)[1]) if self.endpoint else info.port
        return {"hostname": info.hostname, "port": port, "resources": info.resources,
                "attributes": info.attributes, "id": {"value": info.agent_id}}

    def _grace(self, ex: ExecutorRecord) -> float:
        return nanoseconds_to_seconds(ex.info.get("shutdown_grace_period"), DEFAULT_SHUTDOWN_GRACE)

    def _arm(self, ex: ExecutorRecord, name: str, delay: float, fn: Callable, *args: Any) -> None:
        self._cancel(ex, name)
        ex.timers[name] = self._loop.call_later(delay, fn, *args)

    @staticmethod
    def _cancel(ex: ExecutorRecord, name: str) -> None:
        timer = ex.timers.pop(name, None)
        if timer is not None:
            timer.cancel()
