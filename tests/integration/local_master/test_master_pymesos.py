"""pymesos's real MesosSchedulerDriver against the local master, over loopback."""
from __future__ import annotations

import json
import queue
import time
import urllib.request

import pytest
from pymesos import MesosSchedulerDriver, Scheduler

from mesosframe.local.cluster import LocalCluster


class Recorder(Scheduler):
    """Puts every callback on a queue as (kind, payload)."""

    def __init__(self) -> None:
        self.events: queue.Queue = queue.Queue()
        self.backlog: list = []

    def registered(self, driver, framework_id, master_info):
        self.events.put(("registered", framework_id["value"]))

    def reregistered(self, driver, master_info):
        self.events.put(("reregistered", master_info))

    def resourceOffers(self, driver, offers):
        self.events.put(("offers", offers))

    def statusUpdate(self, driver, status):
        self.events.put(("update", status))

    def slaveLost(self, driver, agent_id):
        self.events.put(("agent_lost", agent_id["value"]))

    def error(self, driver, message):
        self.events.put(("error", message))

    def next(self, kind, timeout=10.0, match=lambda payload: True):
        """The first (kind, payload) matching, from the backlog of skipped events or the queue."""
        for index, (got, payload) in enumerate(self.backlog):
            if got == kind and match(payload):
                del self.backlog[index]
                return payload
        deadline = time.monotonic() + timeout
        while True:
            got, payload = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if got == kind and match(payload):
                return payload
            self.backlog.append((got, payload))


def update_for(task_id, state):
    return lambda s: s["task_id"]["value"] == task_id and s["state"] == state


def framework(**extra):
    return {"user": "root", "name": "pymesos-test", "failover_timeout": 30.0, **extra}


def start_driver(address, info):
    recorder = Recorder()
    driver = MesosSchedulerDriver(recorder, info, address, use_addict=True, implicit_acknowledgements=False)
    driver.start()
    return recorder, driver


def task(task_id, agent_id, command, **extra):
    return {"task_id": {"value": task_id}, "agent_id": {"value": agent_id}, "name": task_id,
            "command": {"value": command},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}], **extra}


def test_process_tasks_acks_kill_and_reconcile(tmp_path):
    with LocalCluster(agents=1, work_dir=tmp_path, agent_resources="cpus:2;mem:2048;disk:1024") as cluster:
        rec, driver = start_driver(cluster.master_address,
                                   framework(capabilities=[{"type": "TASK_KILLING_STATE"}]))
        try:
            framework_id = rec.next("registered")
            offer = rec.next("offers")[0]
            agent_id = offer.agent_id.value
            driver.launchTasks(offer.id, [
                task("sleeper", agent_id, "sleep 30", kill_policy={"grace_period": {"nanoseconds": 500_000_000}}),
                task("quick", agent_id, "exit 0")])
            for state in ("TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"):
                status = rec.next("update", match=update_for("quick", state))
                assert status.source == "SOURCE_EXECUTOR" and status.uuid
                driver.acknowledgeStatusUpdate(status)
            for state in ("TASK_STARTING", "TASK_RUNNING"):
                driver.acknowledgeStatusUpdate(rec.next("update", match=update_for("sleeper", state)))
            driver.killTask({"value": "sleeper"})
            driver.acknowledgeStatusUpdate(rec.next("update", match=update_for("sleeper", "TASK_KILLING")))
            killed = rec.next("update", match=update_for("sleeper", "TASK_KILLED"))
            driver.reconcileTasks([])                       # KILLED not acknowledged yet: still reported
            implicit = rec.next("update", match=lambda s: s.source == "SOURCE_MASTER")
            assert (implicit.task_id.value, implicit.state) == ("sleeper", "TASK_KILLED")
            assert implicit.message == "Reconciliation: Latest task state" and "uuid" not in implicit
            driver.acknowledgeStatusUpdate(killed)
            driver.reconcileTasks([{"task_id": {"value": "quick"}, "agent_id": {"value": agent_id}}])
            explicit = rec.next("update", match=lambda s: s.source == "SOURCE_MASTER")
            assert explicit.state == "TASK_LOST"          # not PARTITION_AWARE: TASK_UNKNOWN shows as LOST
            assert explicit.message == "Reconciliation: Task is unknown"   # pymesos drops agent_id
            assert framework_id.endswith("-0000")
        finally:
            driver.stop()
            driver.join()


def test_failover_resubscribe_keeps_tasks():
    with LocalCluster(agents=0, simulated_agents=1) as cluster:
        rec, driver = start_driver(cluster.master_address, framework())
        framework_id = rec.next("registered")
        offer = rec.next("offers")[0]
        driver.launchTasks(offer.id, [task("long", offer.agent_id.value, "sleep 100")])
        driver.acknowledgeStatusUpdate(rec.next("update", match=update_for("long", "TASK_RUNNING")))
        driver.stop(failover=True)
        driver.join()
        rec2, driver2 = start_driver(cluster.master_address, framework(id={"value": framework_id}))
        try:
            kind, payload = rec2.events.get(timeout=10)
            assert kind in ("registered", "reregistered")
            driver2.reconcileTasks([{"task_id": {"value": "long"}}])
            status = rec2.next("update", match=lambda s: s.task_id.value == "long")
            assert status.state == "TASK_RUNNING" and status.reason == "REASON_RECONCILIATION"
            assert cluster.run(lambda: len(cluster.master.frameworks)) == 1
        finally:
            driver2.stop()
            driver2.join()
        deadline = time.monotonic() + 5
        while cluster.run(lambda: len(cluster.master.frameworks)):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert cluster.run(lambda: cluster.agents[0].task_count) == 0   # TEARDOWN killed it


def test_agent_loss_and_return_partition_aware():
    with LocalCluster(agents=0, simulated_agents=1, agent_heartbeat_interval=0.1,
                      agent_ping_timeout=0.5) as cluster:
        rec, driver = start_driver(cluster.master_address,
                                   framework(capabilities=[{"type": "PARTITION_AWARE"}]))
        try:
            rec.next("registered")
            offer = rec.next("offers")[0]
            agent_id = offer.agent_id.value
            driver.launchTasks(offer.id, [task("t", agent_id, "x")])
            driver.acknowledgeStatusUpdate(rec.next("update", match=update_for("t", "TASK_RUNNING")))
            cluster.run(cluster.agents[0].pause_heartbeats)
            status = rec.next("update", match=update_for("t", "TASK_UNREACHABLE"))
            assert status.source == "SOURCE_MASTER" and status.unreachable_time.nanoseconds > 0
            assert rec.next("agent_lost") == agent_id
            cluster.run(cluster.agents[0].resume_heartbeats)
            time.sleep(0.2)
            driver.reconcileTasks([{"task_id": {"value": "t"}}])
            back = rec.next("update", match=lambda s: s.source == "SOURCE_MASTER" and s.task_id.value == "t")
            assert back.state == "TASK_RUNNING"
        finally:
            driver.stop()
            driver.join()


@pytest.mark.zookeeper
def test_zookeeper_leader_redirect_and_failover(zk_url, kazoo_client):
    with LocalCluster(agents=0, simulated_agents=1, zk=zk_url) as first, \
            LocalCluster(agents=0, simulated_agents=1, zk=zk_url) as second:
        children = sorted(kazoo_client.get_children("/"))
        assert len(children) == 2 and all(c.startswith("json.info_") for c in children)
        data = json.loads(kazoo_client.get("/" + children[0])[0])
        assert data["address"]["port"] == first.port and data["capabilities"][-1] == {"type": "QUOTA_V2"}
        request = urllib.request.Request(second.master_url + "/api/v1/scheduler", data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.build_opener(NoRedirect).open(request, timeout=5)
        assert err.value.code == 307
        assert err.value.headers["Location"] == f"//127.0.0.1:{first.port}/api/v1/scheduler"
        rec, driver = start_driver(zk_url, framework())
        try:
            framework_id = rec.next("registered", timeout=20)
            assert first.run(lambda: framework_id in first.master.frameworks)
            first.stop()
            kind, _ = rec.events.get(timeout=20)
            while kind not in ("registered", "reregistered"):
                kind, _ = rec.events.get(timeout=20)
            assert second.run(lambda: framework_id in second.master.frameworks)
            rec.next("offers", timeout=10)
        finally:
            driver.stop()
            driver.join()


@pytest.mark.zookeeper
def test_zookeeper_credentials_give_world_readable_creator_only_nodes(zk_url, kazoo_client):
    secured = zk_url.replace("zk://", "zk://master:secret@")
    with LocalCluster(agents=0, simulated_agents=0, zk=secured) as cluster:
        (child,) = kazoo_client.get_children("/")
        data, _ = kazoo_client.get("/" + child)              # readable without credentials
        assert json.loads(data)["port"] == cluster.port
        acls, _ = kazoo_client.get_acls("/" + child)
        assert sorted(a.id.scheme for a in acls) == ["digest", "world"]
