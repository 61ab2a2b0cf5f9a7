"""The bundled schedulers on the multi-node topology (root only): Marathon constraints on the real placement
(agents' hostnames are their IPs), and HA failover of longrun during a deployment and of cron during a run."""
from __future__ import annotations

import time

import pytest

from mesosframe.testing.topology import TopologySpec, http_json, schedulers_available, wait_until

pytestmark = pytest.mark.skipif(schedulers_available() != ["longrun", "cron"],
                                reason="schedulers/longrun/command.py or schedulers/cron/command.py is missing")

TOPOLOGY_SPEC = TopologySpec(longrun=2, cron=2)


def app(app_id: str, instances: int, constraints=()) -> dict:
    return {"id": app_id, "cmd": "sleep 600", "cpus": 0.1, "mem": 32, "instances": instances,
            "constraints": [list(c) for c in constraints]}


def running_app_tasks(url: str, app_id: str) -> list[dict]:
    return [t for t in http_json(f"{url}/v2/apps/{app_id}/tasks")["tasks"] if t["state"] == "TASK_RUNNING"]


def master_tasks(top, framework: str, needle: str, completed: bool = False) -> list[dict]:
    out = []
    for fw in top.master_state()["frameworks"]:
        if fw["name"] == framework:
            out += [t for t in fw["tasks"] + (fw["completed_tasks"] if completed else []) if needle in t["id"]]
    return out


def leader_node(top, nodes: list[str], path: str) -> str | None:
    """The node every live scheduler names as leader (`/v2/leader`, `/v1/scheduler/leader`)."""
    for node in nodes:
        try:
            leader = http_json(top.url(node) + path, timeout=1.0)["leader"]
        except (OSError, KeyError, ValueError):
            continue
        match = [n for n in nodes if leader.startswith(top.ip(n) + ":")]
        if match:
            return match[0]
    return None


def test_unique_hostname_and_group_by_rack_on_the_real_placement(topology):
    top = topology
    url = top.url(top.longrun[0])
    racks = {s["hostname"]: s["attributes"]["rack"] for s in top.master_state()["slaves"]}
    http_json(url + "/v2/apps", data=app("/uniq", 3, [("hostname", "UNIQUE")]), method="POST")
    http_json(url + "/v2/apps", data=app("/grp", 3, [("rack", "GROUP_BY", "3")]), method="POST")
    uniq = wait_until(lambda: len(r := running_app_tasks(url, "uniq")) == 3 and r, 30, "3 /uniq tasks")
    grp = wait_until(lambda: len(r := running_app_tasks(url, "grp")) == 3 and r, 30, "3 /grp tasks")
    assert sorted(t["host"] for t in uniq) == sorted(racks)            # one per agent, hosts are the IPs
    assert sorted(racks[t["host"]] for t in grp) == ["r1", "r2", "r3"]
    for app_id in ("uniq", "grp"):
        http_json(f"{url}/v2/apps/{app_id}", method="DELETE")


def test_killing_the_leading_longrun_during_a_deployment_neither_loses_nor_doubles(topology):
    top = topology
    old = wait_until(lambda: leader_node(top, top.longrun, "/v2/leader"), 30, "a longrun leader")
    http_json(top.url(old) + "/v2/apps", data=app("/web", 4), method="POST")
    top.kill(old)
    standby = [n for n in top.longrun if n != old]
    new = wait_until(lambda: leader_node(top, standby, "/v2/leader"), 40, "the standby longrun leading")
    url = top.url(new)
    tasks = wait_until(lambda: not http_json(url + "/v2/deployments") and len(r := running_app_tasks(url, "web")) == 4
                       and r, 40, "the deployment finished by the new leader")
    time.sleep(2.0)                                    # would a duplicate launch show up?
    in_master = master_tasks(top, "longrun", ".web@")
    assert sorted(t["id"] for t in in_master if t["state"] == "TASK_RUNNING") == sorted(t["id"] for t in tasks)
    http_json(url + "/v2/apps/web", method="DELETE")


def test_killing_the_leading_cron_during_a_run_completes_it_exactly_once(topology):
    top = topology
    old = wait_until(lambda: leader_node(top, top.cron, "/v1/scheduler/leader"), 30, "a cron leader")
    url = top.url(old)
    job = {"name": "nightly", "command": "sleep 4", "schedule": "R/2035-01-01T00:00:00Z/P1D", "epsilon": "PT1H",
           "cpus": 0.1, "mem": 32, "owner": "ops@example.com"}
    http_json(url + "/v1/scheduler/iso8601", data=job, method="POST")
    http_json(url + "/v1/scheduler/job/nightly", data={}, method="PUT")
    wait_until(lambda: [t for t in master_tasks(top, "cron", "nightly") if t["state"] == "TASK_RUNNING"], 30,
               "the nightly run's task running")
    top.kill(old)
    standby = [n for n in top.cron if n != old]
    new = wait_until(lambda: leader_node(top, standby, "/v1/scheduler/leader"), 40, "the standby cron leading")
    done = wait_until(lambda: (j := http_json(top.url(new) + "/v1/scheduler/job/nightly"))["successCount"] >= 1
                      and j, 40, "the run finished under the new leader")
    time.sleep(1.0)
    assert done["errorCount"] == 0 and http_json(top.url(new) + "/v1/scheduler/job/nightly")["successCount"] == 1
    launched = {t["id"] for t in master_tasks(top, "cron", "nightly", completed=True)}
    assert len(launched) == 1, launched
