"""`mesosframe demo` (what `make demo` runs) goes through every stage and exits 0."""
import os
import subprocess
import sys


def test_demo_runs_every_stage():
    result = subprocess.run([sys.executable, "-m", "mesosframe", "demo", "--timeout", "120"],
                            capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for stage in ("[1/5] local cluster", "[2/5] a custom framework", "[3/5] longrun", "[4/5] cron", "[5/5] done"):
        assert stage in out
    assert "hello-0: FINISHED" in out
    assert "healthy 2/2" in out
    assert out.count("-> HTTP 200") == 2
    assert "report=1" in out or "report=2" in out
    assert "Traceback" not in result.stderr
