"""Container start latency: spec + rootfs + cgroup + `runc run` until the process runs, against plain process start.

Measured per start: building the ContainerSpec from TaskInfo JSON and `ContainerRuntime.launch` (overlay or copy
rootfs from the cached image, parent cgroup, config.json, `runc run` until its pid file exists). The baseline, in
the same run, is `subprocess.Popen` of the same command on the host (returns once exec succeeded). Image
extraction is cached before timing; its one-time cost is printed separately. Stopping and cleanup are not timed.
Run (root): `python bench/containers_start.py [--iterations N] [--backend overlay|copy]`.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mesosframe.local.containers import ContainerRuntime, ContainerSpec, ImageStore
from mesosframe.testing.images import build_busybox_image

COMMAND = "sleep 30"
TASK = {"command": {"value": COMMAND}, "resources": [
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
    {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}]}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def plain_starts(iterations: int) -> list[float]:
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        process = subprocess.Popen(["/bin/sh", "-c", COMMAND], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - started)
        process.kill()
        process.wait()
    return samples


async def container_starts(base: Path, iterations: int, backend: str | None) -> tuple[list[float], float]:
    store = ImageStore(base / "registry", base / "cache")
    build_busybox_image(store.directory, "busybox:latest")
    image = store.resolve("busybox")
    started = time.perf_counter()
    rootfs = await asyncio.to_thread(store.rootfs, image)
    extraction = time.perf_counter() - started
    runtime = ContainerRuntime(state_root=base / "runc", cgroup_root=f"mesosframe-bench-{os.getpid()}",
                               rootfs_backend=backend)
    samples = []
    for i in range(iterations):
        container_id = f"bench-{os.getpid()}-{i}"
        started = time.perf_counter()
        spec = ContainerSpec.from_task_info(TASK, image.config, base / "sandboxes" / container_id, container_id)
        container = await runtime.launch(spec, rootfs, base / "bundles" / container_id)
        samples.append(time.perf_counter() - started)
        await container.kill(grace_period=0)
        await container.destroy()
    runtime.remove_cgroup_root()
    return samples, extraction


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--backend", choices=["overlay", "copy"], default=None)
    args = parser.parse_args()
    probe = ContainerRuntime().probe()
    if not probe.usable:
        print("container runtime unusable: " + "; ".join(probe.reasons), file=sys.stderr)
        return 1
    base = Path(tempfile.mkdtemp(prefix="mesosframe-bench-"))
    try:
        plain = plain_starts(args.iterations)
        containers, extraction = asyncio.run(container_starts(base, args.iterations, args.backend))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"image extraction (once, cached): {extraction * 1000:.1f} ms")
    print(f"{'':22}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for label, samples in (("plain Popen", plain), ("container (runc)", containers)):
        print(f"{label:22}{percentile(samples, 0.5) * 1000:10.2f}{percentile(samples, 0.99) * 1000:10.2f}"
              f"{statistics.mean(samples) * 1000:10.2f}")
    print(f"ratio container/plain: p50 {percentile(containers, 0.5) / percentile(plain, 0.5):.1f}x, "
          f"p99 {percentile(containers, 0.99) / percentile(plain, 0.99):.1f}x  (n={args.iterations})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
