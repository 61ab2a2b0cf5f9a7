"""The multi-node topology fixture: ZooKeeper, two HA masters, three agents (rack r1/r2/r3, zone a/a/b)
and, when they exist in the tree, two longrun and two cron schedulers, each in its own network namespace.

Root only (network namespaces); elsewhere the tests that use it are skipped with the reason. One topology
is shared by the module that asks for it; it is torn down afterwards even when a test fails."""
from __future__ import annotations

import pytest

from mesosframe.testing.netns import netns_unavailable_reason
from mesosframe.testing.zookeeper import zookeeper_available


def topology_unavailable_reason() -> str | None:
    reason = netns_unavailable_reason()
    if reason is None and not zookeeper_available():
        reason = "ZooKeeper (Debian's zookeeper package and java) is not installed"
    return reason


@pytest.fixture(scope="module")
def topology(request, tmp_path_factory):
    """A started `Topology`; the module may set `TOPOLOGY_SPEC` to change what runs."""
    reason = topology_unavailable_reason()
    if reason:
        pytest.skip(f"multi-node topology unavailable: {reason}")
    from mesosframe.testing.topology import Topology, TopologySpec, sweep_stale_topologies
    sweep_stale_topologies()     # not NetworkLab.sweep(): that would also remove labs of concurrent runs
    spec = getattr(request.module, "TOPOLOGY_SPEC", None) or TopologySpec()
    log_dir = tmp_path_factory.mktemp("topology")
    top = Topology(spec, log_dir=str(log_dir))
    try:
        top.start()
    except Exception:
        _dump_logs(log_dir)
        raise
    try:
        yield top
    finally:
        if getattr(request.module, "_topology_failed", False):
            _dump_logs(log_dir)
        top.close()


def _dump_logs(log_dir) -> None:
    for path in sorted(log_dir.glob("*.log")):
        tail = path.read_text(errors="replace").splitlines()[-25:]
        print(f"----- {path.name} (last {len(tail)} lines)\n" + "\n".join(tail))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark the module of a failed test, so the topology fixture prints its nodes' logs."""
    outcome = yield
    if outcome.get_result().failed:
        item.module._topology_failed = True
