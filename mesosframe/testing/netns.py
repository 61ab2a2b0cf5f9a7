"""Several hosts on one machine: Linux network namespaces joined by a bridge, each with its own IP address.

    with NetworkLab("demo") as lab:
        zk = lab.add_host("zk")                      # netns "mf-demo-zk", 10.213.<n>.11
        proc = zk.popen(["python3", "-m", "http.server", "--bind", zk.ip])
        zk.link_down(); zk.link_up()                 # cut and restore the host's link (veth down/up)

Needs root and iproute2. Addresses come from 10.213.0.0/16, one /24 per lab; only hosts made here are ever
addressed. `close()` kills every process started through a host (their whole process groups), deletes the
namespaces and the bridge, and runs even when a test fails. `NetworkLab.sweep()` removes what a crashed
earlier run left behind.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import zlib
from dataclasses import dataclass, field

from mesosframe.errors import ConfigurationError

log = logging.getLogger("mesosframe.testing.netns")
PREFIX = "mf-"


def netns_unavailable_reason() -> str | None:
    """Why network namespaces cannot be used here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2 (`ip`) is not installed"
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise ConfigurationError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


@dataclass
class Host:
    """One network namespace with one interface (`eth0`) on the lab's bridge."""
    name: str
    netns: str
    ip: str
    veth: str                       # the bridge-side end, in the root namespace
    processes: list[subprocess.Popen] = field(default_factory=list)

    def command(self, argv: list[str]) -> list[str]:
        """`argv` prefixed to run inside this host's namespace."""
        return ["ip", "netns", "exec", self.netns, *argv]

    def popen(self, argv: list[str], **kwargs) -> subprocess.Popen:
        """Start a process in this host, in a new process group that `close()` kills."""
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        proc = subprocess.Popen(self.command(argv), start_new_session=True, **kwargs)
        self.processes.append(proc)
        return proc

    def run(self, argv: list[str], timeout: float = 30.0) -> subprocess.CompletedProcess:
        """Run a command in this host and wait for it."""
        return subprocess.run(self.command(argv), capture_output=True, text=True, timeout=timeout)

    def link_down(self) -> None:
        """Cut the host off the network (its processes keep running)."""
        _ip("link", "set", self.veth, "down")

    def link_up(self) -> None:
        _ip("link", "set", self.veth, "up")

    def kill_all(self, sig: int = signal.SIGKILL) -> None:
        """Kill every process group started through this host, then anything else still running in its
        namespace (task processes that started sessions of their own)."""
        for proc in self.processes:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    pass
        for proc in self.processes:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                log.warning("process_did_not_exit host=%s pid=%s", self.name, proc.pid)
        self.processes.clear()
        for pid in _ip("netns", "pids", self.netns, check=False).stdout.split():
            try:
                os.kill(int(pid), sig)
            except ProcessLookupError:
                pass


class NetworkLab:
    """A bridge plus hosts in network namespaces. Use as a context manager."""

    def __init__(self, name: str) -> None:
        reason = netns_unavailable_reason()
        if reason:
            raise ConfigurationError(reason)
        if not name.isalnum() or len(name) > 6:
            raise ConfigurationError("a lab name is at most 6 letters or digits")
        self.name = name
        self.subnet = 10 + zlib.crc32(f"{name}:{os.getpid()}".encode()) % 240
        self.bridge = f"{PREFIX}{name}br"
        self.gateway = f"10.213.{self.subnet}.1"
        self.hosts: dict[str, Host] = {}
        self._created = False

    def __enter__(self) -> "NetworkLab":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> "NetworkLab":
        _ip("link", "del", self.bridge, check=False)
        _ip("link", "add", self.bridge, "type", "bridge")
        self._created = True
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        return self

    def add_host(self, name: str) -> Host:
        """A new namespace `mf-<lab>-<name>` with the next free address on the bridge."""
        if name in self.hosts:
            raise ConfigurationError(f"host {name!r} exists")
        index = len(self.hosts) + 11
        netns = f"{PREFIX}{self.name}-{name}"
        veth = f"{PREFIX}{self.name}{index}"
        ip = f"10.213.{self.subnet}.{index}"
        _ip("netns", "del", netns, check=False)
        _ip("netns", "add", netns)
        host = Host(name=name, netns=netns, ip=ip, veth=veth)
        self.hosts[name] = host
        _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns)
        _ip("link", "set", veth, "master", self.bridge, "up")
        _ip("-n", netns, "addr", "add", f"{ip}/24", "dev", "eth0")
        _ip("-n", netns, "link", "set", "eth0", "up")
        _ip("-n", netns, "link", "set", "lo", "up")
        _ip("-n", netns, "route", "add", "default", "via", self.gateway)
        log.info("host_added lab=%s host=%s ip=%s", self.name, name, ip)
        return host

    def close(self) -> None:
        """Kill all processes, delete all namespaces and the bridge. Safe to call twice."""
        for host in self.hosts.values():
            host.kill_all()
        for host in self.hosts.values():
            _ip("netns", "del", host.netns, check=False)
            _ip("link", "del", host.veth, check=False)
        self.hosts.clear()
        if self._created:
            _ip("link", "del", self.bridge, check=False)
            self._created = False

    @staticmethod
    def sweep() -> None:
        """Delete namespaces and bridges named like ours that a crashed run left behind."""
        listing = _ip("netns", "list", check=False).stdout.split("\n")
        for line in listing:
            netns = line.split(" ")[0]
            if netns.startswith(PREFIX):
                _ip("netns", "del", netns, check=False)
        for line in _ip("-o", "link", "show", "type", "bridge", check=False).stdout.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if name.startswith(PREFIX):
                _ip("link", "del", name, check=False)
