"""Fixtures for the local agents' integration tests: a real asyncio loop, a RecordingMaster, a ProcessAgent."""
from __future__ import annotations

import asyncio
import time

import pytest

from mesosframe.core.clock import SystemClock
from mesosframe.local.agents import ProcessAgent
from mesosframe.local.agents.recording import RecordingMaster
from mesosframe.local.protocol import AgentInfo


class Harness:
    """Drives a loop owned by the test thread until a condition holds."""

    def __init__(self, loop: asyncio.AbstractEventLoop, master: RecordingMaster, agent: ProcessAgent) -> None:
        self.loop, self.master, self.agent = loop, master, agent

    def run_until(self, condition, timeout: float = 10.0) -> None:
        async def wait() -> None:
            deadline = time.monotonic() + timeout
            while not condition():
                if time.monotonic() > deadline:
                    raise AssertionError(f"condition not met within {timeout}s; updates: "
                                         f"{[(s['task_id']['value'], s['state']) for _, _, s in self.master.updates]}")
                await asyncio.sleep(0.01)
        self.loop.run_until_complete(wait())

    def run_for(self, seconds: float) -> None:
        self.loop.run_until_complete(asyncio.sleep(seconds))

    def until_terminal(self, task_id: str, timeout: float = 10.0) -> dict:
        terminal = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST"}
        self.run_until(lambda: terminal & set(self.master.states(task_id)), timeout)
        return self.master.last(task_id)


@pytest.fixture
def event_loop_for_agents():
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(asyncio.sleep(0.05))   # let cancelled runners finish
    loop.close()


def make_harness(loop, work_dir, *, auto_ack=True, retry=(5.0, 10.0), **agent_options) -> Harness:
    master = RecordingMaster(auto_ack=auto_ack, loop=loop)
    agent = ProcessAgent(master, AgentInfo("S1", "agent-1.local", port=5051), loop=loop, clock=SystemClock(),
                         work_dir=work_dir, heartbeat_interval=60.0, status_update_retry=retry, **agent_options)
    agent.start()
    return Harness(loop, master, agent)


@pytest.fixture
def make_agent_harness(event_loop_for_agents, tmp_path):
    """`make_agent_harness(auto_ack=..., retry=...)` -> a Harness with its own agent; stopped afterwards."""
    made: list[Harness] = []

    def make(**kwargs) -> Harness:
        made.append(make_harness(event_loop_for_agents, tmp_path / f"work-{len(made)}", **kwargs))
        return made[-1]
    yield make
    for harness in made:
        harness.agent.stop()
        harness.loop.run_until_complete(harness.agent.wait_stopped())


@pytest.fixture
def harness(event_loop_for_agents, tmp_path):
    harness = make_harness(event_loop_for_agents, tmp_path / "work")
    yield harness
    harness.agent.stop()
    harness.loop.run_until_complete(harness.agent.wait_stopped())
