"""Scheduler-side HTTP checks on real processes (replace-then-kill after maxConsecutiveFailures), the probe
itself on loopback, and the progress deadline rolling back a deployment that cannot get healthy."""
from __future__ import annotations

import http.server
import threading

import httpx
import pytest

from mesosframe.local.cluster import LocalCluster, agent_hostname
from schedulers.longrun.healthcheck import probe
from tests.integration.longrun.mesos_fixtures import sim_cluster, start_scheduler, wait_deployed, wait_for  # noqa: F401

SERVER = {"id": "/www", "cmd": f"exec python3 -m http.server $PORT0 --bind {agent_hostname(0)}", "instances": 1,
          "cpus": 0.1, "mem": 64, "upgradeStrategy": {"minimumHealthCapacity": 1.0, "maximumOverCapacity": 1.0}}


def check(path: str, failures: int = 2) -> list[dict]:
    return [{"protocol": "HTTP", "path": path, "portIndex": 0, "gracePeriodSeconds": 0, "intervalSeconds": 1,
             "timeoutSeconds": 1, "maxConsecutiveFailures": failures, "delaySeconds": 0}]


@pytest.fixture
def http_server():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.mark.parametrize("protocol, path, healthy", [("HTTP", "/", True), ("HTTP", "/missing", False),
                                                     ("TCP", "/", True)])
def test_probe(http_server, protocol, path, healthy):
    assert probe(protocol, "127.0.0.1", http_server, path, timeout=2) is healthy


def test_probe_of_a_closed_port_fails():
    assert probe("TCP", "127.0.0.1", 9, timeout=1) is False


def test_real_http_service_checked_by_the_scheduler_and_unhealthy_one_replaced():
    with LocalCluster(agents=1) as cluster:
        server = start_scheduler(cluster)
        try:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                assert client.post("/v2/apps", json={**SERVER, "healthChecks": check("/")}).status_code == 201
                wait_deployed(client, timeout=30)
                (task,) = client.get("/v2/apps/www/tasks").json()["tasks"]
                assert task["ports"] and task["healthCheckResults"][0]["alive"] is True
                assert httpx.get(f"http://{task['host']}:{task['ports'][0]}/", timeout=5).status_code == 200

                kills = []
                publish = server.service.bus.publish
                server.service.bus.publish = lambda e: (kills.append(e) if e["eventType"] ==
                                                        "unhealthy_instance_kill_event" else None, publish(e))
                bad = {**SERVER, "id": "/sick", "healthChecks": check("/missing")}
                assert client.post("/v2/apps", json=bad).status_code == 201
                wait_for(lambda: kills, timeout=30, what="an unhealthy instance to be killed")
                assert kills[0]["appId"] == "/sick"
                launched = wait_for(lambda: (lambda ts: ts if len(ts) >= 1 and kills[0]["taskId"] not in
                                             {t["id"] for t in ts} else None)(
                    client.get("/v2/apps/sick/tasks").json()["tasks"]), timeout=30, what="a replacement")
                assert launched[0]["id"] != kills[0]["taskId"]
        finally:
            server.stop(failover=False)


def test_progress_deadline_rolls_back_a_stuck_deployment(sim_cluster):
    server = start_scheduler(sim_cluster, progress_deadline=1.0)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            good = {"id": "/app", "cmd": "sleep 1000", "instances": 2, "cpus": 0.1, "mem": 16,
                    "labels": {"mesosframe.sim/healthy": "true"},
                    "healthChecks": [{"protocol": "MESOS_TCP", "portIndex": 0}]}
            client.post("/v2/apps", json=good)
            wait_deployed(client)
            stuck = {**good, "labels": {"mesosframe.sim/healthy": "false"}}
            failed = client.put("/v2/apps/app", json=stuck).json()["deploymentId"]
            wait_for(lambda: failed not in {d["id"] for d in client.get("/v2/deployments").json()}, timeout=15,
                     what="the stuck deployment to fail")
            wait_deployed(client, timeout=15)
            app = client.get("/v2/apps/app").json()["app"]
            assert app["labels"] == {"mesosframe.sim/healthy": "true"}
            assert app["tasksHealthy"] == 2
    finally:
        server.stop(failover=False)
