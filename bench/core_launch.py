"""End to end: launch N simulated tasks with mesosframe vs a naive pymesos framework (one task per offer,
declining the rest), each against its own fresh LocalCluster of simulated agents. Prints both times and the
ratio of launch rates (tasks reaching TASK_RUNNING per second). The baseline may stop at a time cap; rates
are then compared over what it managed. The master allocates as Mesos does: what an ACCEPT leaves and what a
DECLINE returns is offered again at the next periodic pass (1 s), so one task per offer means about one task
per agent per second, whatever the framework's speed.

    python bench/core_launch.py [--tasks 10000] [--agents 4] [--cap 20]
"""
from __future__ import annotations

import argparse
import signal
import threading
import time

from bench._common import cluster_process
from mesosframe.core import Demand, EngineConfig, Framework, SchedulerPlugin
from mesosframe.tasks import TaskSpec

AGENT = "cpus:1000;mem:1000000;disk:0;ports:[31000-32000]"


class Many(SchedulerPlugin):
    name = "bench"

    def __init__(self, n: int) -> None:
        self.n, self.running = n, 0
        self.spec = TaskSpec(name="t", command="sleep", cpus=0.01, mem=1)
        self.keys = [f"t{i}" for i in range(n)]
        self.done_at: float | None = None     # perf_counter when the loop handled the n-th RUNNING

    def demand(self, now):
        return [Demand(k, self.spec) for k in self.keys]

    def on_status(self, task, now):
        if task.state == "RUNNING":
            self.running += 1
            if self.running == self.n:
                self.done_at = time.perf_counter()

    def is_done(self):
        return self.running >= self.n


def run_mesosframe(n: int, agents: int) -> float:
    with cluster_process(agents, AGENT) as master:
        plugin = Many(n)
        start = time.perf_counter()
        fw = Framework("bench", [plugin], master=master,
                       config=EngineConfig(refuse_seconds=1.0)).start()
        ok = fw.run_until_done(timeout=600, poll=0.05)
        elapsed = time.perf_counter() - start
        fw.stop(failover=False)
    assert ok, f"mesosframe launched only {plugin.running}"
    return elapsed


def run_naive(n: int, agents: int, cap: float) -> tuple[int, float]:
    previous = signal.getsignal(signal.SIGINT)
    from pymesos import MesosSchedulerDriver
    signal.signal(signal.SIGINT, previous)

    class Naive:
        def __init__(self) -> None:
            self.launched = self.running = 0
            self.done = threading.Event()

        def resourceOffers(self, driver, offers):
            for offer in offers:
                if self.launched >= n:
                    driver.declineOffer([offer["id"]], {"refuse_seconds": 0.0})
                    continue
                i = self.launched
                self.launched += 1
                task = {"name": "t", "task_id": {"value": f"t{i}"}, "agent_id": offer["agent_id"],
                        "command": {"value": "sleep"},
                        "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.01}},
                                      {"name": "mem", "type": "SCALAR", "scalar": {"value": 1.0}}]}
                driver.launchTasks([offer["id"]], [task], {"refuse_seconds": 0.0})

        def statusUpdate(self, driver, status):
            if status["state"] == "TASK_RUNNING":
                self.running += 1
                if self.running >= n:
                    self.done.set()

        def __getattr__(self, name):
            return lambda *args: None

    with cluster_process(agents, AGENT) as master:
        sched = Naive()
        start = time.perf_counter()
        driver = MesosSchedulerDriver(sched, {"user": "root", "name": "naive", "failover_timeout": 0.0},
                                      master, implicit_acknowledgements=True)
        driver.start()
        sched.done.wait(cap)
        elapsed = time.perf_counter() - start
        driver.stop()
        driver.join()
    return sched.running, elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tasks", type=int, default=10_000)
    p.add_argument("--agents", type=int, default=4)
    p.add_argument("--cap", type=float, default=20.0, help="time cap for the naive baseline (s)")
    args = p.parse_args()
    naive_count, naive_time = run_naive(args.tasks, args.agents, args.cap)
    ours = run_mesosframe(args.tasks, args.agents)
    naive_rate, our_rate = naive_count / naive_time, args.tasks / ours
    print(f"naive pymesos: {naive_count} tasks running in {naive_time:.1f} s ({naive_rate:.0f}/s)")
    print(f"mesosframe:    {args.tasks} tasks running in {ours:.1f} s ({our_rate:.0f}/s)")
    print(f"ratio: {our_rate / naive_rate:.1f}x faster (goal >= 5x)")


if __name__ == "__main__":
    main()
