"""Mesos-native health checks on a ProcessAgent (RecordingMaster) and end to end through LocalCluster."""
from __future__ import annotations

import socket
import sys

import pytest

FRAMEWORK = {"id": {"value": "fw-1"}, "name": "t", "roles": ["web"]}
KILLING_FRAMEWORK = {**FRAMEWORK, "capabilities": [{"type": "TASK_KILLING_STATE"}]}
REASON = "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"
FAST = {"delay_seconds": 0, "interval_seconds": 0.1, "timeout_seconds": 1, "grace_period_seconds": 0}


def task(task_id, command, check, **extra):
    return {"task_id": {"value": task_id}, "name": task_id, "agent_id": {"value": "S1"},
            "command": {"value": command}, "health_check": {**FAST, **check}, **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health_updates(master, task_id):
    return [s for _, _, s in master.updates if s["task_id"]["value"] == task_id and s.get("reason") == REASON]


def test_http_server_becomes_healthy(harness):
    port = free_port()
    command = f"exec {sys.executable} -m http.server {port} --bind 127.0.0.1"
    check = {"type": "HTTP", "http": {"port": port, "path": "/"}, "grace_period_seconds": 10}
    harness.agent.launch_tasks(FRAMEWORK, [task("web", command, check)])
    harness.run_until(lambda: health_updates(harness.master, "web"), timeout=10)
    [update] = health_updates(harness.master, "web")
    assert update["state"] == "TASK_RUNNING" and update["healthy"] is True
    assert update["source"] == "SOURCE_EXECUTOR" and update["executor_id"] == {"value": "web"}
    harness.run_for(0.3)        # further successes are not reported
    assert len(health_updates(harness.master, "web")) == 1
    harness.agent.kill_task("fw-1", "web")
    assert harness.until_terminal("web")["state"] == "TASK_KILLED"
    assert "healthy" not in harness.master.last("web")


def test_tcp_check_on_a_closed_port_kills_the_task_after_consecutive_failures(harness):
    check = {"type": "TCP", "tcp": {"port": free_port()}, "consecutive_failures": 2}
    harness.agent.launch_tasks(KILLING_FRAMEWORK, [task("db", "sleep 30", check,
                                                        kill_policy={"grace_period": {"nanoseconds": 0}})])
    final = harness.until_terminal("db")
    assert harness.master.states("db") == ["TASK_STARTING", "TASK_RUNNING", "TASK_RUNNING", "TASK_RUNNING",
                                           "TASK_KILLING", "TASK_KILLED"]
    assert [(u["healthy"], u["message"]) for u in health_updates(harness.master, "db")] == \
        [(False, "Health check failed")] * 2
    assert final["healthy"] is False


def test_command_check_reports_healthy_once_and_stops_with_the_task(harness):
    check = {"type": "COMMAND", "command": {"value": 'test "$MESOS_TASK_ID" = ok && exit 0'}}
    harness.agent.launch_tasks(FRAMEWORK, [task("ok", "sleep 0.6", check)])
    final = harness.until_terminal("ok")
    assert final["state"] == "TASK_FINISHED" and "healthy" not in final
    assert [u["healthy"] for u in health_updates(harness.master, "ok")] == [True]
    assert harness.master.states("ok") == ["TASK_STARTING", "TASK_RUNNING", "TASK_RUNNING", "TASK_FINISHED"]


def test_recovery_after_failures_is_reported_and_grace_hides_early_failures(harness):
    # fails until the task creates the file (within the grace period: not reported), then healthy; each
    # failure after its removal is reported; the first success once it is back is reported again
    command = "sleep 0.2; touch ready; sleep 0.4; rm ready; sleep 0.3; touch ready; sleep 30"
    check = {"type": "COMMAND", "command": {"value": "test -f ready"}, "grace_period_seconds": 5,
             "consecutive_failures": 100}
    harness.agent.launch_tasks(FRAMEWORK, [task("flap", command, check)])

    def healthy():
        return [u["healthy"] for u in health_updates(harness.master, "flap")]
    harness.run_until(lambda: False in healthy() and healthy()[-1] is True, timeout=10)
    seen = healthy()
    assert seen[0] is True and seen.count(False) >= 1
    assert all(not (a and b) for a, b in zip(seen, seen[1:]))   # successes are reported only after failures
    harness.agent.kill_task("fw-1", "flap")
    assert harness.until_terminal("flap")["state"] == "TASK_KILLED"


def test_invalid_health_check_fails_the_task_at_launch(harness):
    bad = task("bad", "sleep 30", {"type": "HTTP", "http": {"path": "/"}})
    harness.agent.launch_tasks(FRAMEWORK, [bad])
    final = harness.until_terminal("bad")
    assert harness.master.states("bad") == ["TASK_FAILED"]
    assert final["reason"] == "REASON_TASK_INVALID" and final["source"] == "SOURCE_AGENT"


def test_checks_stop_when_the_agent_stops(make_agent_harness):
    harness = make_agent_harness()
    check = {"type": "TCP", "tcp": {"port": free_port()}, "consecutive_failures": 1000}
    harness.agent.launch_tasks(FRAMEWORK, [task("t", "sleep 30", check)])
    harness.run_until(lambda: health_updates(harness.master, "t"))
    harness.agent.stop()
    count = len(harness.master.updates)
    harness.run_for(0.3)
    assert len(harness.master.updates) == count


pymesos = pytest.importorskip("pymesos")


def test_health_checks_end_to_end_through_pymesos():
    import queue
    import threading
    import time

    from mesosframe.local.cluster import LocalCluster

    class Framework(pymesos.Scheduler):
        def __init__(self, make_tasks):
            self.make_tasks, self.launched = make_tasks, False
            self.seen: queue.Queue = queue.Queue()
            self.lock, self.updates = threading.Lock(), []

        def resourceOffers(self, driver, offers):
            for offer in offers:
                if self.launched:
                    driver.declineOffer(offer["id"], {"refuse_seconds": 5})
                    continue
                self.launched = True
                driver.launchTasks(offer["id"], self.make_tasks(offer))

        def statusUpdate(self, driver, status):
            with self.lock:
                self.updates.append(status)

        def wait(self, predicate, timeout=15.0):
            deadline = time.monotonic() + timeout
            while True:
                with self.lock:
                    if predicate(self.updates):
                        return list(self.updates)
                assert time.monotonic() < deadline, self.updates
                time.sleep(0.02)

    def make_tasks(offer):
        ports = next(r for r in offer["resources"] if r["name"] == "ports")["ranges"]["range"][0]
        web, closed = ports["begin"], free_port()
        agent_id = offer["agent_id"]["value"]
        resources = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                     {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}]
        web_resources = resources + [{"name": "ports", "type": "RANGES",
                                      "ranges": {"range": [{"begin": web, "end": web}]}}]
        base = dict(agent_id={"value": agent_id})
        return [
            dict(base, task_id={"value": "web"}, name="web", resources=web_resources,
                 command={"value": f"exec python3 -m http.server {web} --bind 127.0.0.1"},
                 health_check={**FAST, "grace_period_seconds": 10, "type": "HTTP", "http": {"port": web}}),
            dict(base, task_id={"value": "closed"}, name="closed", resources=resources,
                 command={"value": "sleep 30"}, kill_policy={"grace_period": {"nanoseconds": 0}},
                 health_check={**FAST, "type": "TCP", "tcp": {"port": closed}, "consecutive_failures": 2}),
            dict(base, task_id={"value": "cmd"}, name="cmd", resources=resources, command={"value": "sleep 30"},
                 health_check={**FAST, "type": "COMMAND", "command": {"value": "exit 0"}}),
        ]

    def of(updates, task_id):
        return [u for u in updates if u["task_id"]["value"] == task_id]

    web_port = free_port()    # not a fixed range: other suites on this machine serve on 31000+
    with LocalCluster(agents=1, agent_resources=f"cpus:2;mem:1024;disk:1024;ports:[{web_port}-{web_port}]",
                      heartbeat_interval=1.0) as cluster:
        framework = Framework(make_tasks)
        driver = pymesos.MesosSchedulerDriver(framework, {"user": "root", "name": "health-e2e"},
                                              cluster.master_address, use_addict=False,
                                              implicit_acknowledgements=True)
        driver.start()
        try:
            updates = framework.wait(lambda u: any(s.get("healthy") for s in of(u, "web"))
                                     and any(s.get("healthy") for s in of(u, "cmd"))
                                     and any(s["state"] == "TASK_KILLED" for s in of(u, "closed")))
            for task_id in ("web", "cmd"):
                [healthy] = [s for s in of(updates, task_id) if "healthy" in s]
                assert (healthy["state"], healthy["healthy"], healthy["reason"]) == \
                    ("TASK_RUNNING", True, REASON)
            closed = of(updates, "closed")
            assert [s.get("healthy") for s in closed if s.get("reason") == REASON] == [False, False]
            assert closed[-1]["state"] == "TASK_KILLED" and closed[-1]["healthy"] is False
            driver.killTask({"value": "web"})
            driver.killTask({"value": "cmd"})
            framework.wait(lambda u: all(any(s["state"] == "TASK_KILLED" for s in of(u, t)) for t in ("web", "cmd")))
        finally:
            driver.stop()
            driver.join()
