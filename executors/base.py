"""What the bundled executors share: running CommandInfo tasks as process groups, status updates, kills with
a kill policy, health checks and the executor's own shutdown.

`ExecutorBase` implements pymesos's `Executor` callbacks; pymesos calls them on its IO thread, so they only
start or signal processes. Each task has a waiter thread (its exit is reported from there) and, with a
`health_check`, a `HealthChecker` thread. Updates follow Mesos's command executor: TASK_STARTING and
TASK_RUNNING at launch; TASK_RUNNING with `healthy` and REASON_TASK_HEALTH_CHECK_STATUS_UPDATED for health
results; TASK_KILLING (when the framework has TASK_KILLING_STATE) then SIGTERM to the task's process group,
SIGKILL after the grace period (the KILL's kill_policy, else the task's, else 3 s); then TASK_KILLED, or
TASK_FINISHED / TASK_FAILED by exit status, with `healthy: false` if the last check failed. When no task is
left the executor waits (up to `FINISH_ACK_TIMEOUT`) for its updates to be acknowledged and stops.
Each task leads a process group of its own inside the executor's session, so the agent can kill what an
executor leaves behind. Subclasses decide where a task runs (`task_directory`) and what a task's end means
(`task_ended`).
"""
from __future__ import annotations

import logging
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from executors.driver import load_driver_class
from executors.health import HealthChecker, HealthCheckError, HealthCheckSpec, Verdict
from mesosframe.local.agents.launchers import command_argv

log = logging.getLogger("executors")

__all__ = ["ExecutorBase", "RunningTask", "run_executor", "DEFAULT_KILL_GRACE", "FINISH_ACK_TIMEOUT"]

DEFAULT_KILL_GRACE = 3.0
REQUIRED_ENVIRONMENT = ("MESOS_AGENT_ENDPOINT", "MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID")
FINISH_ACK_TIMEOUT = 5.0


class RunningTask:
    """A launched task: its TaskInfo, process and kill/health state."""

    def __init__(self, task: dict, directory: pathlib.Path) -> None:
        self.task = task
        self.task_id: str = task["task_id"]["value"]
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.checker: HealthChecker | None = None
        self.killing = False
        self.unhealthy = False
        self.kill_timer: threading.Timer | None = None

    def signal(self, signum: int) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signum)
            except (ProcessLookupError, PermissionError):
                pass


def _grace(policy: dict | None) -> float | None:
    if policy and "grace_period" in policy:
        return max(0.0, int(policy["grace_period"].get("nanoseconds", 0)) / 1e9)
    return None


def exit_message(code: int) -> str:
    if code < 0:
        return f"Command terminated with signal {signal.strsignal(-code) or -code}"
    return f"Command exited with status {code}"


class ExecutorBase:
    """pymesos Executor callbacks running CommandInfo tasks (see the module docstring)."""

    def __init__(self) -> None:
        self.driver: Any = None
        self.framework_info: dict = {}
        self.executor_info: dict = {}
        self.sandbox = pathlib.Path(os.environ.get("MESOS_SANDBOX") or os.getcwd())
        self.tasks: dict[str, RunningTask] = {}
        self.lock = threading.RLock()
        self.launched_any = False
        self.shutting_down = False

    # hooks for subclasses --------------------------------------------------------------------------

    def task_directory(self, task: dict) -> pathlib.Path:
        """Where the task runs (its MESOS_SANDBOX); the executor's sandbox by default."""
        return self.sandbox

    def task_output(self, task: RunningTask) -> tuple[Any, Any]:
        """(stdout, stderr) files opened for the task's process (closed here after the spawn); None inherits
        the executor's own sandbox files."""
        return None, None

    def task_ended(self, task: RunningTask, state: str) -> None:
        """Called after a task's terminal update was sent (no lock held)."""

    # pymesos callbacks -----------------------------------------------------------------------------

    def registered(self, driver: Any, executor_info: dict, framework_info: dict, agent_info: dict) -> None:
        self.driver, self.executor_info, self.framework_info = driver, executor_info, framework_info
        log.info("registered executor=%s agent=%s", executor_info["executor_id"]["value"], agent_info.get("id"))

    def reregistered(self, driver: Any, agent_info: dict) -> None:
        log.info("reregistered agent=%s", agent_info.get("id"))

    def disconnected(self, driver: Any) -> None:
        log.warning("disconnected from the agent")

    def launchTask(self, driver: Any, task: dict) -> None:
        self.start_task(task)

    def launchTaskGroup(self, driver: Any, tasks: list[dict]) -> None:
        for task in tasks:
            self.start_task(task)

    def killTask(self, driver: Any, task_id: dict) -> None:
        self.kill(task_id["value"], None)

    def killTaskWithPolicy(self, driver: Any, task_id: dict, kill_policy: dict | None) -> None:
        self.kill(task_id["value"], kill_policy)

    def frameworkMessage(self, driver: Any, data: str) -> None:
        log.info("framework_message bytes=%d", len(data))

    def shutdown(self, driver: Any) -> None:
        """Kill every task within the executor's shutdown grace period and wait for them."""
        grace = max(0.0, getattr(driver, "grace_shutdown_period", 5.0) - 1.0)
        with self.lock:
            self.shutting_down = True
            running = list(self.tasks.values())
        for task in running:
            self.kill(task.task_id, {"grace_period": {"nanoseconds": int(min(grace, self._grace_of(task, None))
                                                                          * 1e9)}})
        deadline = time.monotonic() + grace + 0.5
        for task in running:
            if task.process is not None:
                try:
                    task.process.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    task.signal(signal.SIGKILL)

    def error(self, driver: Any, message: str) -> None:
        log.error("executor_error message=%s", message)

    # task machinery --------------------------------------------------------------------------------

    def send(self, task_id: str, state: str, **fields: Any) -> None:
        status = {"task_id": {"value": task_id}, "state": state, "source": "SOURCE_EXECUTOR"}
        status.update({k: v for k, v in fields.items() if v is not None})
        self.driver.sendStatusUpdate(status)

    def start_task(self, task: dict) -> RunningTask | None:
        """Spawn the task's command in its directory and report STARTING and RUNNING (or FAILED)."""
        directory = self.task_directory(task)
        record = RunningTask(task, directory)
        with self.lock:
            self.tasks[record.task_id] = record
            self.launched_any = True
        try:
            spec = HealthCheckSpec.from_json(task["health_check"]) if task.get("health_check") else None
            command = task.get("command") or {}
            if not command.get("value"):
                raise ValueError("the task has no command value")
            executable, argv = command_argv(command)
            env = self.task_environment(task, directory)
            directory.mkdir(parents=True, exist_ok=True)
            stdout, stderr = self.task_output(record)
            try:
                record.process = subprocess.Popen(argv, executable=executable, env=env, cwd=directory,
                                                  stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                                  process_group=0)
            finally:
                for stream in (stdout, stderr):
                    if stream is not None:
                        stream.close()
        except (OSError, ValueError, HealthCheckError) as exc:
            with self.lock:
                self.tasks.pop(record.task_id, None)
            self.send(record.task_id, "TASK_FAILED", message=f"Failed to launch task: {exc}",
                      reason="REASON_TASK_INVALID" if isinstance(exc, HealthCheckError) else None)
            self.task_ended(record, "TASK_FAILED")
            self._maybe_finish()
            return None
        self.send(record.task_id, "TASK_STARTING")
        self.send(record.task_id, "TASK_RUNNING")
        if spec is not None:
            record.checker = HealthChecker(spec, lambda verdict: self._health(record, verdict),
                                           started_at=time.monotonic(), clock=time.monotonic,
                                           env=env, cwd=str(directory))
            record.checker.start()
        threading.Thread(target=self._wait, args=(record,), name=f"task-{record.task_id}", daemon=True).start()
        return record

    def task_environment(self, task: dict, directory: pathlib.Path) -> dict[str, str]:
        env = dict(os.environ)
        env["MESOS_SANDBOX"] = str(directory)
        env["MESOS_TASK_ID"] = task["task_id"]["value"]
        for variable in task.get("command", {}).get("environment", {}).get("variables", ()):
            if variable.get("type", "VALUE") == "VALUE":
                env[variable["name"]] = variable.get("value", "")
        return env

    def kill(self, task_id: str, kill_policy: dict | None) -> None:
        """TASK_KILLING if wanted, SIGTERM to the task's group now, SIGKILL after the grace period."""
        with self.lock:
            record = self.tasks.get(task_id)
            if record is None or record.killing:
                return
            record.killing = True
        if record.checker is not None:
            record.checker.stop()
        if any(c.get("type") == "TASK_KILLING_STATE" for c in self.framework_info.get("capabilities", ())):
            self.send(task_id, "TASK_KILLING")
        grace = self._grace_of(record, kill_policy)
        log.info("task_kill task=%s grace=%s", task_id, grace)
        record.signal(signal.SIGTERM)
        record.kill_timer = threading.Timer(grace, record.signal, (signal.SIGKILL,))
        record.kill_timer.daemon = True
        record.kill_timer.start()

    def force_kill(self) -> None:
        """SIGKILL every task at once (the shutdown grace period expired)."""
        with self.lock:
            running = list(self.tasks.values())
        for record in running:
            record.signal(signal.SIGKILL)

    def _grace_of(self, record: RunningTask, kill_policy: dict | None) -> float:
        grace = _grace(kill_policy)
        if grace is None:
            grace = _grace(record.task.get("kill_policy"))
        return DEFAULT_KILL_GRACE if grace is None else grace

    def _health(self, record: RunningTask, verdict: Verdict) -> None:
        with self.lock:
            if record.killing or self.tasks.get(record.task_id) is not record:
                return
            record.unhealthy = not verdict.healthy
        self.send(record.task_id, "TASK_RUNNING", healthy=verdict.healthy,
                  reason="REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
                  message=None if verdict.healthy else "Health check failed")
        if verdict.kill:
            log.warning("health_check_kill task=%s", record.task_id)
            self.kill(record.task_id, None)

    def _wait(self, record: RunningTask) -> None:
        assert record.process is not None
        code = record.process.wait()
        record.signal(signal.SIGKILL)            # leftovers in the task's process group
        if record.checker is not None:
            record.checker.stop()
        if record.kill_timer is not None:
            record.kill_timer.cancel()
        with self.lock:
            self.tasks.pop(record.task_id, None)
            state = "TASK_KILLED" if record.killing else "TASK_FINISHED" if code == 0 else "TASK_FAILED"
        self.send(record.task_id, state, message=exit_message(code), healthy=False if record.unhealthy else None)
        self.task_ended(record, state)
        self._maybe_finish()

    def _maybe_finish(self) -> None:
        with self.lock:
            if self.tasks or not self.launched_any:
                return
        threading.Thread(target=self._finish, name="finish", daemon=True).start()

    def _finish(self) -> None:
        deadline = time.monotonic() + FINISH_ACK_TIMEOUT
        while self.driver.unacknowledged() and time.monotonic() < deadline:
            time.sleep(0.05)
        with self.lock:
            if self.tasks:                        # a new task arrived meanwhile
                return
        log.info("all tasks ended; stopping")
        self.driver.stop()


def run_executor(executor: ExecutorBase) -> int:
    """Connect to the agent named by the environment and serve until stopped; the process exit code."""
    logging.basicConfig(level=os.environ.get("MESOS_EXECUTOR_LOG_LEVEL", "INFO"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    missing = [name for name in REQUIRED_ENVIRONMENT if not os.environ.get(name)]
    if missing:
        log.error("not started by a Mesos agent: %s not set", ", ".join(missing))
        return 2
    driver = load_driver_class()(executor)
    executor.driver = driver
    driver.start()
    driver.join()
    return 0
