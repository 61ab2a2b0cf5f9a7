"""Start a bundled scheduler (`mesosframe longrun|cron`) as a child process and wait until its API listens."""
from __future__ import annotations

import os
import pathlib
import select
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def spawn_scheduler(kind: str, master: str, zk_url: str, log: pathlib.Path,
                    *options: str) -> tuple[subprocess.Popen, str]:
    """Run `mesosframe <kind>` on a free port (`--http-port 0`); returns the process and its base URL once the
    process has printed its "API on <url>" line, which it does only after the HTTP server is listening."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mesosframe", "--log-level", "WARNING", kind, "--master", master, "--zk", zk_url,
         "--http-port", "0", *options],
        stdout=subprocess.PIPE, stderr=log.open("w"), text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else ""
    if " API on " not in line:
        proc.kill()
        raise AssertionError(f"{kind} did not start: {line!r}\n{log.read_text()[-2000:]}")
    return proc, line.split()[3]
