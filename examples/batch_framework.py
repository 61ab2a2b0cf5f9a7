"""Batch jobs with placement constraints and retries, on simulated agents in three racks.

Each job must land on a different rack from its siblings as far as possible (`rack MAX_PER 2`), and the
odd-numbered jobs fail on their first attempt (a simulated exit code) to show retries.

    python examples/batch_framework.py --jobs 6 --retries 2
"""
from __future__ import annotations

import sys
from collections import Counter

from _cluster import master_from, parser
from mesosframe.core import Demand, Framework, SchedulerPlugin
from mesosframe.tasks import TaskSpec, TaskState


class Batch(SchedulerPlugin):
    name = "batch"

    def __init__(self, jobs: int, retries: int) -> None:
        self.retries = retries
        self.attempts = Counter()
        self.result: dict[str, str] = {}
        self.keys = [f"job-{i}" for i in range(jobs)]

    def spec(self, key: str) -> TaskSpec:
        fail = int(key.split("-")[1]) % 2 == 1 and self.attempts[key] == 0
        labels = {"mesosframe.sim/duration": "0.2", "mesosframe.sim/exit_code": "1" if fail else "0"}
        return TaskSpec(name=key, command=f"run {key}", cpus=0.5, mem=64, labels=labels,
                        constraints=(["rack", "MAX_PER", "2"],))

    def demand(self, now):
        return [Demand(k, self.spec(k), group="jobs") for k in self.keys if k not in self.result]

    def on_no_match(self, key, reason, now):
        print(f"{key}: waiting ({dict(reason.reasons)})", flush=True)

    def on_status(self, task, now):
        state = TaskState(task.state)
        if not state.is_terminal:
            return
        self.attempts[task.key] += 1
        print(f"{task.key}: attempt {self.attempts[task.key]} {state.value}", flush=True)
        if state is TaskState.FINISHED or self.attempts[task.key] > self.retries:
            self.result[task.key] = state.value

    def is_done(self):
        return len(self.result) == len(self.keys)


def main(argv=None) -> int:
    p = parser(__doc__)
    p.add_argument("--jobs", type=int, default=6)
    p.add_argument("--retries", type=int, default=2)
    args = p.parse_args(argv)
    batch = Batch(args.jobs, args.retries)
    with master_from(args.master, args.verbose, agents=0, simulated_agents=3,
                     agent_attributes=["rack:r1", "rack:r2", "rack:r3"]) as master:
        framework = Framework("batch", [batch], master=master).start()
        done = framework.run_until_done(timeout=args.timeout)
        framework.stop(failover=False)
    finished = sum(1 for s in batch.result.values() if s == "FINISHED")
    print(f"{finished}/{len(batch.keys)} jobs finished, {sum(batch.attempts.values())} attempts", flush=True)
    return 0 if done and finished == len(batch.keys) else 1


if __name__ == "__main__":
    sys.exit(main())
