"""A multi-node mesosframe cluster on one machine: every node is a `NetworkLab` host (network namespace).

    with Topology(TopologySpec()) as top:           # needs root (network namespaces)
        top.zk_url                                   # zk://10.213.x.11:2181/mesos
        top.leading_master()                         # "m1"
        top.kill("m1")                               # SIGKILL a node's processes
        top.hosts["a2"].link_down()

Nodes: `zk` (ZooKeeper), masters `m1..mN` (HA through ZooKeeper, `master_process`), agents (`mesosframe
agent`, hostname = the node's IP, attributes from the spec), and optionally `lr1..` / `cr1..`: the bundled
longrun (Marathon API, port 8080) and cron (Chronos API, port 4400) schedulers, HA through ZooKeeper.
Processes log to `<log_dir>/<node>.log`. `close()` kills everything and removes the namespaces, even
after a failed start.
"""
from __future__ import annotations

import json
import logging
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from mesosframe.errors import ConfigurationError
from mesosframe.testing.netns import PREFIX, Host, NetworkLab
from mesosframe.testing.zookeeper import ZooKeeperServer

log = logging.getLogger("mesosframe.testing.topology")

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
MASTER_PORT, LONGRUN_PORT, CRON_PORT, ZK_PORT = 5050, 8080, 4400, 2181


class TopologyError(ConfigurationError):
    """The topology could not be brought up (the message names the node and its log)."""


@dataclass(frozen=True)
class AgentSpec:
    name: str
    attributes: str = ""
    resources: str = "cpus:4;mem:4096;disk:10240;ports:[31000-32000]"


@dataclass
class TopologySpec:
    """What to run. Timeouts are short so that failures are detected within seconds in tests."""
    masters: int = 2
    agents: tuple[AgentSpec, ...] = (AgentSpec("a1", "rack:r1;zone:a"), AgentSpec("a2", "rack:r2;zone:a"),
                                     AgentSpec("a3", "rack:r3;zone:b"))
    longrun: int = 2
    cron: int = 2
    simulated_agents: bool = False
    agent_ping_timeout: float = 4.0
    zk_session_timeout: float = 4.0
    agent_heartbeat: float = 1.0
    extra_env: dict[str, str] = field(default_factory=dict)


def schedulers_available() -> list[str]:
    """Which bundled scheduler commands exist in this tree ("longrun", "cron")."""
    found = []
    for name in ("longrun", "cron"):
        if (REPO_ROOT / "schedulers" / name / "command.py").exists():
            found.append(name)
    return found


def http_json(url: str, timeout: float = 2.0, data: dict | None = None, method: str | None = None) -> dict | list:
    """GET (or send `data` as JSON) and decode the JSON answer; raises OSError/HTTPError on failure."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/json"} if body else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
    return json.loads(raw) if raw else {}


def wait_until(condition, timeout: float, what: str, interval: float = 0.2):
    """Poll `condition()` until it returns something truthy; TopologyError naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except (OSError, ValueError) as exc:
            last_error = exc
        time.sleep(interval)
    raise TopologyError(f"timed out waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


class Topology:
    """Brings a `TopologySpec` up in network namespaces; see the module docstring."""

    def __init__(self, spec: TopologySpec | None = None, *, name: str | None = None,
                 log_dir: str | None = None) -> None:
        self.spec = spec or TopologySpec()
        self.lab = NetworkLab(name or lab_name_for(os.getpid()))
        self._tmp = None if log_dir else tempfile.TemporaryDirectory(prefix="mesosframe-topology-")
        self.log_dir = pathlib.Path(log_dir or self._tmp.name)
        self.zk: ZooKeeperServer | None = None
        self.hosts: dict[str, Host] = {}
        self.masters: list[str] = []
        self.agents: list[str] = []
        self.longrun: list[str] = []
        self.cron: list[str] = []

    # ----- addresses -------------------------------------------------------------------------
    @property
    def zk_url(self) -> str:
        return f"zk://{self.hosts['zk'].ip}:{ZK_PORT}/mesos"

    def zk_path_url(self, path: str) -> str:
        return f"zk://{self.hosts['zk'].ip}:{ZK_PORT}{path}"

    def url(self, node: str) -> str:
        """The HTTP URL of a master, longrun or cron node."""
        port = MASTER_PORT if node in self.masters else LONGRUN_PORT if node in self.longrun else CRON_PORT
        return f"http://{self.hosts[node].ip}:{port}"

    def ip(self, node: str) -> str:
        return self.hosts[node].ip

    # ----- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> "Topology":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, timeout: float = 60.0) -> "Topology":
        try:
            self._start(timeout)
        except BaseException:
            self.close()
            raise
        return self

    def _start(self, timeout: float) -> None:
        spec = self.spec
        self.lab.start()
        zk_host = self._add("zk")
        self.zk = ZooKeeperServer(host=zk_host.ip, port=ZK_PORT, netns=zk_host.netns,
                                  data_dir=str(self.log_dir / "zk")).start(timeout)
        for index in range(1, spec.masters + 1):
            self.start_master(f"m{index}")
        wait_until(self.leading_master, timeout, "a leading master")
        for agent in spec.agents:
            self.start_agent(agent)
        wait_until(lambda: len(self.master_state()["slaves"]) == len(spec.agents), timeout,
                   f"{len(spec.agents)} agents registered")
        available = schedulers_available()
        for kind, prefix, count, port in (("longrun", "lr", spec.longrun, LONGRUN_PORT),
                                          ("cron", "cr", spec.cron, CRON_PORT)):
            if kind not in available:
                log.warning("scheduler_missing kind=%s (not started)", kind)
                continue
            for index in range(1, count + 1):
                self.start_scheduler(kind, f"{prefix}{index}", port)
        for node in self.longrun + self.cron:
            wait_until(lambda: self._answers(self.url(node) + "/ping"), timeout, f"{node}'s API")

    def close(self) -> None:
        """Stop agents gently (they kill their tasks), then kill every process left in the nodes (tasks
        run in sessions of their own), stop ZooKeeper, delete the namespaces. Safe to call twice."""
        try:
            for name in self.agents:
                if name in self.hosts:
                    self.hosts[name].kill_all(signal.SIGTERM)
            for host in self.hosts.values():
                kill_namespace_processes(host.netns)
            self.lab.close()
        finally:
            if self.zk is not None:
                self.zk.stop()
                self.zk = None
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None

    # ----- nodes -----------------------------------------------------------------------------
    def _add(self, name: str) -> Host:
        host = self.hosts[name] = self.lab.add_host(name)
        return host

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        """Run `python argv...` in node `name` (created if new), logging to `<log_dir>/<name>.log`."""
        host = self.hosts.get(name) or self._add(name)
        logfile = open(self.log_path(name), "ab")
        try:
            return host.popen([sys.executable, *argv], cwd=str(REPO_ROOT), stdout=logfile,
                              stderr=subprocess.STDOUT,
                              env={**_base_env(), **self.spec.extra_env})
        finally:
            logfile.close()

    def start_master(self, name: str) -> None:
        ip = (self.hosts.get(name) or self._add(name)).ip
        self.spawn(name, ["-m", "mesosframe.local.remote.master_process", "--host", ip, "--port", str(MASTER_PORT),
                           "--zk", self.zk_url, "--zk-session-timeout", str(self.spec.zk_session_timeout),
                           "--agent-ping-timeout", str(self.spec.agent_ping_timeout),
                           "--heartbeat-interval", "2", "--link-ping-interval", "1"])
        if name not in self.masters:
            self.masters.append(name)
        wait_until(lambda: self._answers(self.url(name) + "/health"), 30, f"master {name}")

    def start_agent(self, agent: AgentSpec) -> None:
        ip = (self.hosts.get(agent.name) or self._add(agent.name)).ip
        work_dir = self.log_dir / f"{agent.name}-work"
        argv = ["-m", "mesosframe.local.agent_command", "--master", self.zk_url, "--hostname", ip,
                "--resources", agent.resources, "--work-dir", str(work_dir),
                "--heartbeat-interval", str(self.spec.agent_heartbeat), "--status-update-retry", "1",
                "--zk-session-timeout", str(self.spec.zk_session_timeout)]
        if agent.attributes:
            argv += ["--attributes", agent.attributes]
        if self.spec.simulated_agents:
            argv.append("--simulated")
        self.spawn(agent.name, argv)
        if agent.name not in self.agents:
            self.agents.append(agent.name)

    def start_scheduler(self, kind: str, name: str, port: int) -> None:
        ip = (self.hosts.get(name) or self._add(name)).ip
        self.spawn(name, ["-m", "mesosframe", kind, "--master", self.zk_url, "--zk", self.zk_path_url(f"/{kind}"),
                           "--zk-session-timeout", str(self.spec.zk_session_timeout),
                           "--http-port", str(port), "--hostname", ip])
        (self.longrun if kind == "longrun" else self.cron).append(name)

    def log_path(self, node: str) -> pathlib.Path:
        return self.log_dir / f"{node}.log"

    def kill(self, node: str, sig: int = signal.SIGKILL) -> None:
        """Kill every process of a node (SIGKILL: as if the machine died)."""
        self.hosts[node].kill_all(sig)

    # ----- inspection ------------------------------------------------------------------------
    @staticmethod
    def _answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1.0) as response:
                return response.status < 500
        except urllib.error.HTTPError as exc:
            return exc.code < 500
        except OSError:
            return False

    def leading_master(self) -> str | None:
        """The master node whose `/master/state` says it leads (None when none does)."""
        for name in self.masters:
            try:
                state = http_json(self.url(name) + "/master/state", timeout=1.0)
            except OSError:
                continue
            if state.get("leader") == state.get("pid"):
                return name
        return None

    def master_state(self) -> dict:
        """`/master/state` of the leading master."""
        leader = self.leading_master()
        if leader is None:
            raise OSError("no leading master")
        return http_json(self.url(leader) + "/master/state")

    def describe(self) -> dict[str, str]:
        """Human-readable endpoints: ZooKeeper, masters, agents, schedulers' APIs."""
        out = {"zookeeper": self.zk_url}
        for name in self.masters:
            out[f"master {name}"] = self.url(name)
        for name in self.agents:
            out[f"agent {name}"] = self.ip(name)
        for name in self.longrun:
            out[f"Marathon API {name}"] = self.url(name)
        for name in self.cron:
            out[f"Chronos API {name}"] = self.url(name)
        return out


def lab_name_for(pid: int) -> str:
    """`t<pid in base 36>`: a NetworkLab name (6 characters at most) that tells which process owns it."""
    digits, out = "0123456789abcdefghijklmnopqrstuvwxyz", ""
    while True:
        pid, rest = divmod(pid, 36)
        out = digits[rest] + out
        if not pid:
            return "t" + out


def kill_namespace_processes(netns: str) -> None:
    """SIGKILL every process inside network namespace `netns` (no-op when it does not exist)."""
    result = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True)
    for pid in result.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def sweep_stale_topologies() -> list[str]:
    """Remove what topologies of dead processes left behind (namespaces `mf-t<pid36>-*`, their processes,
    veths and bridge); labs of live processes, and labs that are not topologies, are left alone.
    Returns the lab names removed."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    stale: dict[str, list[str]] = {}
    for line in listing.splitlines():
        netns = line.split(" ")[0]
        lab = netns[len(PREFIX):].split("-")[0] if netns.startswith(PREFIX + "t") else ""
        if lab and not _alive(int(lab[1:], 36)):
            stale.setdefault(lab, []).append(netns)
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    for lab, namespaces in stale.items():
        for netns in namespaces:
            kill_namespace_processes(netns)
            subprocess.run(["ip", "netns", "del", netns], capture_output=True)
        for line in links.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            rest = name[len(PREFIX + lab):] if name.startswith(PREFIX + lab) else ""
            if rest == "br" or (rest.isdigit() and len(rest) == 2):     # the bridge, veths 11..99
                subprocess.run(["ip", "link", "del", name], capture_output=True)
    return sorted(stale)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
