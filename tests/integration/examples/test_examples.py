"""Each example runs to completion against an embedded LocalCluster (as a user would run it)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str, timeout: float = 90.0) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=EXAMPLES, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_hello_framework_runs_n_tasks_and_exits():
    result = run_example("hello_framework.py", "--tasks", "4", "--timeout", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sorted(line for line in lines if line.startswith("task-")) == [f"task-{i}: FINISHED" for i in range(4)]
    assert lines[-1] == "all tasks done"


def test_hello_framework_user_code_is_at_most_30_lines():
    source = (EXAMPLES / "hello_framework.py").read_text().splitlines()
    body = source[source.index("class Hello(SchedulerPlugin):"):]
    code = [line for line in body if line.strip() and not line.strip().startswith("#")]
    assert len(code) <= 30


def test_batch_framework_retries_failures_and_respects_constraints():
    result = run_example("batch_framework.py", "--jobs", "6", "--retries", "2", "--timeout", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for odd in (1, 3, 5):
        assert f"job-{odd}: attempt 1 FAILED" in out and f"job-{odd}: attempt 2 FINISHED" in out
    assert "6/6 jobs finished, 9 attempts" in out


def test_ha_framework_demo_two_instances(zookeeper_server):
    result = run_example("ha_framework.py", "--tasks", "4", "--duration", "0.3", "--timeout", "60", timeout=150)
    assert result.returncode == 0, result.stdout + result.stderr
    launched = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("launched ")]
    assert sorted(launched) == [f"job-{i}" for i in range(4)]          # each job launched exactly once
    assert result.stdout.count("leading:") >= 1
