"""Master registration and leader election in ZooKeeper, as Mesos does it.

Each master creates an EPHEMERAL|SEQUENTIAL `<path>/json.info_<seq>` znode holding its MasterInfo as
compact JSON with sorted keys. The leader is the child with the lowest sequence number; the others learn
its address from that znode. Leadership changes are handed to `Master.set_leading` on the master's loop
(kazoo calls back on its own threads, which only schedule work on the loop).

SUSPENDED (connection lost, session alive): nothing changes; the ephemeral node survives. LOST (session
expired): the node is gone, so this master stops leading; it registers again when reconnected.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from urllib.parse import urlsplit

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import KazooException, NoNodeError
from kazoo.security import CREATOR_ALL_ACL, READ_ACL_UNSAFE

from mesosframe.errors import MasterURLError
from mesosframe.local.master.core import Master

log = logging.getLogger("mesosframe.local.master")

_LABEL = re.compile(r"^(json\.info_|info_)(\d+)$")


def parse_zk_url(url: str) -> tuple[str, str, str | None]:
    """`zk://[user:pass@]h1:p1,h2:p2/path` -> (hosts, path, "user:pass" or None)."""
    parts = urlsplit(url)
    if parts.scheme not in ("zk", "zoo") or not parts.netloc:
        raise MasterURLError(f"not a zk:// URL: {url!r}")
    auth, _, hosts = parts.netloc.rpartition("@")
    path = parts.path.rstrip("/")
    if not path:
        raise MasterURLError(f"a zk:// URL needs a path other than '/': {url!r}")
    return hosts, path, auth or None


def leader_child(children: list[str]) -> str | None:
    """The leading master's znode name: the lowest sequence among `json.info_`/`info_` children."""
    numbered = [(int(m.group(2)), name) for name in children if (m := _LABEL.match(name))]
    return min(numbered)[1] if numbered else None


class ZooKeeperContender:
    """Registers `master` under the zk URL and keeps `master.leading` / `master.leader` current."""

    def __init__(self, master: Master, url: str, loop, *, timeout: float = 10.0) -> None:
        self.master = master
        self.loop = loop
        self.hosts, self.path, auth = parse_zk_url(url)
        self.client = KazooClient(hosts=self.hosts, timeout=timeout,
                                  auth_data=[("digest", auth)] if auth else None)
        # With credentials Mesos uses EVERYONE_READ_CREATOR_ALL: world-readable, writable by us only.
        self.acl = (CREATOR_ALL_ACL + READ_ACL_UNSAFE) if auth else None
        self.node: str | None = None
        self._stopped = False
        self._lost = False
        self._applied = threading.Event()     # the first leadership decision reached the master
        self.master_id = master.master_info(for_zookeeper=True)["id"]

    def start(self, timeout: float = 10.0) -> None:
        """Connect, create our znode, watch the group and wait until the master knows whether it leads
        (blocking: call from outside the master's loop, before serving)."""
        self.loop.call_soon_threadsafe(self.master.set_leading, False, None)   # standby until elected
        self.client.add_listener(self._on_state)
        self.client.start(timeout=timeout)
        self._register()
        self.client.ChildrenWatch(self.path, self._on_children)
        if not self._applied.wait(timeout):
            log.warning("zk_leadership_unknown after=%ss", timeout)

    def _register(self) -> None:
        data = json.dumps(self.master.master_info(for_zookeeper=True), sort_keys=True,
                          separators=(",", ":")).encode()
        self.client.ensure_path(self.path, acl=self.acl)
        self.node = self.client.create(f"{self.path}/json.info_", data, acl=self.acl, ephemeral=True,
                                       sequence=True)
        log.info("zk_registered node=%s", self.node)

    def _on_state(self, state: str) -> None:
        if state == KazooState.LOST and not self._stopped:
            self.node, self._lost = None, True
            self._apply(False, None)
        elif state == KazooState.CONNECTED and self._lost and not self._stopped:
            self._lost = False
            self.client.handler.spawn(self._reregister)

    def _reregister(self) -> None:
        try:
            self._register()
            self._on_children(self.client.get_children(self.path))
        except KazooException:
            log.exception("zk_reregister_failed")

    def _on_children(self, children: list[str]) -> bool | None:
        if self._stopped:
            return False
        leader = leader_child(children)
        mine = self.node.rsplit("/", 1)[-1] if self.node else None
        if leader is None:
            self._apply(False, None)
        elif leader == mine:
            self._apply(True, None)
        else:
            try:
                data, _ = self.client.get(f"{self.path}/{leader}")
                info = json.loads(data)
                address = info.get("address") or {}
                where = (address.get("hostname") or info.get("hostname"), int(address.get("port") or
                                                                            info["port"]))
            except (NoNodeError, ValueError, KeyError):
                info, where = {}, None
            # A registration of ours whose reply was lost (or that raced a reconnect) is still ours: a
            # master must never redirect frameworks to itself.
            self._apply(info.get("id") == self.master_id, None if info.get("id") == self.master_id else where)
        return None

    def _apply(self, leading: bool, leader: tuple[str, int] | None) -> None:
        """Hand a leadership decision to the master on its loop."""
        def apply() -> None:
            self.master.set_leading(leading, leader)
            self._applied.set()
        self.loop.call_soon_threadsafe(apply)

    def stop(self) -> None:
        """Delete our znode (leadership passes on at once) and close the session."""
        self._stopped = True
        try:
            if self.node is not None:
                self.client.delete(self.node)
        except KazooException:
            pass
        self.client.stop()
        self.client.close()
