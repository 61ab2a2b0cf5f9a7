"""Wiring for high availability: one ZooKeeper URL gives a shared kazoo client, a `LeaderElection` among
framework instances and a `ZooKeeperStateStore`, under `<url path>/<framework name>/`.

    ha = ZooKeeperHA("zk://user:pass@h1:2181/mesosframe", "my-framework", identity="host-a")
    Framework(name, plugins, master=..., store=ha.store, election=ha.election)

`ha.election(on_event)` is the factory the Framework calls; events are forwarded (to its inbox) untouched.
The client is started at construction (ZooKeeperUnavailableError if it cannot connect); `close()` stops it.
"""
from __future__ import annotations

import socket
import uuid
from typing import Callable

from mesosframe.ha import LeaderElection, ZooKeeperURL, make_kazoo_client
from mesosframe.ha.client import start_client
from mesosframe.state import ZooKeeperStateStore


class ZooKeeperHA:
    def __init__(self, url: str, name: str, *, identity: str | None = None, session_timeout: float = 10.0) -> None:
        self.url = ZooKeeperURL.parse(url)
        base = self.url.path.rstrip("/")
        self.root = f"{base}/{name}"
        self.identity = identity or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.client = start_client(make_kazoo_client(self.url, timeout=session_timeout))
        self.store = ZooKeeperStateStore(self.client, f"{self.root}/state")
        self._election: LeaderElection | None = None

    def election(self, on_event: Callable) -> LeaderElection:
        self._election = LeaderElection(self.client, f"{self.root}/leader", self.identity, on_event)
        return self._election

    def leader_identity(self) -> str | None:
        return self._election.leader_identity() if self._election else None

    def close(self) -> None:
        if self._election is not None:
            self._election.stop()
        self.client.stop()
        self.client.close()


def leader_election(url: str, name: str, identity: str | None = None) -> ZooKeeperHA:
    """Shorthand for `ZooKeeperHA(url, name, identity=identity)`."""
    return ZooKeeperHA(url, name, identity=identity)
