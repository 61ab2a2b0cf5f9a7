"""100 real `sleep` tasks on process agents, from ACCEPT to every TASK_RUNNING.

Measured: launch through pymesos and the local master on 2 process agents until all N tasks
report TASK_RUNNING (the agent's command-executor path: sandbox, fork/exec, status updates).
Baseline, in the same run: spawning the same N `sleep` processes directly with subprocess.Popen.
Run: `python bench/local_process.py [--tasks 100]`.
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import threading
import time

from pymesos import MesosSchedulerDriver, Scheduler

from mesosframe.local.cluster import LocalCluster


class Runner(Scheduler):
    def __init__(self, total: int) -> None:
        self.total, self.launched, self.running = total, 0, set()
        self.start = None
        self.done = threading.Event()

    def resourceOffers(self, driver, offers):
        for offer in offers:
            cpus = next(r["scalar"]["value"] for r in offer["resources"] if r["name"] == "cpus")
            room = min(int(round(cpus * 10)), self.total - self.launched)
            if room <= 0:
                driver.declineOffer(offer["id"], {"refuse_seconds": 3600})
                continue
            if self.start is None:
                self.start = time.perf_counter()
            tasks = [{"task_id": {"value": f"sleep-{self.launched + i}"}, "agent_id": offer["agent_id"],
                      "name": "sleep", "command": {"value": "sleep 60"},
                      "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                                    {"name": "mem", "type": "SCALAR", "scalar": {"value": 8}}]}
                     for i in range(room)]
            self.launched += room
            driver.launchTasks(offer["id"], tasks, {"refuse_seconds": 3600})

    def statusUpdate(self, driver, status):
        driver.acknowledgeStatusUpdate(status)
        if status["state"] == "TASK_RUNNING":
            self.running.add(status["task_id"]["value"])
            if len(self.running) == self.total:
                self.done.set()


def baseline(count: int) -> float:
    start = time.perf_counter()
    procs = [subprocess.Popen(["/bin/sh", "-c", "sleep 60"]) for _ in range(count)]
    elapsed = time.perf_counter() - start
    for proc in procs:
        proc.kill()
        proc.wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100)
    args = parser.parse_args()
    cpus = args.tasks / 20 + 0.1
    print(f"local_process: {args.tasks} sleep tasks on 2 process agents ...", flush=True)
    with tempfile.TemporaryDirectory() as work, \
            LocalCluster(agents=2, work_dir=work, agent_resources=f"cpus:{cpus:.1f};mem:4096;disk:100") as cluster:
        sched = Runner(args.tasks)
        driver = MesosSchedulerDriver(sched, {"user": "root", "name": "bench"}, cluster.master_address,
                                      implicit_acknowledgements=False)
        driver.start()
        ok = sched.done.wait(120)
        end = time.perf_counter()
        driver.stop()
        driver.join()
        if not ok:
            raise SystemExit(f"local_process: only {len(sched.running)} RUNNING after 120 s")
    measured = end - sched.start
    floor = baseline(args.tasks)
    print(f"local_process: tasks={args.tasks} time={measured:.2f} s ({args.tasks / measured:.0f} tasks/s) "
          f"Popen baseline={floor:.2f} s ratio={measured / floor:.2f}", flush=True)


if __name__ == "__main__":
    main()
