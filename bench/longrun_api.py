"""Benchmark: `GET /v2/apps` with 1,000 apps, over a real uvicorn server on loopback.

Prints p50/p99 latency of the HTTP call, and the ratio to a baseline measured in the same process: building
and encoding the same response body as the handler does (`_app_json`, `JSONBody`), without HTTP; and, for
reference, encoding it with the standard library's `json` (what the API used before `JSONBody`). The process runs under the collector settings `mesosframe
longrun` sets once started (`settle_heap`, before the apps exist, as on a fresh start); `--collector default`
keeps CPython's, to compare.

    .venv/bin/python bench/longrun_api.py [apps] [requests] [--collector process|default]
"""
from __future__ import annotations

import json
import socket
import statistics
import sys
import threading
import time

import httpx
import uvicorn

from mesosframe.core.clock import FakeClock
from mesosframe.heap import settle_heap
from schedulers.common.jsonbody import JSONBody
from schedulers.longrun.api import create_app
from schedulers.longrun.api_apps import _app_json
from schedulers.longrun.memory import InMemoryLongrunService
from schedulers.longrun.spec import parse_app


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(n_apps: int = 1000, n_requests: int = 200, collector: str = "process") -> None:
    if collector == "process":
        settle_heap()
    service = InMemoryLongrunService(FakeClock())
    started = time.perf_counter()
    apps = [parse_app({"id": f"/bench/group-{i % 20}/app-{i}", "cmd": "sleep 1000", "instances": 1,
                       "labels": {"team": f"t{i % 7}"}, "env": {"N": str(i)}}) for i in range(n_apps)]
    service.update_apps(apps)
    ticks = service.settle(max_ticks=20)
    print(f"setup: {n_apps} apps, {len(service.tasks())} tasks, {ticks} ticks in "
          f"{time.perf_counter() - started:.2f}s", flush=True)

    baseline, stdlib = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        deployments = service.deployments()
        body = {"apps": [_app_json(service, a, set(), [], deployments) for a in service.apps()]}
        JSONBody(body)
        t1 = time.perf_counter()
        json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        baseline.append(t1 - t0)
        stdlib.append(time.perf_counter() - t1)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise SystemExit("uvicorn did not start")
    samples = []
    size = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for i in range(n_requests + 10):
            t0 = time.perf_counter()
            response = client.get("/v2/apps")
            elapsed = time.perf_counter() - t0
            response.raise_for_status()
            size = len(response.content)
            if i >= 10:               # warm-up requests are not counted
                samples.append(elapsed)
            if i and i % 50 == 0:
                print(f"  {i} requests, last {elapsed * 1000:.1f} ms", flush=True)
        labelled = [client.get("/v2/apps", params={"label": "team==t3"}).elapsed.total_seconds() for _ in range(20)]
    server.should_exit = True
    thread.join(timeout=10)
    base = statistics.median(baseline)
    p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
    print(f"GET /v2/apps ({n_apps} apps, {size / 1024:.0f} KiB): p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
          f"over {len(samples)} requests")
    print(f"GET /v2/apps?label=team==t3: p50 {statistics.median(labelled) * 1000:.1f} ms")
    print(f"baseline (build and encode the body in process): {base * 1000:.1f} ms; HTTP p50 / baseline = "
          f"{p50 / base:.2f}x; encoding it with the standard library instead: {statistics.median(stdlib) * 1000:.1f} ms")


if __name__ == "__main__":
    args = sys.argv[1:]
    chosen = "process"
    if "--collector" in args:
        at = args.index("--collector")
        chosen = args[at + 1] if at + 1 < len(args) else ""
        del args[at:at + 2]
    if chosen not in ("process", "default"):
        raise SystemExit("--collector is 'process' (settle_heap, as the scheduler process) or 'default'")
    main(*(int(a) for a in args[:2]), collector=chosen)
