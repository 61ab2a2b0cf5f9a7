"""HA on a real LocalCluster (a process agent running real commands) and ZooKeeper: two `mesosframe cron`
processes; the leader is killed with SIGKILL while runs are in progress and a dependency fan-out is running.
The standby takes over, and the run ledger, the commands' own output and the master all show every slot
exactly once: no slot ran twice, every slot is accounted for, every parent success fired each child once."""
from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import httpx

from mesosframe.local.cluster import LocalCluster
from mesosframe.local.master.state_json import master_state
from mesosframe.state import ZooKeeperStateStore
from tests.integration.scheduler_process import spawn_scheduler

P = "/v1/scheduler"
CHILDREN = ("f1", "f2", "f3")


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Instance:
    """One `mesosframe cron` process, listening once constructed."""

    def __init__(self, master: str, zk_url: str, log: Path) -> None:
        self.proc, self.url = spawn_scheduler("cron", master, zk_url, log, "--zk-session-timeout", "2")
        self.address = self.url.removeprefix("http://")

    def leading(self) -> bool:
        return httpx.get(f"{self.url}/metrics", timeout=2).json()["gauges"].get("leading") == 1


def job(name: str, command: str, **fields) -> dict:
    return {"name": name, "command": command, "cpus": 0.1, "mem": 16, "disk": 0, "concurrent": True, **fields}


def test_kill_9_the_leader_during_runs_and_a_fan_out(zk_url, tmp_path):
    ticks, fanout = tmp_path / "ticks", tmp_path / "fanout"
    with LocalCluster(agents=1, agent_resources="cpus:32;mem:32768;disk:100000;ports:[31000-31100]") as cluster:
        instances = [Instance(cluster.master_address, zk_url, tmp_path / f"i{n}.log") for n in range(2)]
        try:
            leader = wait_for(lambda: next((i for i in instances if i.leading()), None), 30, "a leader")
            standby = next(i for i in instances if i is not leader)
            with httpx.Client(base_url=standby.url, timeout=10) as api:        # through the standby's proxy
                assert api.post(f"{P}/iso8601", json=job(
                    "tick", f"echo $MESOSFRAME_CRON_SLOT_MS >> {ticks}; sleep 1.5", schedule="R//PT1S")).status_code == 204
                first = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))   # after the children exist
                assert api.post(f"{P}/iso8601", json=job("fan", "true", schedule=f"R/{first}/PT2S")).status_code == 204
                for child in CHILDREN:
                    assert api.post(f"{P}/dependency", json=job(
                        child, f"echo $CHRONOS_JOB_NAME:$MESOSFRAME_CRON_SLOT_MS >> {fanout}; sleep 1",
                        parents=["fan"])).status_code == 204
                assert api.get(f"{P}/leader").json()["leader"] == leader.address

                def fanning_out() -> bool:
                    rows = {r["name"]: r["status"] for r in api.get(f"{P}/jobs/summary").json()["jobs"]}
                    return rows.get("f1") == "running" and time.monotonic() > started + 4
                started = time.monotonic()
                wait_for(fanning_out, 20, "a fan-out in progress")
            leader.proc.send_signal(signal.SIGKILL)
            leader.proc.wait(timeout=10)
            wait_for(standby.leading, 30, "the standby to lead")
            time.sleep(5)
            standby.proc.send_signal(signal.SIGTERM)        # stops with failover: the ledger stays as it is
            standby.proc.wait(timeout=20)
            _ledger_checks(zk_url)
        finally:
            for i in instances:
                if i.proc.poll() is None:
                    i.proc.kill()
        state = cluster.run(master_state, cluster.master)

    frameworks = state["frameworks"] + state["completed_frameworks"]
    assert len(frameworks) == 1                                        # the standby reused the framework ID
    tasks = frameworks[0]["tasks"] + frameworks[0]["completed_tasks"]
    keys = Counter(t["id"].split(".", 1)[1].rsplit(".", 1)[0] for t in tasks)
    assert keys and max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]   # no attempt launched twice

    ran = Counter(int(line) for line in ticks.read_text().split())
    assert ran and max(ran.values()) == 1                             # no tick slot ran twice
    slots = sorted(ran)
    assert slots[-1] - slots[0] >= 8000                               # the run spans the failover
    lines = Counter(fanout.read_text().split())
    assert lines and max(lines.values()) == 1                         # no child run twice


def _ledger_checks(zk_url: str) -> None:
    """From the ledger in ZooKeeper: tick slots from the first to the last are each recorded once (a record run,
    or folded as `coalesced` into the next catch-up run while no leader was up); each `fan` success is exactly
    one record per child (the fan-out is written in one transaction with the parent's success)."""
    store = ZooKeeperStateStore.from_url(f"{zk_url}/cron/state")
    try:
        runs = sorted((store.get(f"cron/runs/tick/{n}").value for n in store.list("cron/runs/tick")),
                      key=lambda r: r["trigger_ms"])
        assert len(runs) >= 8
        for before, after in zip(runs, runs[1:]):
            assert round((after["trigger_ms"] - before["trigger_ms"]) / 1000) - 1 == after["coalesced"], (before, after)
        assert {r["state"] for r in runs} <= {"SUCCEEDED", "RUNNING", "STARTING", "QUEUED"}
        fan = [store.get(f"cron/runs/fan/{n}").value for n in store.list("cron/runs/fan")]
        successes = sum(r["state"] == "SUCCEEDED" for r in fan)
        assert successes >= 3
        for child in CHILDREN:
            assert len(store.list(f"cron/runs/{child}")) == successes, child
    finally:
        store.close()
