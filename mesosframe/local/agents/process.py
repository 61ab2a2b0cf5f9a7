"""ProcessAgent: runs command tasks as real processes in per-task sandboxes, like a Mesos agent with the
command executor and the posix launcher.

Per task: sandbox (see `sandbox.py`), fetch URIs (failure -> TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED),
spawn the command in its own process group, then TASK_STARTING and TASK_RUNNING, and on exit TASK_FINISHED
(status 0) or TASK_FAILED ("Command exited with status N" / "Command terminated with signal X"). When the
main process exits, whatever is left in its process group is SIGKILLed, as Mesos destroys the container.
Updates carry `source: SOURCE_EXECUTOR`, `executor_id` = task id and `container_status`; failures before
the command starts come from the agent (`SOURCE_AGENT`) without TASK_STARTING.

Kill: TASK_KILLING first if the framework has TASK_KILLING_STATE, SIGTERM to the process group, SIGKILL
after the grace period (the kill call's kill_policy, else the task's, else 3 s), then TASK_KILLED. A second
kill while the first is in progress is ignored (no grace escalation yet).

`user`: CommandInfo.user (else FrameworkInfo.user) is applied only when the agent runs as root; otherwise
tasks run as the agent's user. A `launcher` argument replaces the CommandLauncher (see `launchers.py`).

Health checks (`TaskInfo.health_check`) are run by the agent itself for every task it runs directly, image
tasks included (see `checks.py`): TASK_RUNNING with `healthy` and REASON_TASK_HEALTH_CHECK_STATUS_UPDATED,
the kill above after `consecutive_failures`, `healthy: false` on the end of a task whose last check failed.

Custom executors (`TaskInfo.executor`) and LAUNCH_GROUP go to an `ExecutorHost` (`mesosframe.local.executors`,
the v1 executor API at `POST /api/v1/executor`), served on 127.0.0.1 at a free port that `start()` puts in
`AgentInfo.port`; their updates enter through `take_status`. With `executor_api=False` they fail with
REASON_EXECUTOR_UNREGISTERED. Executors run on the host, or, when the ExecutorInfo has a container image and
the agent has a usable container runtime, inside that image (`ContainerExecutorLauncher`, see
`mesosframe.local.executors.container`); without one their tasks fail with REASON_CONTAINER_LAUNCH_FAILED and
the runtime's refusal. Tasks of executors that carry an image of their own (nested containers) fail too.

Tasks with a container image go to the `ContainerLauncher` (`containerized.py`): with `containers=
ContainerOptions(image_store=...)` and a usable runtime they run in containers; otherwise they fail with
REASON_CONTAINER_LAUNCH_FAILED saying why (`container_probe` has the runtime probe's result). A memory-limit
kill is TASK_FAILED with the limitation's reason. `stop()`/`crash()` destroy every container at once
(blocking: runc state, cgroups and rootfs mounts are gone when they return). `await wait_stopped()` after
`stop()` finishes the remaining async teardown and closes the executor API's server.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import pathlib
import pwd
import signal
import uuid as uuidlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from executors.health import HealthCheckSpec, Verdict
from mesosframe.core.clock import Clock
from mesosframe.local.agents.base import AgentTask, BaseAgent, has_capability, value_of
from mesosframe.local.agents.checks import HEALTH_REASON, HealthWatch, health_check_spec
from mesosframe.local.agents.containerized import ContainerLauncher, ContainerOptions, has_image
from mesosframe.local.agents.launchers import (
    CommandLauncher, LaunchRejected, LaunchSpec, TaskLauncher, TaskRun,
)
from mesosframe.local.agents.sandbox import FetchError, fetch_uris, make_sandbox, sandbox_path, task_environment
from mesosframe.local.containers import ProbeResult
from mesosframe.local.protocol import AgentInfo, MasterPort

log = logging.getLogger("mesosframe.local.agents.process")

__all__ = ["ProcessAgent", "DEFAULT_KILL_GRACE"]

DEFAULT_KILL_GRACE = 3.0


class _ProcessTask(AgentTask):
    __slots__ = ("container_id", "sandbox", "run", "executor_pid", "runner", "kill_timer", "kill_policy",
                 "health_spec", "health", "unhealthy")

    def __init__(self, framework_id: str, task_id: str, task: dict, container_id: str,
                 sandbox: pathlib.Path) -> None:
        super().__init__(framework_id, task_id, task)
        self.container_id = container_id
        self.sandbox = sandbox
        self.run: TaskRun | None = None           # set while the task runs
        self.executor_pid: int | None = None      # its main pid, kept for `container_status` after it exits
        self.runner: asyncio.Task | None = None
        self.kill_timer: Any = None
        self.kill_policy: dict | None = None
        self.health_spec: HealthCheckSpec | None = None
        self.health: HealthWatch | None = None    # while its health checks run
        self.unhealthy = False                    # the last reported check failed


class ProcessAgent(BaseAgent):
    """An agent that runs CommandInfo tasks as local processes (see the module docstring)."""

    executor_host_wired = True   # custom executors and LAUNCH_GROUP go to the ExecutorHost (executor_api=True)

    __slots__ = ("_work_dir", "_launcher", "_containers", "_base_env", "_teardowns", "executors", "_executor_http",
                 "_probe_pool")

    def __init__(self, master: MasterPort, info: AgentInfo, *, loop: Any, clock: Clock,
                 work_dir: pathlib.Path, heartbeat_interval: float = 5.0,
                 status_update_retry: tuple[float, float] = (10.0, 600.0),
                 launcher: TaskLauncher | None = None, containers: ContainerOptions | None = None,
                 executor_api: bool = True) -> None:
        super().__init__(master, info, loop=loop, clock=clock, heartbeat_interval=heartbeat_interval,
                         status_update_retry=status_update_retry)
        self._work_dir = pathlib.Path(work_dir)
        self._launcher = launcher or CommandLauncher()
        self._containers = ContainerLauncher(containers, self._work_dir / "containers")
        self._base_env = dict(os.environ)
        self._teardowns: set[asyncio.Task] = set()
        self._probe_pool: ThreadPoolExecutor | None = None   # health check probes; made on first use
        self.executors: Any = None   # ExecutorHost when the executor API is on
        self._executor_http: Any = None
        if executor_api:
            # imported here: mesosframe.local.executors imports this package's modules
            from mesosframe.local.executors import ContainerExecutorLauncher, ExecutorHost, ExecutorHttp
            images = self._containers
            image_launcher = (ContainerExecutorLauncher(images.runtime, images.store, images.bundle_root)
                              if images.usable else None)
            self.executors = ExecutorHost(info, master, self.take_status, loop=loop, clock=clock,
                                          work_dir=self._work_dir, image_launcher=image_launcher)
            self._executor_http = ExecutorHttp(self.executors)

    def start(self) -> None:
        """Register and beat (see BaseAgent.start). The first start opens the executor API's port (on the
        running loop, or by running the loop until it listens) and puts it in `info.port`. Logs whether
        image tasks can run here."""
        if self._executor_http is not None and not self.executors.endpoint:
            if self._loop.is_running():
                self.info.port = self._executor_http.listen("127.0.0.1", 0)
            else:
                self.info.port = self._loop.run_until_complete(self._executor_http.start("127.0.0.1", 0))
            log.info("executor_api agent=%s endpoint=%s", self.info.agent_id, self.executors.endpoint)
        refusal = self._containers.refusal()
        if self._containers.options is None:
            log.info("containers_disabled agent=%s", self.info.agent_id)
        elif refusal is None:
            log.info("containers_enabled agent=%s image_store=%s", self.info.agent_id,
                     self._containers.options.image_store)
        else:
            log.warning("containers_unavailable agent=%s reasons=%s", self.info.agent_id,
                        "; ".join(self._containers.probe.reasons if self._containers.probe else ()))
        super().start()

    @property
    def container_probe(self) -> ProbeResult | None:
        """The container runtime's probe result, or None when the agent runs without container support."""
        return self._containers.probe

    async def wait_stopped(self) -> None:
        """Finish the async teardown of tasks ended by `stop()`/`crash()`/framework shutdown; after `stop()`
        also close the executor API's server (its port stays bound until then)."""
        while self._teardowns:
            await asyncio.gather(*list(self._teardowns), return_exceptions=True)
        if self._executor_http is not None and not self._running:
            await self._executor_http.stop()
            self.executors.endpoint = ""

    @property
    def work_dir(self) -> pathlib.Path:
        return self._work_dir

    def sandbox_of(self, framework_id: str, task_id: str) -> pathlib.Path | None:
        """The sandbox directory of a task the agent still knows."""
        record = self._tasks.get((framework_id, task_id))
        return record.sandbox if isinstance(record, _ProcessTask) else None

    def container_id_of(self, framework_id: str, task_id: str) -> str | None:
        """The container id of a task the agent still knows (also its runc id when it has an image)."""
        record = self._tasks.get((framework_id, task_id))
        return record.container_id if isinstance(record, _ProcessTask) else None

    def pid_of(self, framework_id: str, task_id: str) -> int | None:
        """The pid of a running task's main process (it leads the task's process group)."""
        record = self._tasks.get((framework_id, task_id))
        return record.run.pid if isinstance(record, _ProcessTask) and record.run else None

    # seam ------------------------------------------------------------------------------------------

    def launch_tasks(self, framework: dict, tasks: list[dict], executor: dict | None = None) -> None:
        framework_id = self._remember_framework(framework)
        if self.executors is not None:
            if executor is not None:
                self._launch_on_executor(framework, framework_id, executor, tasks, group=True)
                return
            for task in [t for t in tasks if "executor" in t]:
                self._launch_on_executor(framework, framework_id, task["executor"], [task], group=False)
            tasks = [t for t in tasks if "executor" not in t]
        for task in tasks:
            task_id = value_of(task["task_id"])
            container_id = str(uuidlib.uuid4())
            sandbox = sandbox_path(self._work_dir, self.info.agent_id, framework_id, task_id, container_id)
            record = _ProcessTask(framework_id, task_id, task, container_id, sandbox)
            self._tasks[(framework_id, task_id)] = record
            try:
                self._launcher_for(task).check(task, executor)
                record.health_spec = health_check_spec(task)
            except LaunchRejected as exc:
                self._report(record, "TASK_FAILED", message=exc.message, reason=exc.reason, source="SOURCE_AGENT")
                continue
            record.runner = self._loop.create_task(self._run(record, framework))

    def _launch_on_executor(self, framework: dict, framework_id: str, executor: dict, tasks: list[dict],
                            group: bool) -> None:
        records = []
        for task in tasks:
            task_id = value_of(task["task_id"])
            records.append(self._tasks.setdefault((framework_id, task_id), AgentTask(framework_id, task_id, task)))
        refusal = self._containers.executor_refusal(executor, tasks)
        if refusal is not None:
            for record in records:
                self._report(record, "TASK_FAILED", source="SOURCE_AGENT", reason="REASON_CONTAINER_LAUNCH_FAILED",
                             message=refusal)
            return
        self.executors.launch(framework, executor, tasks, group=group)

    def _launcher_for(self, task: dict) -> TaskLauncher:
        return self._containers if has_image(task) else self._launcher

    def kill_task(self, framework_id: str, task_id: str, kill_policy: dict | None = None) -> None:
        if self.executors is not None and self.executors.kill_task(framework_id, task_id, kill_policy):
            return
        record = self._tasks.get((framework_id, task_id))
        if not isinstance(record, _ProcessTask) or record.terminal or record.killing:
            return
        record.killing = True
        record.kill_policy = kill_policy
        if record.run is not None:
            self._signal_kill(record)
        # else: still fetching or spawning; `_run_task` sees `killing` and finishes the kill

    def framework_message(self, framework_id: str, executor_id: str, data: bytes) -> None:
        if self.executors is None or not self.executors.framework_message(framework_id, executor_id, data):
            super().framework_message(framework_id, executor_id, data)

    def shutdown_executor(self, framework_id: str, executor_id: str) -> None:
        if self.executors is None or not self.executors.shutdown_executor(framework_id, executor_id):
            super().shutdown_executor(framework_id, executor_id)

    def shutdown_framework(self, framework_id: str) -> None:
        if self.executors is not None:
            self.executors.shutdown_framework(framework_id)
        super().shutdown_framework(framework_id)

    def _halt(self) -> None:
        if self.executors is not None:
            self.executors.stop()
        super()._halt()
        self._containers.release()
        if self._probe_pool is not None:
            self._probe_pool.shutdown(wait=False, cancel_futures=True)
            self._probe_pool = None

    def _signal_kill(self, record: _ProcessTask) -> None:
        """TASK_KILLING if the framework wants it, SIGTERM to the group now, SIGKILL after the grace."""
        if record.health is not None:
            record.health.stop()
        if has_capability(self._frameworks.get(record.framework_id, {}), "TASK_KILLING_STATE"):
            self._report(record, "TASK_KILLING")
        grace = _grace_seconds(record.kill_policy)
        if grace is None:
            grace = _grace_seconds(record.task.get("kill_policy"))
        if grace is None:
            grace = DEFAULT_KILL_GRACE
        log.info("task_kill agent=%s task=%s grace=%s", self.info.agent_id, record.task_id, grace)
        record.run.signal(signal.SIGTERM)
        record.kill_timer = self._loop.call_later(grace, record.run.signal, signal.SIGKILL)

    # internals -------------------------------------------------------------------------------------

    async def _run(self, record: _ProcessTask, framework: dict) -> None:
        try:
            await self._run_task(record, framework)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must still end the task visibly
            log.exception("task_run_failed agent=%s task=%s", self.info.agent_id, record.task_id)
            if not record.terminal:
                self._report(record, "TASK_FAILED", message=f"Agent error: {exc}", source="SOURCE_AGENT",
                             reason="REASON_EXECUTOR_TERMINATED")

    async def _run_task(self, record: _ProcessTask, framework: dict) -> None:
        task = record.task
        launcher = self._launcher_for(task)
        try:
            make_sandbox(record.sandbox)
            user = launcher.host_user(task, framework)
            uris = task.get("command", {}).get("uris", [])
            if uris:
                await self._loop.run_in_executor(None, fetch_uris, uris, record.sandbox)
            if user is not None:
                _chown_tree(record.sandbox, user)
        except FetchError as exc:
            self._report(record, "TASK_FAILED", source="SOURCE_AGENT", reason="REASON_CONTAINER_LAUNCH_FAILED",
                         message=f"Failed to launch container: Failed to fetch URIs: {exc}")
            return
        except LaunchRejected as exc:
            self._report(record, "TASK_FAILED", message=exc.message, reason=exc.reason, source="SOURCE_AGENT")
            return
        except OSError as exc:
            self._report(record, "TASK_FAILED", source="SOURCE_AGENT", reason="REASON_CONTAINER_LAUNCH_FAILED",
                         message=f"Failed to launch container: cannot prepare the sandbox: {exc}")
            return
        if record.killing:
            self._report(record, "TASK_KILLED", message="Task killed before it was launched", source="SOURCE_AGENT")
            return
        executable, argv = launcher.command(task)
        base_env = {} if launcher is self._containers else self._base_env
        env = task_environment(base=base_env, agent=self.info, framework=framework,
                               framework_id=record.framework_id, task=task, task_id=record.task_id,
                               executor_id=record.task_id, sandbox=record.sandbox)
        spec = LaunchSpec(executable=executable, argv=argv, env=env, cwd=record.sandbox,
                          stdout=record.sandbox / "stdout", stderr=record.sandbox / "stderr", user=user,
                          container_id=record.container_id)
        try:
            run = await launcher.launch(task, spec)
        except LaunchRejected as exc:
            self._report(record, "TASK_FAILED", message=exc.message, reason=exc.reason, source="SOURCE_AGENT")
            return
        except (OSError, ValueError) as exc:
            self._report(record, "TASK_FAILED", source="SOURCE_AGENT", reason="REASON_CONTAINER_LAUNCH_FAILED",
                         message=f"Failed to launch command {executable!r}: {exc}")
            return
        record.run, record.executor_pid = run, run.pid
        self._report(record, "TASK_STARTING")
        self._report(record, "TASK_RUNNING")
        if record.killing:  # the kill arrived while the process was being spawned
            self._signal_kill(record)
        elif record.health_spec is not None:
            self._watch_health(record, {**self._base_env, **env})
        try:
            code = await run.wait()
        finally:
            if record.health is not None:
                record.health.stop()
            await asyncio.shield(run.destroy())  # leftovers of the tree, or everything on cancel
        if record.kill_timer is not None:
            record.kill_timer.cancel()
            record.kill_timer = None
        record.run = None
        if self._tasks.get((record.framework_id, record.task_id)) is not record:
            return  # forgotten meanwhile (framework shutdown)
        message = _exit_message(code)
        extra = {"healthy": False} if record.unhealthy else {}
        limitation = run.limitation()
        if limitation is not None:
            reason, message = limitation
            self._report(record, "TASK_FAILED", message=message, reason=reason, **extra)
        elif record.killing:
            self._report(record, "TASK_KILLED", message=message, **extra)
        else:
            self._report(record, "TASK_FINISHED" if code == 0 else "TASK_FAILED", message=message, **extra)

    def _watch_health(self, record: _ProcessTask, env: dict[str, str]) -> None:
        if self._probe_pool is None:
            self._probe_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health-probe")
        record.health = HealthWatch(record.health_spec, functools.partial(self._health_verdict, record),
                                    loop=self._loop, pool=self._probe_pool, env=env, cwd=record.sandbox,
                                    name=record.task_id)
        record.health.start()

    def _health_verdict(self, record: _ProcessTask, verdict: Verdict) -> None:
        """A reported check result: TASK_RUNNING with `healthy`; the kill when the tracker says so."""
        if record.terminal or record.killing or record.run is None:
            return
        record.unhealthy = not verdict.healthy
        self._report(record, "TASK_RUNNING", reason=HEALTH_REASON, healthy=verdict.healthy,
                     message=None if verdict.healthy else "Health check failed")
        if verdict.kill:
            log.warning("health_check_kill agent=%s task=%s", self.info.agent_id, record.task_id)
            record.killing = True
            self._signal_kill(record)

    def _status_base(self, record: AgentTask) -> dict:
        status = super()._status_base(record)
        if isinstance(record, _ProcessTask):
            status["executor_id"] = {"value": record.task_id}
            container_status: dict[str, Any] = {
                "container_id": {"value": record.container_id},
                "network_infos": [{"ip_addresses": [{"ip_address": "127.0.0.1", "protocol": "IPv4"}]}],
            }
            if record.executor_pid is not None:
                container_status["executor_pid"] = record.executor_pid
            status["container_status"] = container_status
        return status

    def _terminate(self, record: AgentTask) -> None:
        if not isinstance(record, _ProcessTask):
            return
        if record.run is not None:
            record.run.abort()
            teardown = self._loop.create_task(record.run.destroy())
            self._teardowns.add(teardown)
            teardown.add_done_callback(self._teardowns.discard)
        if record.kill_timer is not None:
            record.kill_timer.cancel()
            record.kill_timer = None
        if record.health is not None:
            record.health.stop()
        if record.runner is not None and not record.runner.done():
            record.runner.cancel()


def _grace_seconds(kill_policy: dict | None) -> float | None:
    if not kill_policy or "grace_period" not in kill_policy:
        return None
    return max(0.0, int(kill_policy["grace_period"].get("nanoseconds", 0)) / 1e9)


def _exit_message(code: int) -> str:
    if code < 0:
        name = signal.strsignal(-code) or f"signal {-code}"
        return f"Command terminated with signal {name}"
    return f"Command exited with status {code}"


def _chown_tree(root: pathlib.Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for directory, _, files in os.walk(root):
        os.chown(directory, entry.pw_uid, entry.pw_gid)
        for name in files:
            os.chown(os.path.join(directory, name), entry.pw_uid, entry.pw_gid)
