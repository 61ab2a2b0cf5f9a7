"""HA: two schedulers on ZooKeeper. The standby proxies the API; DELETE /v2/leader hands over; kill -9 of the
leader in the middle of a rolling restart: the standby resumes it, no instance lost or duplicated."""
from __future__ import annotations

import pathlib
import signal
import subprocess

import httpx

from mesosframe.local.cluster import LocalCluster
from schedulers.longrun.server import LongrunServer
from tests.integration.longrun.mesos_fixtures import wait_deployed, wait_for
from tests.integration.scheduler_process import spawn_scheduler

APP = {"id": "/ha", "cmd": "sleep 1000", "instances": 6, "cpus": 0.1, "mem": 16,
       "labels": {"mesosframe.sim/healthy": "true"}, "healthChecks": [{"protocol": "MESOS_TCP", "portIndex": 0}],
       "upgradeStrategy": {"minimumHealthCapacity": 1.0, "maximumOverCapacity": 0.0}}


def leader_of(url: str) -> str | None:
    try:
        response = httpx.get(f"{url}/v2/leader", timeout=2)
    except httpx.HTTPError:
        return None
    return response.json().get("leader") if response.status_code == 200 else None


def running_in_master(cluster: LocalCluster) -> list[str]:
    def collect():
        return sorted(t.task_id for fw in cluster.master.frameworks.values() for t in fw.tasks.values()
                      if t.state == "TASK_RUNNING")
    return cluster.run(collect)


def test_standby_proxies_and_abdication_hands_over(zk_url):
    with LocalCluster(agents=0, simulated_agents=2) as cluster:
        servers = []
        try:
            a = LongrunServer(cluster.master_address, zk=zk_url, http_port=0, tick_interval=0.1,
                              zk_session_timeout=4).start()
            servers.append(a)
            wait_for(lambda: a.service.leading, what="the first scheduler to lead")
            b = LongrunServer(cluster.master_address, zk=zk_url, http_port=0, tick_interval=0.1,
                              zk_session_timeout=4).start()
            servers.append(b)
            assert leader_of(b.url) == a.address
            created = httpx.post(f"{b.url}/v2/apps", json={**APP, "instances": 2}, timeout=10)
            assert created.status_code == 201, created.text
            assert httpx.get(f"{b.url}/ping").text.strip('"') == "pong"
            with httpx.Client(base_url=b.url, timeout=10) as via_standby:
                wait_deployed(via_standby)
                assert via_standby.get("/v2/apps/ha").json()["app"]["tasksRunning"] == 2
                with via_standby.stream("GET", "/v2/events", headers={"accept": "text/event-stream"},
                                        params={"event_type": ["event_stream_attached", "status_update_event"]}) \
                        as stream:
                    lines = stream.iter_lines()
                    assert next(lines).startswith("event: event_stream_attached")
                    assert via_standby.put("/v2/apps/ha", json={"instances": 3}).status_code == 200
                    event = next(line for line in lines if line.startswith("data: ") and "status_update" in line)
                assert '"status_update_event"' in event and '"appId": "/ha"' in event.replace('":"', '": "')
            assert httpx.delete(f"{a.url}/v2/leader", timeout=10).status_code == 200
            wait_for(lambda: b.service.leading, timeout=20, what="the standby to take over")
            with httpx.Client(base_url=a.url, timeout=10) as via_old:
                wait_for(lambda: via_old.get("/v2/apps/ha").status_code == 200, what="the app via the new leader")
                assert via_old.get("/v2/apps/ha").json()["app"]["instances"] == 3
                wait_deployed(via_old)
            assert len(running_in_master(cluster)) == 3
        finally:
            for server in reversed(servers):
                server.stop()


def spawn(master: str, zk_url: str, log: pathlib.Path) -> tuple[subprocess.Popen, str]:
    return spawn_scheduler("longrun", master, zk_url, log, "--zk-session-timeout", "4", "--tick-interval", "0.1")


def test_kill_9_leader_during_rolling_restart(zk_url, tmp_path):
    with LocalCluster(agents=0, simulated_agents=3) as cluster:
        a, a_url = spawn(cluster.master_address, zk_url, tmp_path / "a.log")
        procs = [a]
        try:
            wait_for(lambda: leader_of(a_url), timeout=30, what="a leader")
            b, b_url = spawn(cluster.master_address, zk_url, tmp_path / "b.log")
            procs.append(b)
            with httpx.Client(base_url=b_url, timeout=10) as api:
                assert api.post("/v2/apps", json=APP).status_code == 201
                wait_deployed(api)
                before = set(running_in_master(cluster))
                assert len(before) == 6
                restart = api.post("/v2/apps/ha/restart").json()

            def halfway():
                tasks = httpx.get(f"{a_url}/v2/apps/ha/tasks", timeout=5).json()["tasks"]
                new = [t for t in tasks if t["version"] == restart["version"] and t["state"] == "TASK_RUNNING"]
                return 1 <= len(new) < 6
            wait_for(halfway, timeout=20, poll=0.02, what="the restart to be under way")
            a.send_signal(signal.SIGKILL)
            a.wait(10)

            wait_for(lambda: leader_of(b_url) == b_url.removeprefix("http://"), timeout=30,
                     what="the standby to lead")
            with httpx.Client(base_url=b_url, timeout=10) as api:
                wait_deployed(api, timeout=30)
                tasks = api.get("/v2/apps/ha/tasks").json()["tasks"]
            assert len(tasks) == 6
            assert {t["version"] for t in tasks} == {restart["version"]}
            running = wait_for(lambda: (lambda r: r if len(r) == 6 else None)(running_in_master(cluster)),
                               timeout=10, what="exactly 6 running tasks in the master")
            assert set(running) == {t["id"] for t in tasks}
            assert not set(running) & before
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
