"""Launch lateness of the cron scheduler: N jobs due in the same second, on simulated agents. Lateness is the
time from a slot to the ACCEPT that launches it being sent to the master (its request written to the socket by
the driver's background workers; the time of the master's answer is printed too). Prints
progress, then p50 / p99 / max, and checks every slot was launched exactly once. Goal: p99 <= 100 ms.

    python bench/cron_lateness.py [--jobs 1000] [--agents 4] [--lead 8]
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter

from bench._common import cluster_process
from mesosframe.driver.background import BackgroundCalls
from mesosframe.heap import settle_heap
from schedulers.cron.job import Job
from schedulers.cron.server import CronServer
from schedulers.cron.schedule import format_instant

AGENT = "cpus:1000;mem:1000000;disk:1000000;ports:[31000-32000]"


def record_steps(server: CronServer, steps: dict[str, list[float]]) -> None:
    """Note when the plugin's ticks end, when REVIVE and OFFERS happen and when staged ACCEPTs are released."""
    plugin, driver, loop = server.plugin, server.framework.driver, server.framework.loop
    tick, revive, dispatch = plugin.tick, driver.revive, loop.dispatch

    def timed_tick(now):
        tick(now)
        steps.setdefault("tick done", []).append(time.time())

    def timed_revive(*args, **kwargs):
        steps.setdefault("REVIVE sent", []).append(time.time())
        return revive(*args, **kwargs)

    def timed_dispatch(event):
        if type(event).__name__ == "OffersReceived":
            steps.setdefault("OFFERS received", []).append(time.time())
        dispatch(event)
    engine = server.framework.engine
    release = engine.release

    def timed_release(now):
        effects = release(now)
        if effects:
            steps.setdefault("staged ACCEPTs released", []).append(time.time())
        return effects
    plugin.tick, driver.revive, loop.dispatch, engine.release = timed_tick, timed_revive, timed_dispatch, timed_release


class AcceptLog:
    """Notes when each ACCEPT was written to the master's socket (sent) and when its answer came back. The
    driver's background workers send ACCEPTs; the hooks only keep the bytes (and count their launches for the
    progress line), and `by_key()` decodes them after the run, so that measuring does not slow the workers."""

    def __init__(self) -> None:
        self.writes: list[tuple[float, float | None, bytes]] = []     # (sent, answered, body)
        self.launches = 0
        self._index: dict[int, int] = {}      # id of an ACCEPT call -> its row in `writes`

        def written(calls):
            now = time.time()
            for call in calls:
                if call.kind == "ACCEPT":
                    self._index[id(call)] = len(self.writes)
                    self.writes.append((now, None, call.body))
                    self.launches += call.body.count(b'"task_id"')

        def answered(call, status):
            index = self._index.pop(id(call), None)
            if index is not None:
                sent, _, data = self.writes[index]
                self.writes[index] = (sent, time.time(), data)
        BackgroundCalls.written, BackgroundCalls.answered = staticmethod(written), staticmethod(answered)

    def by_key(self) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
        """Per demand key: when ACCEPTs launching it were sent, and when they were answered."""
        sent: dict[str, list[float]] = {}
        answered: dict[str, list[float]] = {}
        for at, answer, data in self.writes:
            for op in json.loads(data)["accept"]["operations"]:
                for info in op.get("launch", {}).get("task_infos", []):
                    key = info["task_id"]["value"].split(".", 1)[1].rsplit(".", 1)[0]
                    sent.setdefault(key, []).append(at)
                    if answer is not None:
                        answered.setdefault(key, []).append(answer)
        return sent, answered


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--lead", type=float, default=20.0, help="seconds between adding the jobs and the slot")
    args = parser.parse_args()
    with cluster_process(args.agents, AGENT) as master:
        server = CronServer(master, http_port=0).start()
        settle_heap()                       # as the `mesosframe cron` process does once started
        accepts = AcceptLog()
        steps: dict[str, list[float]] = {}
        record_steps(server, steps)
        while not (server.plugin.active and server.framework.framework_id):
            time.sleep(0.05)
        slot = math.ceil(time.time() + args.lead)
        schedule = f"R1/{format_instant(slot)}/PT1H"
        print(f"adding {args.jobs} jobs due at {format_instant(slot)} ...", flush=True)
        for i in range(args.jobs):
            server.service.put_job(Job(name=f"job-{i:05d}", command="true", schedule=schedule, cpus=0.01, mem=1,
                                       disk=1, labels={"mesosframe.sim/duration": "0.5"}))
        if time.time() >= slot:
            print(f"adding took longer than --lead {args.lead}; use a larger one")
            server.stop(failover=False)
            return 1
        print(f"added; the slot is in {slot - time.time():.1f}s", flush=True)
        deadline = slot + 60
        while time.time() < deadline and accepts.launches < args.jobs:
            time.sleep(0.25)
            if time.time() > slot:
                print(f"  launched {accepts.launches}/{args.jobs} at slot+{time.time() - slot:.2f}s", flush=True)
        server.stop(failover=False)
    sent, answered = accepts.by_key()
    lateness = [times[0] - slot for times in sent.values()]
    twice = [k for k, times in sent.items() if len(times) > 1]
    per_job = Counter(k.rsplit(":", 2)[0] for k in sent)
    print(f"jobs {args.jobs}  launched {len(sent)}  launched twice {len(twice)}  "
          f"jobs with more than one slot {sum(1 for n in per_job.values() if n > 1)}")
    if not lateness:
        print("nothing launched")
        return 1
    firsts = {name: min((t for t in times if t >= slot - 0.5), default=None) for name, times in steps.items()}
    firsts["first ACCEPT sent"] = slot + min(lateness)
    print("after the slot: " + ", ".join(f"{name} +{(t - slot) * 1000:.0f} ms"
                                          for name, t in sorted(firsts.items(), key=lambda kv: kv[1] or 0)
                                          if t is not None))
    answers = [times[0] - slot for times in answered.values()]
    if answers:
        print(f"slot -> the master's answer to the ACCEPT: p50 {statistics.median(answers) * 1000:.0f} ms  "
              f"p99 {percentile(answers, 99) * 1000:.0f} ms")
    p50, p99 = statistics.median(lateness), percentile(lateness, 99)
    print(f"lateness slot -> ACCEPT sent: p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms  "
          f"max {max(lateness) * 1000:.0f} ms  (goal p99 <= 100 ms: {'met' if p99 <= 0.1 else 'NOT met'})")
    return 0 if len(sent) == args.jobs and not twice else 1


if __name__ == "__main__":
    sys.exit(main())
