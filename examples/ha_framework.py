"""Highly available framework: instances elect one leader through ZooKeeper; the leader runs the work,
a standby takes over (same framework ID, reconciles, never relaunches a task) if the leader dies.

    # one instance (start two of these, e.g. on two hosts):
    python examples/ha_framework.py --zk zk://zk1:2181/mesosframe --master zk://zk1:2181/mesos
    # demo: a local ZooKeeper, a local cluster, and two instances as subprocesses
    python examples/ha_framework.py
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from _cluster import master_from, parser
from mesosframe.core import Demand, Framework, SchedulerPlugin
from mesosframe.core.leadership import ZooKeeperHA
from mesosframe.tasks import TaskSpec, TaskState


class Work(SchedulerPlugin):
    """N simulated tasks of `duration` seconds; the finished set is persisted so a new leader resumes."""
    name = "work"

    def __init__(self, count: int, duration: float) -> None:
        self.keys, self.duration, self.finished = [f"job-{i}" for i in range(count)], duration, set()

    def recover(self, records):
        # the task records are the truth: a FINISHED one may not have reached `progress` before a crash
        self.finished = set((self.context.load("progress") or {}).get("finished", []))
        self.finished |= {r.key for r in records if r.state == TaskState.FINISHED.value}
        live = [r.key for r in records if not TaskState(r.state).is_terminal]
        print(f"leading: {len(self.finished)} finished, {len(live)} possibly running", flush=True)

    def demand(self, now):
        labels = {"mesosframe.sim/duration": str(self.duration)}
        return [Demand(k, TaskSpec(name=k, command=k, cpus=0.5, mem=32, labels=labels))
                for k in self.keys if k not in self.finished]

    def on_launched(self, task, now):
        print(f"launched {task.key} {task.task_id}", flush=True)

    def on_status(self, task, now):
        if TaskState(task.state).is_terminal:   # a failed job is simply demanded (and launched) again
            if task.state == TaskState.FINISHED.value:
                self.finished.add(task.key)
                self.context.save("progress", {"finished": sorted(self.finished)})
            print(f"{task.key}: {task.state}", flush=True)

    def is_done(self):
        return self.finished >= set(self.keys)


def run_instance(args) -> int:
    ha = ZooKeeperHA(args.zk, "ha-demo", identity=args.identity, session_timeout=args.session_timeout)
    work = Work(args.tasks, args.duration)
    framework = Framework("ha-demo", [work], master=args.master, store=ha.store, election=ha.election,
                          failover_timeout=3600.0).start()
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and framework.error is None:
        if framework.is_done().result(timeout=30):
            framework.stop(failover=False)     # the leader finished the work: tear the framework down
            print("all tasks done", flush=True)
            break
        if framework.engine.paused and set(work.keys) <= set(
                (ha.store.get("frameworks/ha-demo/plugins/work/progress") or _Empty).value.get("finished", [])):
            framework.stop(failover=True)      # a standby: the leader finished the work
            print("work finished by another instance", flush=True)
            break
        time.sleep(0.2)
    else:
        framework.stop(failover=True)
        print(f"not done: {framework.error or 'timeout'}", flush=True)
        ha.close()
        return 1
    ha.close()
    return 0


class _Empty:
    value: dict = {}


def run_demo(args) -> int:
    from mesosframe.testing.zookeeper import ZooKeeperServer
    with ZooKeeperServer() as zk:
        with master_from(None, args.verbose, agents=0, simulated_agents=2,
                         agent_resources="cpus:2;mem:1024;ports:[31000-31100]",
                         status_update_retry=(0.5, 2.0)) as master:
            me = [sys.executable, str(Path(__file__).resolve()), "--zk", zk.url("/mesosframe"),
                  "--master", master, "--tasks", str(args.tasks), "--duration", str(args.duration)]
            procs = [subprocess.Popen([*me, "--identity", f"instance-{i}"]) for i in range(2)]
            codes = [p.wait(timeout=args.timeout + 30) for p in procs]
    return 0 if codes == [0, 0] else 1


def main(argv=None) -> int:
    p = parser(__doc__)
    p.add_argument("--zk", help="zk:// URL for leader election and state (default: a local demo)")
    p.add_argument("--identity")
    p.add_argument("--tasks", type=int, default=8)
    p.add_argument("--duration", type=float, default=1.0)
    p.add_argument("--session-timeout", type=float, default=4.0)
    args = p.parse_args(argv)
    if args.zk and args.master:
        return run_instance(args)
    if args.zk or args.master:
        p.error("give both --zk and --master, or neither for the local demo")
    return run_demo(args)


if __name__ == "__main__":
    sys.exit(main())
