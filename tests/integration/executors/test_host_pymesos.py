"""pymesos's executor driver, in this process, against ExecutorHost over loopback HTTP."""
from __future__ import annotations

import base64
import os
import threading
import uuid as uuidlib
from unittest import mock

import pytest

from executors.driver import _import_pymesos, load_driver_class
from executor_harness import FRAMEWORK, wait_for

pytestmark = pytest.mark.timeout(60)

EXECUTOR = {"executor_id": {"value": "ex-1"}, "type": "CUSTOM", "command": {"value": "unused"},
            "shutdown_grace_period": {"nanoseconds": 300_000_000}}


def task(task_id: str) -> dict:
    return {"task_id": {"value": task_id}, "name": task_id, "agent_id": {"value": "agent-1"},
            "executor": EXECUTOR, "resources": []}


class RecordingExecutor:
    """pymesos Executor callbacks, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.registered_event = threading.Event()

    def registered(self, driver, executor_info, framework_info, agent_info):
        self.calls.append(("registered", executor_info, framework_info, agent_info))
        self.registered_event.set()

    def reregistered(self, driver, agent_info):
        self.calls.append(("reregistered", agent_info))

    def disconnected(self, driver):
        self.calls.append(("disconnected",))

    def launchTask(self, driver, task_info):
        self.calls.append(("launch", task_info["task_id"]["value"]))

    def launchTaskGroup(self, driver, task_infos):
        self.calls.append(("launch_group", [t["task_id"]["value"] for t in task_infos]))

    def killTask(self, driver, task_id):
        self.calls.append(("kill", task_id["value"]))

    def frameworkMessage(self, driver, data):
        self.calls.append(("message", data))

    def shutdown(self, driver):
        self.calls.append(("shutdown",))

    def error(self, driver, message):
        self.calls.append(("error", message))

    def named(self, name: str) -> list[tuple]:
        return [c for c in list(self.calls) if c[0] == name]


def start_driver(spec, executor, reliable: bool = False):
    pymesos = _import_pymesos()
    cls = load_driver_class() if reliable else pymesos.MesosExecutorDriver
    acked: list[str] = []

    class Driver(cls):
        def on_acknowledged(self, event):
            acked.append(event["uuid"])
            super().on_acknowledged(event)

    with mock.patch.dict(os.environ, dict(spec.env, MESOS_LOCAL="1"), clear=True):
        driver = Driver(executor)
    driver.acked = acked
    driver.start()
    return driver


def status(task_id: str, state: str) -> dict:
    return {"task_id": {"value": task_id}, "state": state}


@pytest.fixture
def subscribed(harness_factory, fake_launcher, no_interrupt):
    h = harness_factory(fake_launcher)
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [task("t1")], False)
    wait_for(lambda: fake_launcher.specs, what="executor launch")
    executor = RecordingExecutor()
    driver = start_driver(fake_launcher.specs[0], executor)
    wait_for(lambda: executor.named("launch"), what="LAUNCH")
    yield h, fake_launcher, executor, driver
    driver.stop()
    driver.join()


def test_environment_names_the_agent_and_sandbox(harness_factory, fake_launcher):
    h = harness_factory(fake_launcher)
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [task("t1")], False)
    spec = wait_for(lambda: fake_launcher.specs, what="launch")[0]
    env = spec.env
    assert env["MESOS_AGENT_ENDPOINT"] == f"127.0.0.1:{h.port}"
    assert env["MESOS_SLAVE_PID"] == f"slave(1)@127.0.0.1:{h.port}"
    assert (env["MESOS_FRAMEWORK_ID"], env["MESOS_EXECUTOR_ID"], env["MESOS_SLAVE_ID"]) == ("fw-1", "ex-1", "agent-1")
    assert env["MESOS_DIRECTORY"] == env["MESOS_SANDBOX"] == str(spec.cwd)
    assert spec.cwd.is_dir() and spec.stdout == spec.cwd / "stdout"
    assert (env["MESOS_CHECKPOINT"], env["MESOS_HTTP_COMMAND_EXECUTOR"], env["LIBPROCESS_PORT"]) == ("1", "0", "0")
    assert env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] == "0.3secs"
    assert "MESOS_RECOVERY_TIMEOUT" in env and "MESOS_SUBSCRIPTION_BACKOFF_MAX" in env
    assert spec.argv == ["sh", "-c", "unused"]


def test_subscribe_launch_update_acknowledged(subscribed):
    h, _, executor, driver = subscribed
    _, executor_info, framework_info, agent_info = executor.named("registered")[0]
    assert executor_info["executor_id"] == {"value": "ex-1"}
    assert framework_info["id"] == {"value": "fw-1"}
    assert agent_info["id"] == {"value": "agent-1"} and agent_info["port"] == h.port
    assert agent_info["hostname"] == "127.0.0.1" and agent_info["resources"][0]["name"] == "cpus"
    assert executor.named("launch") == [("launch", "t1")]

    driver.sendStatusUpdate(status("t1", "TASK_RUNNING"))
    taken = h.wait_state("t1", "TASK_RUNNING")
    assert taken["agent_id"] == {"value": "agent-1"} and taken["executor_id"] == {"value": "ex-1"}
    assert taken["source"] == "SOURCE_EXECUTOR"
    wait_for(lambda: taken["uuid"] in driver.acked, what="ACKNOWLEDGED")


def test_launch_to_subscribed_executor_kill_and_messages(subscribed):
    h, _, executor, driver = subscribed
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [task("t2")], False)
    wait_for(lambda: ("launch", "t2") in executor.calls, what="second LAUNCH")

    assert h.call(h.host.kill_task, "fw-1", "t2", {"grace_period": {"nanoseconds": 1}})
    wait_for(lambda: executor.named("kill"), what="KILL")
    assert executor.named("kill") == [("kill", "t2")]
    assert not h.call(h.host.kill_task, "fw-1", "nope", None)

    assert h.call(h.host.framework_message, "fw-1", "ex-1", b"to-executor")
    wait_for(lambda: executor.named("message"), what="MESSAGE event")
    assert base64.b64decode(executor.named("message")[0][1]) == b"to-executor"

    driver.sendFrameworkMessage(base64.b64encode(b"to-scheduler").decode())
    wait_for(lambda: h.master.messages, what="executor_message")
    assert h.master.messages == [("agent-1", "fw-1", "ex-1", b"to-scheduler")]


def test_shutdown_then_grace_kill_fails_open_tasks(subscribed):
    h, launcher, executor, _ = subscribed
    assert h.call(h.host.shutdown_executor, "fw-1", "ex-1")
    wait_for(lambda: executor.named("shutdown"), what="SHUTDOWN")
    wait_for(lambda: h.master.exited, what="executor_exited after the grace period")
    assert launcher.runs[0].signals[-1] == 9
    lost = h.wait_state("t1", "TASK_LOST")
    assert lost["reason"] == "REASON_EXECUTOR_TERMINATED" and lost["source"] == "SOURCE_AGENT"
    assert h.master.exited == [("agent-1", "fw-1", "ex-1", 9)]   # raw wait status: SIGKILL
    assert h.call(h.host.state, "fw-1", "ex-1") is None


def test_executor_death_fails_its_tasks(subscribed):
    h, launcher, _, driver = subscribed
    driver.sendStatusUpdate(status("t1", "TASK_RUNNING"))
    h.wait_state("t1", "TASK_RUNNING")
    h.loop.call_soon_threadsafe(launcher.runs[0].exit, 3)
    lost = h.wait_state("t1", "TASK_LOST")
    assert lost["reason"] == "REASON_EXECUTOR_TERMINATED"
    assert h.master.exited == [("agent-1", "fw-1", "ex-1", 3 << 8)]   # raw wait status: exit 3


def test_registration_timeout_kills_and_fails_tasks(harness_factory, fake_launcher):
    h = harness_factory(fake_launcher, registration_timeout=0.2)
    partition_aware = dict(FRAMEWORK, capabilities=[{"type": "PARTITION_AWARE"}])
    h.call(h.host.launch, partition_aware, EXECUTOR, [task("t1"), task("t2")], False)
    gone = h.wait_state("t1", "TASK_GONE")
    assert gone["reason"] == "REASON_EXECUTOR_REGISTRATION_TIMEOUT"
    assert h.wait_state("t2", "TASK_GONE")["reason"] == "REASON_EXECUTOR_REGISTRATION_TIMEOUT"
    assert fake_launcher.runs[0].signals[0] == 9
    wait_for(lambda: h.master.exited, what="executor_exited")


def test_reconnect_resends_unacknowledged_updates_once(harness_factory, fake_launcher, no_interrupt):
    h = harness_factory(fake_launcher)
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [task("t1")], False)
    spec = wait_for(lambda: fake_launcher.specs, what="launch")[0]
    executor = RecordingExecutor()
    driver = start_driver(spec, executor, reliable=True)
    try:
        wait_for(lambda: executor.named("launch"), what="LAUNCH")
        driver.sendStatusUpdate(status("t1", "TASK_RUNNING"))
        wait_for(lambda: driver.unacknowledged() == 0, what="first ACK")
        taken = h.wait_state("t1", "TASK_RUNNING")

        h.wait(h.http.stop())                            # the agent goes away
        wait_for(lambda: executor.named("disconnected"), what="disconnect")
        driver.sendStatusUpdate(status("t1", "TASK_FINISHED"))      # cannot be sent now: kept
        key = uuidlib.UUID(bytes=base64.b64decode(taken["uuid"]))
        with driver._lock:                                # an already-taken update re-sent as well
            driver.updates[key] = {"status": dict(taken, agent_id=None)}
        assert driver.unacknowledged() == 2
        assert h.states("t1") == ["TASK_RUNNING"]

        h.wait(h.http.start("127.0.0.1", h.port))        # the agent is back on the same port
        finished = h.wait_state("t1", "TASK_FINISHED", timeout=20)
        wait_for(lambda: driver.unacknowledged() == 0, what="ACKs after re-subscription")
        assert h.states("t1") == ["TASK_RUNNING", "TASK_FINISHED"]     # the duplicate was not forwarded
        assert finished["uuid"] in driver.acked and executor.named("reregistered")
        assert executor.named("launch") == [("launch", "t1")]        # not re-launched
    finally:
        driver.stop()
        driver.join()
