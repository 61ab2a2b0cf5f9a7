"""ExecutorHost rules that need no executor to connect: kills before delivery, framework shutdown, launches
onto a terminating executor, and launch failures."""
from __future__ import annotations

import pytest

from executor_harness import FRAMEWORK, InProcessLauncher, wait_for
from mesosframe.local.executors import ExecutorLauncher, ExecutorState

pytestmark = pytest.mark.timeout(30)

EXECUTOR = {"executor_id": {"value": "ex-1"}, "command": {"value": "unused"}}


def task(task_id: str) -> dict:
    return {"task_id": {"value": task_id}, "executor": EXECUTOR}


class FailingLauncher(ExecutorLauncher):
    async def launch(self, spec):
        raise OSError("no such file: unused")


def test_kill_before_delivery_kills_the_queued_group(harness_factory, fake_launcher):
    h = harness_factory(fake_launcher)
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [task("a"), task("b")], True)
    assert h.call(h.host.kill_task, "fw-1", "a", None)
    assert h.wait_state("a", "TASK_KILLED")["source"] == "SOURCE_AGENT"
    assert h.wait_state("b", "TASK_KILLED")["message"] == "Killed before delivery to the executor"
    assert not h.call(h.host.owns, "fw-1", "a")


def test_shutdown_framework_reports_nothing(harness_factory, fake_launcher):
    h = harness_factory(fake_launcher)
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [task("a")], False)
    wait_for(lambda: fake_launcher.runs, what="launch")
    h.call(h.host.shutdown_framework, "fw-1")
    wait_for(lambda: h.call(h.host.state, "fw-1", "ex-1") is None, what="executor forgotten")
    assert fake_launcher.runs[0].signals[0] == 9          # not subscribed: killed at once
    assert h.statuses == [] and h.master.exited == []


def test_launch_onto_a_terminating_executor_is_lost(harness_factory):
    launcher = InProcessLauncher()
    h = harness_factory(launcher)
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [task("a")], False)
    wait_for(lambda: launcher.runs, what="launch")
    launcher.runs[0].signal = lambda signum: launcher.runs[0].signals.append(signum)   # ignores signals
    h.call(h.host.shutdown_executor, "fw-1", "ex-1")
    assert h.call(h.host.state, "fw-1", "ex-1") is ExecutorState.TERMINATING
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [task("late")], False)
    assert h.wait_state("late", "TASK_LOST")["message"] == "Executor is terminating"
    h.loop.call_soon_threadsafe(launcher.runs[0].exit, 0)
    assert h.wait_state("a", "TASK_LOST")["reason"] == "REASON_EXECUTOR_TERMINATED"


def test_launch_failure_fails_the_tasks(harness_factory):
    h = harness_factory(FailingLauncher())
    h.call(h.host.launch, FRAMEWORK, EXECUTOR, [task("a")], False)
    failed = h.wait_state("a", "TASK_FAILED")
    assert failed["reason"] == "REASON_CONTAINER_LAUNCH_FAILED" and "no such file" in failed["message"]
    assert h.call(h.host.state, "fw-1", "ex-1") is None and h.master.exited == []
