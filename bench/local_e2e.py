"""End to end through pymesos: N simulated tasks launched, TASK_RUNNING, and acknowledged.

A LocalCluster with simulated agents; pymesos's MesosSchedulerDriver (explicit acknowledgements) launches
tasks on every offer until N are placed and acknowledges every update. Measured: first offer -> the last
RUNNING update acknowledged. Baseline, in the same run: the same driver sending N no-op calls
(REQUEST, which the master accepts and ignores) over the same connection, i.e. the HTTP floor of the N
acknowledgements alone. Goal: >= 2,000 tasks/s.
Run: `python bench/local_e2e.py [--tasks 10000] [--agents 100]`.
"""
from __future__ import annotations

import argparse
import threading
import time

from pymesos import MesosSchedulerDriver, Scheduler

from mesosframe.local.cluster import LocalCluster


class Launcher(Scheduler):
    """Fills every offer with 0.01-cpu tasks until `total` are launched; acknowledges every update."""

    def __init__(self, total: int) -> None:
        self.total, self.launched, self.updates = total, 0, 0
        self.running: set[str] = set()
        self.first_offer = None
        self.done = threading.Event()

    def resourceOffers(self, driver, offers):
        if self.first_offer is None:
            self.first_offer = time.perf_counter()
        for offer in offers:
            cpus = next(r["scalar"]["value"] for r in offer["resources"] if r["name"] == "cpus")
            room = min(int(round(cpus * 100)), self.total - self.launched)
            if room <= 0:
                driver.declineOffer(offer["id"], {"refuse_seconds": 3600})
                continue
            tasks = [{"task_id": {"value": f"t{self.launched + i}"}, "agent_id": offer["agent_id"],
                      "name": "sim", "command": {"value": "sleep 3600"},
                      "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.01}},
                                    {"name": "mem", "type": "SCALAR", "scalar": {"value": 1}}]}
                     for i in range(room)]
            self.launched += room
            driver.launchTasks(offer["id"], tasks, {"refuse_seconds": 3600})

    def statusUpdate(self, driver, status):
        driver.acknowledgeStatusUpdate(status)
        self.updates += 1
        if status["state"] == "TASK_RUNNING":
            self.running.add(status["task_id"]["value"])
            if len(self.running) == self.total:
                self.done.set()


class Registered(Scheduler):
    def __init__(self) -> None:
        self.ready = threading.Event()

    def registered(self, driver, framework_id, master_info):
        self.ready.set()


def baseline(address: str, calls: int) -> float:
    sched = Registered()
    driver = MesosSchedulerDriver(sched, {"user": "root", "name": "baseline"}, address,
                                  implicit_acknowledgements=False)
    driver.start()
    sched.ready.wait(10)
    start = time.perf_counter()
    for _ in range(calls):
        driver.requestResources([])
    elapsed = time.perf_counter() - start
    driver.stop()
    driver.join()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=100)
    args = parser.parse_args()
    per_agent_cpus = max(1, args.tasks // args.agents + 1) / 100 * 1.0
    resources = f"cpus:{per_agent_cpus:.2f};mem:{args.tasks * 2};disk:1000"
    print(f"local_e2e: {args.tasks} tasks on {args.agents} simulated agents ...", flush=True)
    with LocalCluster(agents=0, simulated_agents=args.agents, agent_resources=resources) as cluster:
        sched = Launcher(args.tasks)
        driver = MesosSchedulerDriver(sched, {"user": "root", "name": "bench"}, cluster.master_address,
                                      implicit_acknowledgements=False)
        driver.start()
        finished = sched.done.wait(300)
        end = time.perf_counter()
        driver.stop()
        driver.join()
        if not finished:
            raise SystemExit(f"local_e2e: only {len(sched.running)} of {args.tasks} tasks RUNNING after 300 s")
        measured = end - sched.first_offer
        print(f"local_e2e: baseline: {args.tasks} no-op calls through pymesos ...", flush=True)
        floor = baseline(cluster.master_address, args.tasks)
    rate = args.tasks / measured
    print(f"local_e2e: tasks={args.tasks} time={measured:.2f} s rate={rate:.0f} tasks/s  "
          f"no-op-call baseline={floor:.2f} s ratio={measured / floor:.2f}  (goal >= 2000 tasks/s); "
          f"updates received={sched.updates} (re-sent duplicates: {sched.updates - args.tasks})", flush=True)


if __name__ == "__main__":
    main()
