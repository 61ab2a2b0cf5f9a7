"""End to end through pymesos: N simulated tasks launched, TASK_RUNNING, and acknowledged.

A local master with simulated agents, run as its own process (`python -m mesosframe local`, as a user would
run it; `--in-process` puts it in this process's LocalCluster instead, sharing pymesos's GIL);
pymesos's MesosSchedulerDriver (explicit acknowledgements) launches tasks on every offer until N are placed
and acknowledges every update. Measured: first offer -> the last
RUNNING update acknowledged. Baseline, in the same run: the same driver sending N no-op calls
(REQUEST, which the master accepts and ignores) over the same connection, i.e. the HTTP floor of the N
acknowledgements alone. Also printed: the machine's raw HTTP floor, the same N calls from http.client to a
minimal asyncio server that answers 202 without parsing JSON (no master at all): no master can beat it with a
client that waits for each answer, as pymesos does for every acknowledgement. Goal: >= 2,000 tasks/s.
Run: `python bench/local_e2e.py [--tasks 10000] [--agents 100] [--in-process] [--aiohttp-only]`
(`--aiohttp-only`: without the master's lean front for plain calls, for comparison; the master process is
then this script in `--serve-master` mode, a LocalCluster like `mesosframe local` runs).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import os
import signal
import subprocess
import sys
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


class _Answer202(asyncio.Protocol):
    """Answers every complete request on the connection with an empty 202 (Content-Length framing only)."""

    def connection_made(self, transport) -> None:
        self.transport, self.buffer = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length = next((int(line.split(b":", 1)[1]) for line in self.buffer[:end].lower().split(b"\r\n")
                           if line.startswith(b"content-length:")), 0)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            self.transport.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")


def raw_floor(calls: int) -> float:
    """Seconds for `calls` sequential POSTs (http.client) to a minimal asyncio server in another thread."""
    ready, box = threading.Event(), {}

    def serve() -> None:
        loop = asyncio.new_event_loop()
        server = loop.run_until_complete(loop.create_server(_Answer202, "127.0.0.1", 0))
        box.update(loop=loop, port=server.sockets[0].getsockname()[1])
        ready.set()
        loop.run_forever()
        server.close()
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait()
    conn = http.client.HTTPConnection("127.0.0.1", box["port"])
    body = b'{"type":"REQUEST","framework_id":{"value":"f"},"request":{}}'
    headers = {"Content-Type": "application/json", "Mesos-Stream-Id": "s"}
    start = time.perf_counter()
    for _ in range(calls):
        conn.request("POST", "/api/v1/scheduler", body=body, headers=headers)
        conn.getresponse().read()
    elapsed = time.perf_counter() - start
    conn.close()
    box["loop"].call_soon_threadsafe(box["loop"].stop)
    thread.join(5)
    return elapsed


@contextlib.contextmanager
def master_process(agents: int, resources: str, fast_path: bool = True):
    """`python -m mesosframe local` (or, without the fast path, this script serving a LocalCluster) in a
    child process; yields its `host:port`."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "mesosframe", "local", "--port", "0", "--agents", "0",
               "--simulated-agents", str(agents), "--agent-resources", resources, "--heartbeat-interval", "60"]
    if not fast_path:
        command = [sys.executable, __file__, "--serve-master", "--agents", str(agents), "--resources", resources]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        address = None
        for line in child.stdout:
            if line.startswith("master address: "):
                address = line.split(": ", 1)[1].strip()
                break
        if address is None:
            raise SystemExit(f"local_e2e: the master process exited ({child.wait()})")
        yield address
    finally:
        child.terminate()
        child.wait(30)


@contextlib.contextmanager
def master_in_process(agents: int, resources: str, fast_path: bool = True):
    with LocalCluster(agents=0, simulated_agents=agents, agent_resources=resources,
                      heartbeat_interval=60, fast_path=fast_path) as cluster:
        yield cluster.master_address


def serve_master(agents: int, resources: str) -> None:
    """The child of `--aiohttp-only`: a LocalCluster without the fast path until SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with master_in_process(agents, resources, fast_path=False) as address:
        print(f"master address: {address}", flush=True)
        stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--in-process", action="store_true", help="master in this process (one GIL)")
    parser.add_argument("--aiohttp-only", action="store_true", help="without the master's lean front")
    parser.add_argument("--serve-master", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--resources", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_master:
        return serve_master(args.agents, args.resources)
    per_agent_cpus = max(1, args.tasks // args.agents + 1) / 100 * 1.0
    resources = f"cpus:{per_agent_cpus:.2f};mem:{args.tasks * 2};disk:1000"
    where = "in this process" if args.in_process else "in its own process"
    where += " (aiohttp only)" if args.aiohttp_only else ""
    print(f"local_e2e: {args.tasks} tasks on {args.agents} simulated agents, master {where} ...", flush=True)
    master = master_in_process if args.in_process else master_process
    with master(args.agents, resources, fast_path=not args.aiohttp_only) as address:
        sched = Launcher(args.tasks)
        driver = MesosSchedulerDriver(sched, {"user": "root", "name": "bench"}, address,
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
        floor = baseline(address, args.tasks)
    raw = raw_floor(args.tasks)
    rate = args.tasks / measured
    print(f"local_e2e: tasks={args.tasks} time={measured:.2f} s rate={rate:.0f} tasks/s  "
          f"no-op-call baseline={floor:.2f} s ratio={measured / floor:.2f}  raw HTTP floor={raw:.2f} s "
          f"({args.tasks / raw:.0f} calls/s, ratio {measured / raw:.2f})  (goal >= 2000 tasks/s); "
          f"updates received={sched.updates} (re-sent duplicates: {sched.updates - args.tasks})", flush=True)


if __name__ == "__main__":
    main()
