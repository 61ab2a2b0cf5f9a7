"""Shared by the container tests: an agent harness, a pymesos driver on a one-agent container cluster, and what
of a container is left behind after it should be gone."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pymesos

from mesosframe.core.clock import SystemClock
from mesosframe.local.agents import ContainerOptions, ProcessAgent
from mesosframe.local.cluster import LocalCluster
from mesosframe.local.agents.recording import RecordingMaster
from mesosframe.local.protocol import AgentInfo
from mesosframe.local.containers.cgroups import cgroup_layout


@contextlib.contextmanager
def container_options(store: Path, tmp_path: Path, name: str, usable: bool) -> Iterator[ContainerOptions]:
    """ContainerOptions on the image `store`, with runc state under `tmp_path` and a cgroup root of this test
    process's own (`mesosframe-<name>-<pid>`), removed afterwards if containers can run here (`usable`, the
    calling module's probe)."""
    options = ContainerOptions(image_store=store, rootfs_cache=store.parent / "rootfs-cache",
                               runc_root=tmp_path / "runc", cgroup_root=f"mesosframe-{name}-{os.getpid()}")
    yield options
    if usable:
        options.runtime().remove_cgroup_root()


@contextlib.contextmanager
def pymesos_driver(scheduler: object, name: str, cluster: LocalCluster) -> Iterator[pymesos.MesosSchedulerDriver]:
    """pymesos's real driver for `scheduler` (implicit acknowledgements) subscribed to `cluster` as framework
    `name`, after checking that its one agent runs containers; stopped and joined when the block ends."""
    agent = cluster.agents[0]
    assert isinstance(agent, ProcessAgent) and agent.container_probe.usable
    driver = pymesos.MesosSchedulerDriver(scheduler, {"user": "root", "name": name}, cluster.master_address,
                                          use_addict=False, implicit_acknowledgements=True)
    driver.start()
    try:
        yield driver
    finally:
        driver.stop()
        driver.join()


def leftovers(options: ContainerOptions, container_id: str) -> list[str]:
    """Whatever of the container is still there: runc state, cgroups, mounts, its bundle's rootfs."""
    found = []
    listing = subprocess.run(options.runtime().runc_command("list", "--format", "json"), capture_output=True,
                             text=True, timeout=10)
    if container_id in [c["id"] for c in json.loads(listing.stdout or "null") or []]:
        found.append("runc state")
    layout = cgroup_layout()
    for mount in set(layout.v1.values()) | ({layout.unified} if layout.unified else set()):
        if (mount / options.cgroup_root / container_id).exists():
            found.append(f"cgroup in {mount}")
    if container_id in Path("/proc/self/mounts").read_text():
        found.append("mount")
    return found


class AgentHarness:
    """A ProcessAgent with container support (and its executor API) and a RecordingMaster, on a loop the test
    drives. `timeout` bounds every wait unless a call gives its own."""

    timeout = 15.0

    def __init__(self, base: Path, options: ContainerOptions | None) -> None:
        self.loop = asyncio.new_event_loop()
        self.master = RecordingMaster(auto_ack=True, loop=self.loop)
        self.options = options
        self.agent = ProcessAgent(self.master, AgentInfo("S1", "agent-1.local", port=5051), loop=self.loop,
                                  clock=SystemClock(), work_dir=base / "work", heartbeat_interval=60.0,
                                  containers=options)
        self.agent.start()

    def run_until(self, condition, timeout: float | None = None) -> None:
        timeout = timeout or self.timeout

        async def wait() -> None:
            deadline = time.monotonic() + timeout
            while not condition():
                if time.monotonic() > deadline:
                    raise AssertionError(f"not met within {timeout}s; updates: "
                                         f"{[(s['task_id']['value'], s['state']) for _, _, s in self.master.updates]}")
                await asyncio.sleep(0.01)
        self.loop.run_until_complete(wait())

    def until_state(self, task_id: str, states: set[str], timeout: float | None = None) -> dict:
        self.run_until(lambda: states & set(self.master.states(task_id)), timeout)
        return self.master.last(task_id)

    def sandbox(self, task_id: str) -> Path:
        container_id = self.container_id(task_id)
        return self.agent.work_dir / "slaves/S1/frameworks/fw-1/executors" / task_id / "runs" / container_id

    def container_id(self, task_id: str) -> str:
        return self.master.last(task_id)["container_status"]["container_id"]["value"]

    def calls(self, name: str) -> list[tuple]:
        return [args for method, args in self.master.calls if method == name]

    def stop(self) -> None:
        self.agent.stop()
        self.loop.run_until_complete(asyncio.wait_for(self.agent.wait_stopped(), 20))
        self.loop.run_until_complete(asyncio.sleep(0.05))   # let cancelled runners finish
        self.loop.close()
