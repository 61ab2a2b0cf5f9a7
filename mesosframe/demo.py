"""`mesosframe demo`: the whole toolkit on one machine, in a few minutes, with progress on the terminal.

1. an embedded local cluster: three process agents with rack and zone attributes, Unified Containers
   when this machine can run them (root, runc, cgroups), from a busybox image built on the spot;
2. a custom framework written on the core (`DemoPlugin`, below): a few shell tasks and, when
   containers are available, one task in a container;
3. the long-running scheduler (Marathon API) deploying a sample service with a health check;
4. the cron scheduler (Chronos API) running a small dependency chain.

It then prints the URLs and exits, or with `--stay` keeps everything up until Ctrl-C.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import tempfile
import threading
import time
from pathlib import Path

from mesosframe.core import Demand, Framework, SchedulerPlugin
from mesosframe.tasks import Container, TaskSpec, TaskState

log = logging.getLogger("mesosframe.demo")
STAGES = 5


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("demo", help="run the demo: local cluster, bundled schedulers, a sample workload")
    p.add_argument("--agents", type=int, default=3, help="process agents (default 3)")
    p.add_argument("--tasks", type=int, default=4, help="tasks for the custom framework (default 4)")
    p.add_argument("--longrun-port", type=int, default=0, help="Marathon API port (default: a free one)")
    p.add_argument("--cron-port", type=int, default=0, help="Chronos API port (default: a free one)")
    p.add_argument("--no-containers", action="store_true", help="do not use Unified Containers")
    p.add_argument("--stay", action="store_true", help="keep everything running until Ctrl-C")
    p.add_argument("--timeout", type=float, default=180.0, help="give up on a stage after this many seconds")
    p.set_defaults(func=run, default_log_level="WARNING")


class Progress:
    """Numbered stages with elapsed time, on stdout."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.stage = 0

    def step(self, text: str) -> None:
        self.stage += 1
        self.say(f"[{self.stage}/{STAGES}] {text}")

    def say(self, text: str) -> None:
        print(f"{time.monotonic() - self.started:6.1f}s  {text}", flush=True)


class DemoPlugin(SchedulerPlugin):
    """Runs each spec once and reports how it ended."""

    name = "demo"

    def __init__(self, specs: list[TaskSpec], report) -> None:
        self.pending = {spec.name: spec for spec in specs}
        self.report = report

    def demand(self, now):
        return [Demand(name, spec) for name, spec in sorted(self.pending.items())]

    def on_status(self, task, now):
        state = TaskState(task.state)
        if state.is_terminal and task.key in self.pending:
            del self.pending[task.key]
            where = task.agent_id or "?"
            self.report(f"    {task.key}: {state.name} on agent {where}")

    def is_done(self):
        return not self.pending


def _container_options(disabled: bool, progress: Progress, workdir: Path):
    """ContainerOptions with a busybox image store, or None (saying why) when containers are unusable."""
    if disabled:
        return None
    from mesosframe.local.agents import ContainerOptions
    from mesosframe.local.containers import ContainerRuntime
    from mesosframe.testing.images import build_busybox_image

    probe = ContainerRuntime().probe()
    if not probe.usable:
        progress.say("    containers: not available here (" + "; ".join(probe.reasons) + ")")
        return None
    store = workdir / "images"
    store.mkdir(parents=True, exist_ok=True)
    build_busybox_image(store, "busybox:latest")
    progress.say(f"    containers: runc, image store {store} (busybox:latest built from busybox-static)")
    return ContainerOptions(image_store=store, rootfs_cache=workdir / "rootfs")


def _framework_specs(count: int, containers: bool) -> list[TaskSpec]:
    specs = [TaskSpec(name=f"hello-{i}", command=f"echo hello {i} from $HOSTNAME; sleep 1", cpus=0.1, mem=32)
             for i in range(count)]
    if containers:
        specs.append(TaskSpec(name="in-a-container", command="echo my hostname is $(hostname); ps",
                              cpus=0.1, mem=32, container=Container(image="busybox:latest")))
    return specs


def run(args: argparse.Namespace) -> int:
    from mesosframe.local.cluster import LocalCluster

    progress = Progress()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mesosframe-demo-")))
        progress.step(f"local cluster: {args.agents} process agents")
        containers = _container_options(args.no_containers, progress, workdir)
        attributes = [f"rack:r{i + 1};zone:{'ab'[i % 2]}" for i in range(args.agents)]
        cluster = stack.enter_context(LocalCluster(agents=args.agents, agent_attributes=attributes,
                                                   work_dir=str(workdir / "cluster"), containers=containers))
        progress.say(f"    master {cluster.master_url}  (state: {cluster.master_url}/master/state)")

        progress.step("a custom framework on the mesosframe core")
        framework = Framework("demo", [DemoPlugin(_framework_specs(args.tasks, containers is not None),
                                                  progress.say)], master=cluster.master_address).start()
        done = framework.run_until_done(timeout=args.timeout)
        framework.stop(failover=False)
        if not done:
            progress.say(f"    the framework did not finish: {framework.error or 'timeout'}")
            return 1

        urls = _run_schedulers(args, cluster, progress, stack)
        progress.step("done")
        for name, url in urls:
            progress.say(f"    {name}: {url}")
        if args.stay:
            progress.say("    everything stays up; press Ctrl-C to stop")
            with contextlib.suppress(KeyboardInterrupt):
                while not stop.wait(0.5):
                    pass
    return 0


SAMPLE_APP = {
    "id": "/demo/http-service",
    "cmd": "exec python3 -m http.server $PORT0",
    "instances": 2,
    "cpus": 0.1,
    "mem": 64,
    "portDefinitions": [{"port": 0, "name": "http"}],
    "constraints": [["hostname", "UNIQUE"]],
    "healthChecks": [{"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 30,
                      "intervalSeconds": 2, "timeoutSeconds": 2, "maxConsecutiveFailures": 3, "delaySeconds": 1}],
}
SAMPLE_CHAIN = [
    ("iso8601", {"name": "extract", "command": "echo extracted at $(date -u +%T)",
                 "schedule": "R/{now}/PT5S", "cpus": 0.1, "mem": 32, "retries": 1}),
    ("dependency", {"name": "transform", "parents": ["extract"], "command": "echo transformed",
                    "cpus": 0.1, "mem": 32}),
    ("dependency", {"name": "report", "parents": ["transform"], "command": "echo reported",
                    "cpus": 0.1, "mem": 32}),
]


def _wait(what: str, check, timeout: float, progress: Progress, every: float = 0.5):
    """Poll `check()` until it returns a truthy value; say what it reports when it changes."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        value, status = check()
        if status != last:
            progress.say(f"    {status}")
            last = status
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"{what} did not happen within {timeout:.0f}s (last: {last})")


def _run_schedulers(args, cluster, progress: Progress, stack: contextlib.ExitStack) -> list[tuple[str, str]]:
    import httpx

    from mesosframe.testing.zookeeper import free_port
    from schedulers.cron.server import start_demo_cron
    from schedulers.longrun.server import start_demo_longrun

    progress.step("longrun: the Marathon-compatible scheduler deploys a service with a health check")
    longrun = start_demo_longrun(cluster.master_address, http_port=args.longrun_port or free_port())
    stack.callback(longrun.stop, failover=False)
    api = stack.enter_context(httpx.Client(base_url=longrun.url, timeout=10))
    response = api.post("/v2/apps", json=SAMPLE_APP)
    response.raise_for_status()
    progress.say(f"    POST /v2/apps -> {response.status_code}, deployment {response.headers.get('Marathon-Deployment-Id')}")

    def app_healthy():
        app = api.get(f"/v2/apps{SAMPLE_APP['id']}").json()["app"]
        healthy = app.get("tasksHealthy", 0)
        return (healthy >= SAMPLE_APP["instances"] and not app.get("deployments"),
                f"tasks running {app.get('tasksRunning', 0)}, healthy {healthy}/{SAMPLE_APP['instances']}")

    _wait("the service becoming healthy", app_healthy, args.timeout, progress)
    for task in api.get(f"/v2/apps{SAMPLE_APP['id']}/tasks").json()["tasks"]:
        url = f"http://{task['host']}:{task['ports'][0]}/"
        status = httpx.get(url, timeout=5).status_code
        progress.say(f"    instance {task['id']} on {task['host']} serves {url} -> HTTP {status}")

    progress.step("cron: the Chronos-compatible scheduler runs extract -> transform -> report")
    cron = start_demo_cron(cluster.master_address, http_port=args.cron_port or free_port())
    stack.callback(cron.stop, failover=False)
    jobs = stack.enter_context(httpx.Client(base_url=cron.url, timeout=10))
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for route, job in SAMPLE_CHAIN:
        body = {**job, "schedule": job["schedule"].format(now=now)} if "schedule" in job else job
        jobs.post(f"/v1/scheduler/{route}", json=body).raise_for_status()
    progress.say("    jobs added; waiting for the chain to complete once")

    def chain_done():
        counts = {job["name"]: job.get("successCount", 0) for job in jobs.get("/v1/scheduler/jobs").json()}
        return counts.get("report", 0) >= 1, "successes: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))

    _wait("the job chain completing", chain_done, args.timeout, progress)
    return [("Mesos master", cluster.master_url), ("Marathon API", f"{longrun.url}/v2/apps"),
            ("Chronos API", f"{cron.url}/v1/scheduler/jobs")]
