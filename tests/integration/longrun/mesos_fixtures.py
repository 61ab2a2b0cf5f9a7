"""Fixtures for the Mesos tests (imported by them): a LocalCluster of simulated agents and an in-process longrun scheduler on it."""
from __future__ import annotations

import time
from typing import Callable

import httpx
import pytest

from mesosframe.local.cluster import LocalCluster
from schedulers.longrun.server import LongrunServer


def wait_for(predicate: Callable[[], object], timeout: float = 20.0, poll: float = 0.05, what: str = "condition"):
    """Poll until `predicate()` is truthy (returned); AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_scheduler(cluster: LocalCluster, **options) -> LongrunServer:
    server = LongrunServer(cluster.master_address, http_port=0, tick_interval=0.1, health_period=0.2,
                           **options).start()
    wait_for(lambda: server.service.leading and server.framework.framework_id, what="the scheduler to lead")
    return server


def wait_deployed(client: httpx.Client, timeout: float = 20.0) -> None:
    wait_for(lambda: client.get("/v2/deployments").json() == [], timeout, what="deployments to finish")


@pytest.fixture
def sim_cluster(request):
    """3 simulated agents (override with `@pytest.mark.parametrize("sim_cluster", [options], indirect=True)`)."""
    options = dict(agents=0, simulated_agents=3)
    options.update(getattr(request, "param", {}) or {})
    with LocalCluster(**options) as cluster:
        yield cluster


@pytest.fixture
def scheduler(sim_cluster):
    server = start_scheduler(sim_cluster)
    yield server
    server.stop(failover=False)


@pytest.fixture
def api(scheduler):
    with httpx.Client(base_url=scheduler.url, timeout=10) as http:
        yield http
