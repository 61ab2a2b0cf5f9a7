"""The longrun scheduler on simulated agents, against the core's raw launch throughput in the same run.

One LocalCluster (own process) of simulated agents and, in this process, the longrun scheduler (REST API on
loopback), settled as `mesosframe longrun` settles its heap (`settle_heap`), so that baselines and scheduler run
under the same collector. Each run is paired with its own baselines, measured just before it, because this
machine's speed drifts by a factor of two within a minute (a median of floors taken first and of deploys taken
later compared different machines):
- the floor: a bare plugin (`bench.core_launch.Many`) launches N tasks, timed until its loop has handled the
  last RUNNING (the plugin notes the moment; a poll would add up to its interval), then is torn down;
- deploy: an N-instance app (health check, Marathon's environment) until its deployment is over, as a client
  learns it (the deployment_success event on `/v2/events`; checked through the API afterwards); the app is
  deleted before the next run;
- for a rolling restart (minimumHealthCapacity 0.9, maximumOverCapacity at Marathon's default, 1.0): the floor,
  then the core's raw replacement of N running tasks (`Replace`: N new launched, an old one killed as each new
  one runs; timed as the floor), then the restart until over.
Each line of progress gives a run and its baselines; the report gives the median of the runs' ratios, and after
the last deploy and the last restart a phase breakdown (seconds since the request, first..last, from the
scheduler's own events as it publishes them): launches sent (TASK_STAGING), RUNNING seen, kills decided, KILLED
seen, the deployment's end, and when the bench saw it. Last, GET /v2/apps latency (p50/p99) with N instances.

    PYTHONPATH=. python bench/longrun_mesos.py [--instances 1000] [--agents 100] [--requests 200] [--runs 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench._common import cluster_process  # noqa: E402
from bench.core_launch import AGENT, Many  # noqa: E402
from mesosframe.core import Framework  # noqa: E402
from mesosframe.heap import settle_heap  # noqa: E402
from schedulers.longrun.server import LongrunServer  # noqa: E402


def floor_seconds(master: str, n: int) -> float:
    plugin = Many(n)
    framework = Framework("bench-floor", [plugin], master=master)
    start = time.perf_counter()
    framework.start()
    try:
        if not framework.run_until_done(timeout=600, poll=0.02) or plugin.done_at is None:
            raise SystemExit(f"the floor run did not finish: {framework.error}")
        return plugin.done_at - start         # when the loop handled the last RUNNING, not when a poll saw it
    finally:
        framework.stop(failover=False)


class Replace(Many):
    """The core's raw restart: `n` tasks RUNNING, then `n` new ones launched (new keys) and an old one killed as
    each new one turns RUNNING (a restart's pacing, without health checks or deployment bookkeeping). Done when
    every new task runs and every old one is KILLED."""
    name = "bench-replace"

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.replacing = False
        self.old: list[str] = []
        self.new_running = self.killed = 0
        self.replaced_at: float | None = None    # perf_counter when the loop handled the last of it

    def replace(self) -> None:
        """On the loop thread: switch the demand to the new keys."""
        self.keys, self.replacing = [f"n{i}" for i in range(self.n)], True
        self.context.wake()

    def on_status(self, task, now):
        if not self.replacing:
            if task.state == "RUNNING":
                self.running += 1
                self.old.append(task.task_id)
        elif task.key.startswith("n") and task.state == "RUNNING":
            self.new_running += 1
            if self.old:
                self.context.kill(self.old.pop())
        elif task.state == "KILLED":
            self.killed += 1
        if self.replacing and self.new_running >= self.n and self.killed >= self.n and self.replaced_at is None:
            self.replaced_at = time.perf_counter()

    def is_done(self):
        return self.new_running >= self.n and self.killed >= self.n if self.replacing else self.running >= self.n


def replace_seconds(master: str, n: int) -> float:
    """The core's raw replacement of `n` running tasks (see `Replace`), from the switch until done."""
    plugin = Replace(n)
    framework = Framework("bench-replace", [plugin], master=master)
    framework.start()
    try:
        if not framework.run_until_done(timeout=600, poll=0.02):
            raise SystemExit(f"the replace run did not start its tasks: {framework.error}")
        start = time.perf_counter()
        framework.submit(lambda fw: plugin.replace()).result(timeout=60)
        if not framework.run_until_done(timeout=600, poll=0.02) or plugin.replaced_at is None:
            raise SystemExit(f"the replace run did not finish: {framework.error}")
        return plugin.replaced_at - start
    finally:
        framework.stop(failover=False)


class Phases:
    """First and last time (perf_counter) of each phase, from the scheduler's event bus (tapped on its thread:
    each event only appends a pair to a list, so that the measuring costs the measured loop next to nothing)."""

    NAMES = {"TASK_STAGING": "launches sent", "TASK_RUNNING": "RUNNING seen", "KILL": "kills decided",
             "TASK_KILLED": "KILLED seen", "deployment_success": "deployment over"}

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.seen: list[tuple[dict, float]] = []

    def reset(self) -> None:
        self.start, self.seen = time.perf_counter(), []

    def __call__(self, event: dict) -> None:
        self.seen.append((event, time.perf_counter()))      # list.append is atomic: no lock needed

    def report(self, done: float) -> str:
        spans: dict[str, list] = {}
        for event, when in list(self.seen):
            kind = event["eventType"]
            if kind == "status_update_event":
                kind = event["taskStatus"]
                if kind == "TASK_KILLING" and event.get("message"):   # the scheduler's own kill (it gives a reason)
                    kind = "KILL"
            if kind in self.NAMES:
                span = spans.setdefault(kind, [when, when, 0])
                span[1], span[2] = when, span[2] + 1
        rows = [f"    {self.NAMES[k]:16s} {s[0] - self.start:6.2f} .. {s[1] - self.start:6.2f}s  ({s[2]})"
                for k, s in sorted(spans.items(), key=lambda item: item[1][0])]
        return "\n".join(rows + [f"    {'bench saw it':16s} {done - self.start:6.2f}s"])


class DeploymentsOver:
    """Follows `/v2/events?event_type=deployment_success` (as Marathon clients learn that a deployment is over)
    and notes when each deployment's success arrived."""

    def __init__(self, url: str) -> None:
        self.over: dict[str, float] = {}
        self._arrived = threading.Condition()
        self._client = httpx.Client(base_url=url, timeout=None)
        self._listening = threading.Event()
        threading.Thread(target=self._follow, daemon=True).start()
        if not self._listening.wait(10):
            raise SystemExit("the event stream did not open")

    def _follow(self) -> None:
        try:
            with self._client.stream("GET", "/v2/events", params={"event_type": "deployment_success"},
                                     headers={"Accept": "text/event-stream"}) as stream:
                stream.raise_for_status()
                self._listening.set()
                for line in stream.iter_lines():
                    event = json.loads(line[5:]) if line.startswith("data:") else {}
                    if event.get("eventType") == "deployment_success":
                        with self._arrived:
                            self.over[event["id"]] = time.perf_counter()
                            self._arrived.notify_all()
        except httpx.HTTPError:
            pass                    # the server stopped (the end of the run), or `wait` times out and says so

    def wait(self, deployment_id: str, timeout: float = 600.0) -> float:
        """When the deployment's success arrived (perf_counter)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: deployment_id in self.over, timeout):
                raise SystemExit(f"deployment {deployment_id} did not finish")
            return self.over[deployment_id]


def check_done(api: httpx.Client, n: int, version: str | None = None) -> None:
    """After the clock: the app has `n` tasks running, of `version` if given, and no deployment is left."""
    app = api.get("/v2/apps/bench").json()["app"]
    if api.get("/v2/deployments").json() or app["tasksRunning"] != n or version not in (None, app["version"]):
        raise SystemExit(f"the deployment ended with {app['tasksRunning']} of {n} running")


def _pair_report(name: str, pairs: list[tuple[float, float]], baseline: str) -> str:
    ratios = [work / base for base, work in pairs]
    return (f"{name}: median {statistics.median(ratios):.2f}x {baseline} (each run against its own, measured just "
            f"before it), {statistics.median(w for _, w in pairs):.2f}s against "
            f"{statistics.median(b for b, _ in pairs):.2f}s; runs: "
            + ", ".join(f"{w:.2f}/{b:.2f}s = {w / b:.2f}x" for b, w in pairs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5, help="deploys and restarts, each paired with its baselines")
    args = parser.parse_args()
    n = args.instances
    with cluster_process(args.agents, AGENT) as master:
        settle_heap()                       # the floors run under the scheduler process's collector settings
        server = LongrunServer(master, http_port=0, tick_interval=0.1).start()
        server.warm_up()                    # as the `mesosframe longrun` process does once started
        settle_heap()                       # again, to freeze what the server's start made
        try:
            with httpx.Client(base_url=server.url, timeout=60) as api:
                while not server.service.leading:
                    time.sleep(0.02)
                app = {"id": "/bench", "cmd": "sleep", "instances": n, "cpus": 0.01, "mem": 1,
                       "labels": {"mesosframe.sim/healthy": "true"},
                       "healthChecks": [{"protocol": "MESOS_TCP", "portIndex": 0}],
                       "upgradeStrategy": {"minimumHealthCapacity": 0.9}}
                phases = Phases()
                server.service.bus.tap(phases)
                over = DeploymentsOver(server.url)
                deploys: list[tuple[float, float]] = []
                for run in range(args.runs):
                    if run:                 # the app again from nothing: delete it and wait until that is over
                        removed = api.delete("/v2/apps/bench").json()
                        over.wait(removed["deploymentId"])
                    floor = floor_seconds(master, n)
                    start = time.perf_counter()
                    phases.reset()
                    created = api.post("/v2/apps", json=app)
                    created.raise_for_status()
                    deploys.append((floor, over.wait(created.headers["Marathon-Deployment-Id"]) - start))
                    check_done(api, n)
                    print(f"  deploy {run + 1}/{args.runs}: {deploys[-1][1]:.2f}s, the core's launch of {n} tasks "
                          f"just before: {floor:.2f}s", flush=True)
                print(_pair_report(f"deploy {n} instances", deploys, "the core's raw launch floor"))
                print(phases.report(start + deploys[-1][1]))
                restarts: list[tuple[float, float, float]] = []
                for run in range(args.runs):
                    floor, replaced = floor_seconds(master, n), replace_seconds(master, n)
                    start = time.perf_counter()
                    phases.reset()
                    result = api.post("/v2/apps/bench/restart").json()
                    restarts.append((floor, replaced, over.wait(result["deploymentId"]) - start))
                    check_done(api, n, result["version"])
                    print(f"  restart {run + 1}/{args.runs}: {restarts[-1][2]:.2f}s, just before: the core's launch "
                          f"{floor:.2f}s, its raw replace {replaced:.2f}s", flush=True)
                label = "rolling restart (min health 0.9, over 1.0)"
                print(_pair_report(label, [(f, r) for f, _, r in restarts], "the core's raw launch floor"))
                print(_pair_report(label, [(p, r) for _, p, r in restarts], "the core's raw replace"))
                print(_pair_report("the core's raw replace itself (the restart's launches and kills, nothing else)",
                                   [(f, p) for f, p, _ in restarts], "the core's raw launch floor"))
                print(phases.report(start + restarts[-1][2]))
                samples = []
                for _ in range(args.requests):
                    t0 = time.perf_counter()
                    api.get("/v2/apps", params={"embed": "apps.counts"}).raise_for_status()
                    samples.append((time.perf_counter() - t0) * 1000)
                samples.sort()
                p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
                print(f"GET /v2/apps ({n} tasks): p50 {statistics.median(samples):.1f} ms, p99 {p99:.1f} ms")
        finally:
            server.stop(failover=False)


if __name__ == "__main__":
    main()
