"""Deploy, scale and rolling restart on simulated agents; Marathon's bounds hold at every status update."""
from __future__ import annotations

import math
import time

import pytest

from schedulers.longrun.simstate import counts_healthy
from tests.integration.longrun.mesos_fixtures import api, scheduler, sim_cluster, wait_deployed, wait_for  # noqa: F401

HEALTHY = {"mesosframe.sim/healthy": "true"}


def app_json(app_id: str, instances: int, **extra) -> dict:
    body = {"id": app_id, "cmd": "sleep 1000", "instances": instances, "cpus": 0.1, "mem": 16,
            "labels": dict(HEALTHY), "healthChecks": [{"protocol": "MESOS_TCP", "portIndex": 0}]}
    body.update(extra)
    return body


def observe(service, check):
    """Call `check(state)` at every status update the service publishes (on the loop, under its lock)."""
    publish = service.bus.publish
    seen = []

    def wrapped(event):
        if event["eventType"] == "status_update_event":
            seen.append(check(service.state))
        publish(event)
    service.bus.publish = wrapped
    return seen


def test_deploy_scale_and_rolling_restart_stay_within_bounds(scheduler, api):
    service = scheduler.service
    r = api.post("/v2/apps", json=app_json("/web", 4, upgradeStrategy={"minimumHealthCapacity": 0.5,
                                                                           "maximumOverCapacity": 0.25}))
    assert r.status_code == 201, r.text
    wait_deployed(api)
    tasks = api.get("/v2/apps/web/tasks").json()["tasks"]
    assert [t["state"] for t in tasks] == ["TASK_RUNNING"] * 4
    assert all(t["healthCheckResults"][0]["alive"] for t in tasks)

    assert api.put("/v2/apps/web", json={"instances": 6}).status_code == 200
    wait_deployed(api)
    assert api.get("/v2/apps/web").json()["app"]["tasksRunning"] == 6

    min_healthy, max_capacity = math.ceil(6 * 0.5), math.floor(6 * 1.25)
    violations = []

    def bounds(state):
        tasks = [t for t in state.tasks.values() if t.app_id == "/web"]
        live = [t for t in tasks if not t.killing]
        healthy = sum(1 for t in tasks if counts_healthy(t))
        if len(live) > max_capacity or healthy < min_healthy:
            violations.append((len(live), healthy))
        return len(live), healthy

    seen = observe(service, bounds)
    old_ids = {t["id"] for t in api.get("/v2/apps/web/tasks").json()["tasks"]}
    restart = api.post("/v2/apps/web/restart").json()
    wait_deployed(api)
    assert len(seen) >= 12, "every old task ends and every new task starts with a status update"
    assert violations == []
    tasks = api.get("/v2/apps/web/tasks").json()["tasks"]
    assert len(tasks) == 6 and not {t["id"] for t in tasks} & old_ids
    assert {t["version"] for t in tasks} == {restart["version"]}


@pytest.mark.parametrize("sim_cluster", [dict(simulated_agents=4, agent_attributes=["rack:r1", "rack:r2"])],
                         indirect=True)
def test_group_by_rack_spreads_and_unique_hostname_reports_why(sim_cluster, scheduler, api):
    racks = {a.info.agent_id: ("r1" if i == 0 else "r2") for i, a in enumerate(sim_cluster.agents)}
    api.post("/v2/apps", json=app_json("/spread", 6, constraints=[["rack", "GROUP_BY", "2"]]))
    wait_deployed(api)
    tasks = api.get("/v2/apps/spread/tasks").json()["tasks"]
    per_rack = {r: sum(1 for t in tasks if racks[t["slaveId"]] == r) for r in ("r1", "r2")}
    assert per_rack == {"r1": 3, "r2": 3}
    service = scheduler.service
    wait_for(lambda: all(t.placed and t.attributes.get("rack") for t in service.state.tasks.values()),
             what="agent attributes learnt from the master")
    api.put("/v2/apps/spread", json={"instances": 2})
    wait_deployed(api)
    left = api.get("/v2/apps/spread/tasks").json()["tasks"]
    assert sorted(racks[t["slaveId"]] for t in left) == ["r1", "r2"], "scale-down keeps the racks balanced"

    # UNIQUE hostname: one instance per host; the two beyond the hosts wait, and the queue says why
    hosts = len({a.info.hostname for a in sim_cluster.agents})
    api.post("/v2/apps", json=app_json("/unique", hosts + 2, constraints=[["hostname", "UNIQUE"]]))
    entry = wait_for(lambda: next((q for q in api.get("/v2/queue").json()["queue"]
                                   if q["app"]["id"] == "/unique" and q["processedOffersSummary"]
                                   ["rejectSummaryLastOffers"]), None), what="queue reasons")
    assert entry["count"] == 2
    reasons = {r["reason"] for r in entry["processedOffersSummary"]["rejectSummaryLastOffers"]}
    assert "constraint:hostname:UNIQUE" in reasons
    running = api.get("/v2/apps/unique/tasks").json()["tasks"]
    assert len(running) == hosts and len({t["host"] for t in running}) == hosts


def test_crash_looping_app_backs_off(scheduler, api):
    service = scheduler.service
    crash = app_json("/crash", 1, labels={"mesosframe.sim/duration": "0", "mesosframe.sim/exit_code": "1"},
                     healthChecks=[], backoffSeconds=0.4, backoffFactor=2.0, maxLaunchDelaySeconds=30)
    api.post("/v2/apps", json=crash)
    wait_for(lambda: service.launched >= 2, what="a relaunch")
    delayed = wait_for(lambda: next((q for q in api.get("/v2/queue").json()["queue"]
                                     if q["delay"]["timeLeftSeconds"] > 0), None), what="a launch delay")
    assert delayed["app"]["id"] == "/crash"
    time.sleep(2.5)
    # delays 0.4, 0.8, 1.6, ... : at most 4 launches in ~3 s (without backoff it would be dozens)
    assert 2 <= service.launched <= 5
    before = service.launched
    assert api.delete("/v2/queue/crash/delay").status_code == 204
    wait_for(lambda: service.launched > before, timeout=5, what="a launch after the delay reset")


def test_lost_agent_instances_are_replaced(sim_cluster, scheduler, api):
    api.post("/v2/apps", json=app_json("/svc", 3, unreachableStrategy={"inactiveAfterSeconds": 1,
                                                               "expungeAfterSeconds": 2}))
    wait_deployed(api)
    tasks = api.get("/v2/apps/svc/tasks").json()["tasks"]
    victim_agent = tasks[0]["slaveId"]
    doomed = {t["id"] for t in tasks if t["slaveId"] == victim_agent}
    agent = next(a for a in sim_cluster.agents if a.info.agent_id == victim_agent)

    def lose():
        agent.crash()
        sim_cluster.master.agent_exited(victim_agent)
    sim_cluster.run(lose)

    def replaced():
        now = api.get("/v2/apps/svc/tasks").json()["tasks"]
        running = [t for t in now if t["state"] == "TASK_RUNNING"]
        return len(running) == 3 and not doomed & {t["id"] for t in now}
    wait_for(replaced, timeout=20, what="replacements and the expunge of the lost instances")
    assert all(t["slaveId"] != victim_agent for t in api.get("/v2/apps/svc/tasks").json()["tasks"])
