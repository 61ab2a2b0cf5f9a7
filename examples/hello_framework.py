"""Hello, Mesos: run N shell tasks, print how each ended, exit when all are done.

    python examples/hello_framework.py --tasks 5                 # embedded local cluster
    python examples/hello_framework.py --master zk://zk1:2181/mesos
"""
from __future__ import annotations

import sys

from _cluster import master_from, parser
from mesosframe.core import Demand, Framework, SchedulerPlugin
from mesosframe.tasks import TaskSpec, TaskState


class Hello(SchedulerPlugin):
    name = "hello"

    def __init__(self, count: int) -> None:
        self.left = {f"task-{i}" for i in range(count)}

    def demand(self, now):
        return [Demand(key, TaskSpec(name=key, command=f"echo hello from {key}", cpus=0.1, mem=32))
                for key in sorted(self.left)]

    def on_status(self, task, now):
        if TaskState(task.state).is_terminal:
            print(f"{task.key}: {task.state}", flush=True)
            self.left.discard(task.key)

    def is_done(self):
        return not self.left


def main(argv=None) -> int:
    p = parser(__doc__)
    p.add_argument("--tasks", type=int, default=3)
    args = p.parse_args(argv)
    with master_from(args.master, args.verbose) as master:
        framework = Framework("hello", [Hello(args.tasks)], master=master).start()
        done = framework.run_until_done(timeout=args.timeout)
        framework.stop(failover=False)
    print("all tasks done" if done else f"not done: {framework.error or 'timeout'}", flush=True)
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
