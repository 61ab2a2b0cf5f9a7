"""`mesosframe agent` and the master process with the agent link, as real processes on loopback (no root):
the agent joins with its attributes, keeps its id across restarts, and exits cleanly on SIGTERM."""
from __future__ import annotations

import signal
import subprocess
import sys

from mesosframe.local.agent_command import agent_id_for
from mesosframe.testing.topology import REPO_ROOT, http_json, wait_until
from mesosframe.testing.zookeeper import free_port


def spawn(*argv: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *argv], cwd=str(REPO_ROOT), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)


def active_agents(url: str) -> list[dict]:
    return http_json(url + "/master/state")["slaves"]


def test_agent_process_joins_keeps_its_id_and_stops_on_sigterm(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    master = spawn("mesosframe.local.remote.master_process", "--port", str(port), "--agent-ping-timeout", "3")
    agent_argv = ("mesosframe.local.agent_command", "--master", f"127.0.0.1:{port}", "--hostname", "127.0.0.1",
                  "--attributes", "rack:r9;zone:z", "--resources", "cpus:2;mem:512", "--work-dir", str(tmp_path),
                  "--simulated", "--heartbeat-interval", "0.5")
    agent = None
    try:
        wait_until(lambda: http_json(url + "/health") is not None, 20, "the master")
        agent = spawn(*agent_argv)
        joined = wait_until(lambda: active_agents(url), 20, "the agent registered")
        assert joined[0]["attributes"] == {"rack": "r9", "zone": "z"} and joined[0]["hostname"] == "127.0.0.1"
        agent_id = joined[0]["id"]
        assert (tmp_path / "agent_id").read_text().strip() == agent_id
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(15) == 0
        wait_until(lambda: not active_agents(url), 10, "the stopped agent's link dropped")
        agent = spawn(*agent_argv)
        back = wait_until(lambda: active_agents(url), 20, "the restarted agent registered")
        assert back[0]["id"] == agent_id
    finally:
        for proc in (agent, master):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    assert master.returncode == 0


def test_agent_id_comes_from_the_flag_else_the_work_dir_else_is_new(tmp_path):
    fresh = agent_id_for(tmp_path, "10.0.0.5")
    assert fresh.startswith("10.0.0.5-") and agent_id_for(tmp_path, "10.0.0.5") == fresh
    assert agent_id_for(tmp_path, "10.0.0.5", "given-id") == "given-id"
    assert agent_id_for(tmp_path, "10.0.0.5") == "given-id"        # the flag's id is kept for next time
