"""A real ZooKeeper server for tests and demos, from Debian's `zookeeper` package.

`ZooKeeperServer` starts a standalone server on a free loopback port with the admin server off, and can
stop and restart it on the same port and data (to test lost connections). `expire_session` expires a
kazoo client's session for real, the classic way: a second client joins the session and closes it.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from mesosframe.errors import ConfigurationError

ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
CLASSPATH = "/etc/zookeeper/conf:" + str(ZOOKEEPER_JAR)
MAIN_CLASS = "org.apache.zookeeper.server.ZooKeeperServerMain"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on `host` a moment ago."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def zookeeper_available() -> bool:
    """True when Debian's zookeeper package and a java runtime are installed."""
    return ZOOKEEPER_JAR.exists() and shutil.which("java") is not None


class ZooKeeperServer:
    """One standalone ZooKeeper server process. Use as a context manager or call start()/stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, data_dir: str | None = None,
                 tick_ms: int = 200, netns: str | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="mesosframe-zk-"))
        self.tick_ms = tick_ms
        self.netns = netns
        self._proc: subprocess.Popen | None = None

    @property
    def hosts(self) -> str:
        """The kazoo `hosts` string, e.g. `127.0.0.1:2181`."""
        return f"{self.host}:{self.port}"

    def url(self, path: str = "/mesos") -> str:
        """A `zk://` URL for `path` on this server."""
        return f"zk://{self.hosts}{path}"

    def start(self, timeout: float = 30.0) -> "ZooKeeperServer":
        if not zookeeper_available():
            raise ConfigurationError("ZooKeeper is not installed: apt-get install zookeeper")
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        cfg = self.data_dir / "zoo.cfg"
        cfg.write_text(
            f"tickTime={self.tick_ms}\n"
            f"dataDir={self.data_dir / 'data'}\n"
            f"clientPort={self.port}\nclientPortAddress={self.host}\n"
            f"minSessionTimeout={2 * self.tick_ms}\nmaxSessionTimeout=60000\n"
            "admin.enableServer=false\n4lw.commands.whitelist=ruok\n"
            # Test servers: no fsync per write, small preallocation; faster starts and writes.
            "forceSync=no\npreAllocSize=1024\n"
        )
        cmd = ["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
               "-Dzookeeper.admin.enableServer=false", "-cp", CLASSPATH, MAIN_CLASS, str(cfg)]
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns, *cmd]
        log = open(self.data_dir / "zookeeper.log", "ab")
        self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ConfigurationError(f"ZooKeeper exited with {self._proc.returncode}; "
                                         f"see {self.data_dir / 'zookeeper.log'}")
            if self.ruok() and self._session_works():
                return self
            time.sleep(0.1)
        self.stop()
        raise ConfigurationError(f"ZooKeeper did not answer on {self.hosts} within {timeout}s")

    def ruok(self) -> bool:
        """True when the server answers the `ruok` four-letter word."""
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as s:
                s.sendall(b"ruok")
                return s.recv(4) == b"imok"
        except OSError:
            return False

    def _session_works(self) -> bool:
        """True when a client session can be established (the port may answer `ruok` earlier)."""
        from kazoo.client import KazooClient

        client = KazooClient(hosts=self.hosts, timeout=2.0)
        try:
            client.start(timeout=2.0)
            client.get_children("/")
            return True
        except Exception:  # any failure means "not yet"; start() keeps polling until its deadline
            return False
        finally:
            client.stop()
            client.close()

    def stop(self) -> None:
        """Kill the server (data is kept, so `start()` resumes it on the same port)."""
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(10)
        self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and delete its data if this object created the directory."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> "ZooKeeperServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


def unique_chroot(prefix: str = "/mesosframe-test") -> str:
    """A fresh chroot path, one per test."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def expire_session(client, timeout: float = 10.0) -> None:
    """Expire `client`'s (a started KazooClient) session on the server, for real.

    A second client joins the same session with its id and password and closes it; the server then
    expires the session and the first client sees LOST.
    """
    from kazoo.client import KazooClient

    session_id, password = client.client_id
    other = KazooClient(hosts=client.hosts if isinstance(client.hosts, str) else
                        ",".join(f"{h}:{p}" for h, p in client.hosts),
                        client_id=(session_id, password), timeout=timeout)
    other.start(timeout=timeout)
    other.stop()
    other.close()
