"""The cron scheduler on a real LocalCluster (one process agent running real commands): slots fire on time and
once each, a dependency chain runs in order, retries and softError. One cluster + scheduler for the module."""
from __future__ import annotations

import pathlib
import statistics
import time
from typing import Callable

import httpx
import pytest

from mesosframe.local.cluster import LocalCluster
from schedulers.cron.schedule import format_instant
from schedulers.cron.server import CronServer

P = "/v1/scheduler"


def wait_for(predicate: Callable[[], object], timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def cron():
    with LocalCluster(agents=1, agent_resources="cpus:16;mem:16384;disk:100000;ports:[31000-31100]") as cluster:
        server = CronServer(cluster.master_address, http_port=0).start()
        wait_for(lambda: server.plugin.active and server.framework.framework_id, what="the scheduler to lead")
        with httpx.Client(base_url=server.url, timeout=10) as http:
            yield server, http
        server.stop(failover=False)


def history(http: httpx.Client, name: str) -> list[dict]:
    return http.get(f"{P}/job/stat/{name}").json()["taskStatHistory"]


def job(name: str, command: str, **fields) -> dict:
    return {"name": name, "command": command, "cpus": 0.1, "mem": 16, "disk": 0, **fields}


def test_a_pt1s_job_fires_every_slot_once_and_on_time(cron, tmp_path):
    """20 s of a PT1S job: every slot ran exactly once (the command's own output), none is missing, and the
    launch (ACCEPT sent, `start`) is at most 0.5 s after the slot, median under 0.15 s."""
    server, http = cron
    out = tmp_path / "slots"
    start = time.time()
    window = 20.0
    assert http.post(f"{P}/iso8601", json=job("every-second", f"echo $MESOSFRAME_CRON_SLOT_MS >> {out}",
                                                  schedule="R//PT1S")).status_code == 204
    time.sleep(window)
    records = history(http, "every-second")
    http.delete(f"{P}/job/every-second")
    ran = [int(line) for line in out.read_text().split()]
    assert len(ran) == len(set(ran)), "a slot ran twice"
    slots = sorted(ran)
    assert len(slots) >= window - 2
    assert all(abs(b - a - 1000) <= 1 for a, b in zip(slots, slots[1:])), "a slot is missing"
    assert slots[0] / 1000 <= start + 1.5
    on_time = [r for r in records if r["state"] == "SUCCEEDED" and r["slot"] > start + 0.5]
    assert len(on_time) >= window - 3 and all(r["coalesced"] == 0 and r["attempt"] == 0 for r in on_time)
    lateness = [r["start"] - r["slot"] for r in on_time]
    assert max(lateness) < 0.5 and statistics.median(lateness) < 0.15, lateness


def test_chain_runs_in_order(cron, tmp_path):
    server, http = cron
    out = tmp_path / "chain"
    # the first run of a is after its children exist: a success before a child was created does not fire it
    first = format_instant(time.time() + 2)
    for spec in (job("chain-a", f"echo a >> {out}", schedule=f"R/{first}/PT2S"),
                 job("chain-b", f"sleep 0.2; echo b >> {out}", parents=["chain-a"]),
                 job("chain-c", f"echo c >> {out}", parents=["chain-b"])):
        route = "dependency" if spec.get("parents") else "iso8601"
        assert http.post(f"{P}/{route}", json=spec).status_code == 204
    wait_for(lambda: len(history(http, "chain-c")) >= 2, timeout=15, what="two chain runs")
    a, b, c = (history(http, n) for n in ("chain-a", "chain-b", "chain-c"))
    http.delete(f"{P}/job/chain-a")
    for child, parents in ((b, a), (c, b)):
        for run in child[:2]:
            before = [p for p in parents if p["end"] is not None and p["end"] <= run["start"]]
            assert before, f"{run['job']} started before its parent finished"
    lines = out.read_text().split()
    assert lines[:6] == ["a", "b", "c", "a", "b", "c"]


def test_retries_then_soft_error_fires_children(cron, tmp_path):
    server, http = cron
    marker = tmp_path / "after-soft"
    hard_marker = tmp_path / "after-hard"
    specs = [job("flaky", "exit 3", schedule="R1/2030-01-01T00:00:00Z/PT1H", retries=2, retryDelaySeconds=0.2,
                 softError=True),
             job("after-flaky", f"touch {marker}", parents=["flaky"]),
             job("broken", "exit 1", schedule="R1/2030-01-01T00:00:00Z/PT1H", retries=0),
             job("after-broken", f"touch {hard_marker}", parents=["broken"])]
    for spec in specs:
        http.post(f"{P}/{'dependency' if spec.get('parents') else 'iso8601'}", json=spec)
    assert http.put(f"{P}/job/flaky").status_code == 204
    assert http.put(f"{P}/job/broken").status_code == 204
    wait_for(marker.exists, timeout=15, what="the soft-error child")
    (flaky,) = history(http, "flaky")
    assert (flaky["state"], flaky["attempt"]) == ("FAILED", 2)
    wait_for(lambda: history(http, "broken"), timeout=10, what="the hard failure")
    assert history(http, "broken")[0]["state"] == "FAILED" and history(http, "broken")[0]["attempt"] == 0
    time.sleep(0.5)
    assert not hard_marker.exists() and history(http, "after-broken") == []
    assert http.get(f"{P}/job/flaky").json()["errorCount"] == 1


def test_api_auth_is_enforced_except_ping(cron):
    server, _ = cron
    secured = CronServer(server.master, http_port=0, bearer_token="s3cret", name="cron-auth").start()
    try:
        wait_for(lambda: secured.plugin.active, what="the second scheduler to lead")
        with httpx.Client(base_url=secured.url, timeout=10) as http:
            assert http.get("/ping").status_code == 200
            assert http.get(f"{P}/jobs").status_code == 401
            assert http.get(f"{P}/jobs", headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert http.get(f"{P}/jobs", headers={"Authorization": "Bearer s3cret"}).json() == []
    finally:
        secured.stop(failover=False)
