"""HA on a real local cluster and ZooKeeper: kill -9 the leading instance mid-work; the standby takes over
with the same framework ID, reconciles, and finishes without launching any task twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path


from mesosframe.local.cluster import LocalCluster
from mesosframe.local.master.state_json import master_state

ROOT = Path(__file__).resolve().parents[3]


class Instance:
    def __init__(self, zk_url: str, master: str, identity: str, tasks: int, duration: float) -> None:
        cmd = [sys.executable, str(ROOT / "examples" / "ha_framework.py"), "--zk", zk_url, "--master", master,
               "--identity", identity, "--tasks", str(tasks), "--duration", str(duration),
               "--session-timeout", "3", "--timeout", "90"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT / "examples", env={**os.environ, "PYTHONPATH": str(ROOT)},
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    def saw(self, prefix: str) -> bool:
        return any(line.startswith(prefix) for line in self.lines)


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_leader_standby_takes_over_without_relaunching(zk_url):
    with LocalCluster(agents=0, simulated_agents=2, agent_resources="cpus:2;mem:1024;ports:[31000-31100]",
                      status_update_retry=(0.5, 2.0)) as cluster:
        instances = [Instance(zk_url, cluster.master_address, f"i{n}", tasks=12, duration=5.0) for n in range(2)]
        try:
            wait_for(lambda: any(i.saw("leading:") for i in instances), 30, "a leader")
            leader = next(i for i in instances if i.saw("leading:"))
            standby = next(i for i in instances if i is not leader)
            wait_for(lambda: any(line.startswith("launched ") for line in leader.lines), 30, "first launch")
            time.sleep(1.0)                                  # mid-work: tasks run 5 s
            leader.proc.send_signal(signal.SIGKILL)
            leader.proc.wait(timeout=10)
            wait_for(lambda: standby.proc.poll() is not None, 90, "the standby to finish the work")
            assert standby.proc.returncode == 0, standby.lines
        finally:
            for i in instances:
                if i.proc.poll() is None:
                    i.proc.kill()
        takeover = next(line for line in standby.lines if line.startswith("leading:"))
        assert "0 possibly running" not in takeover        # it recovered tasks the dead leader launched
        state = cluster.run(master_state, cluster.master)
    frameworks = state["frameworks"] + state["completed_frameworks"]
    assert len(frameworks) == 1                              # same framework ID, never a new one
    tasks = frameworks[0]["tasks"] + frameworks[0]["completed_tasks"]
    per_job = Counter(t["id"].split(".")[1] for t in tasks)
    assert per_job == Counter({f"job-{i}": 1 for i in range(12)})   # no task launched twice
    assert all(t["state"] in ("TASK_FINISHED", "TASK_KILLED") for t in tasks)
