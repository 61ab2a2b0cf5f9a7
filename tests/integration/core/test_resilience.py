"""The core against a real local cluster: ZooKeeper session expiry (no decisions while suspended, same
framework ID after re-election, nothing relaunched), a master restart (resubscribe and reconcile) and a
silent master (the heartbeat watchdog reconnects)."""
from __future__ import annotations

import time

from mesosframe.core.engine import EngineConfig
from mesosframe.core.framework import Framework
from mesosframe.core.leadership import ZooKeeperHA
from mesosframe.core.plugin import Demand, SchedulerPlugin
from mesosframe.driver.pymesos_driver import PyMesosDriver
from mesosframe.local.cluster import LocalCluster
from mesosframe.local.master.state_json import master_state
from mesosframe.state import MemoryStateStore
from mesosframe.tasks import TaskSpec, TaskState
from mesosframe.testing.proxy import FreezableTcpProxy
from mesosframe.testing.zookeeper import expire_session, free_port


class Service(SchedulerPlugin):
    """Keeps `count` long-running tasks (simulated, `duration` seconds or forever)."""
    name = "svc"

    def __init__(self, count: int, duration: float | None = None) -> None:
        self.count, self.duration = count, duration
        self.finished: set[str] = set()

    def demand(self, now):
        labels = {"mesosframe.sim/duration": str(self.duration)} if self.duration else {}
        return [Demand(f"s{i}", TaskSpec(name=f"s{i}", command="serve", cpus=0.1, mem=16, labels=labels))
                for i in range(self.count) if f"s{i}" not in self.finished]

    def on_status(self, task, now):
        if task.state == TaskState.FINISHED.value:
            self.finished.add(task.key)

    def is_done(self):
        return len(self.finished) == self.count


class WatchedDriver(PyMesosDriver):
    """Records every call made while the core was paused (there must be none)."""
    framework: Framework | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.violations: list[str] = []

    def _send(self, body):
        if self.framework is not None and self.framework.engine.paused:
            self.violations.append(body["type"])
        super()._send(body)


class CountingDriver(PyMesosDriver):
    reconnects = 0

    def reconnect(self) -> None:
        self.reconnects += 1
        super().reconnect()


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def running(fw: Framework) -> list[str]:
    return sorted(r.task_id for r in fw.tasks().result(10) if r.state == "RUNNING")


def test_session_expiry_pauses_then_leads_again_with_same_id(zk_url):
    with LocalCluster(agents=0, simulated_agents=1) as cluster:
        ha = ZooKeeperHA(zk_url, "expiry", session_timeout=3.0)
        kinds: list[str] = []

        def election(on_event):
            return ha.election(lambda ev: (kinds.append(ev.kind.name), on_event(ev)))

        driver = WatchedDriver(cluster.master_address)
        fw = Framework("expiry", [Service(2)], driver=driver, store=ha.store, election=election)
        driver.framework = fw
        fw.start()
        try:
            wait_for(lambda: len(running(fw)) == 2, 30, "two running tasks")
            first_id, before = fw.framework_id, running(fw)
            expire_session(ha.client)
            wait_for(lambda: kinds.count("ELECTED") >= 2, 30, "re-election")
            wait_for(lambda: fw.engine.subscribed and not fw.engine.paused, 30, "resubscription")
            wait_for(lambda: running(fw) == before, 30, "the same tasks reconciled as running")
            assert "LOST" in kinds and kinds.index("LOST") < len(kinds) - 1
            assert fw.framework_id == first_id
            assert driver.violations == []
            state = cluster.run(master_state, cluster.master)
            assert [f["id"] for f in state["frameworks"]] == [first_id]
            assert len(state["frameworks"][0]["tasks"]) == 2          # nothing relaunched
        finally:
            fw.stop(failover=False)
            ha.close()


def test_master_restart_resubscribes_and_reconciles():
    port = free_port()
    store = MemoryStateStore()
    config = EngineConfig(replace_unknown_after=1.0, housekeeping_interval=0.5)
    cluster = LocalCluster(agents=0, simulated_agents=1, port=port, heartbeat_interval=0.5).start()
    fw = Framework("restart", [Service(2, duration=2.0)], master=cluster.master_address, store=store,
                   config=config).start()
    try:
        wait_for(lambda: len(running(fw)) == 2, 30, "two running tasks")
        first_id, old_tasks = fw.framework_id, set(running(fw))
        cluster.stop()
        cluster = LocalCluster(agents=0, simulated_agents=1, port=port, heartbeat_interval=0.5).start()
        # the old master's sockets are closed, as when its process exits: pymesos reconnects and resubscribes;
        # the new master knows nothing: old tasks are reconciled (UNKNOWN), given up, replaced
        assert fw.run_until_done(timeout=60), fw.error
        assert fw.framework_id == first_id
        state = cluster.run(master_state, cluster.master)
        assert [f["id"] for f in state["frameworks"]] == [first_id]
        records = {r.task_id: r for r in fw.tasks().result(10)}
        assert {records[t].state for t in old_tasks} <= {"UNKNOWN", "LOST", "GONE"}
        assert sum(1 for r in records.values() if r.state == "FINISHED") == 2
    finally:
        fw.stop(failover=False)
        cluster.stop()


def test_a_silent_master_is_detected_by_the_heartbeat_watchdog():
    """A partition: the stream and call connections stay open and say nothing. The watchdog notices the
    missing heartbeats, reconnects (new connections get through) and reconciles; nothing is relaunched."""
    with LocalCluster(agents=0, simulated_agents=1, heartbeat_interval=0.5) as cluster, \
            FreezableTcpProxy(("127.0.0.1", cluster.port)) as proxy:
        driver = CountingDriver(proxy.address, call_timeout=1.0)
        fw = Framework("silent", [Service(2)], driver=driver).start()
        try:
            wait_for(lambda: len(running(fw)) == 2, 30, "two running tasks")
            first_id, before = fw.framework_id, running(fw)
            assert proxy.freeze() >= 2
            wait_for(lambda: driver.reconnects >= 1, 30, "the silence noticed")
            wait_for(lambda: fw.engine.subscribed, 30, "resubscription through a new connection")
            wait_for(lambda: running(fw) == before, 30, "the same tasks reconciled as running")
            assert fw.framework_id == first_id
            state = cluster.run(master_state, cluster.master)
            assert [f["id"] for f in state["frameworks"]] == [first_id]
            assert len(state["frameworks"][0]["tasks"]) == 2          # nothing relaunched
        finally:
            fw.stop(failover=False)
