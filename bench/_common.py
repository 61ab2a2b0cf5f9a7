"""Shared setup for the benchmark scripts (not itself a benchmark: `python -m bench` skips `_` files)."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def cluster_process(agents: int, agent_resources: str) -> Iterator[str]:
    """A LocalCluster of `agents` simulated agents, each offering `agent_resources`, in its own process (as a
    real master would be, set up as `mesosframe local` sets its process up): yields its master address; stops
    the cluster on exit."""
    code = ("import sys; from mesosframe.local.cluster import LocalCluster; from mesosframe.heap import settle_heap; "
            f"c = LocalCluster(agents=0, simulated_agents={agents}, agent_resources={agent_resources!r}).start(); "
            "settle_heap(); print(c.master_address, flush=True); sys.stdin.read(); c.stop()")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
