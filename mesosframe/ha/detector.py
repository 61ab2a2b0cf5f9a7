"""`MasterDetector`: find the leading Mesos master, from a `zk://` URL (credentials kept) or a fixed address.

Masters register EPHEMERAL|SEQUENCE znodes `<path>/json.info_<10-digit seq>` holding MasterInfo JSON; the
smallest sequence leads. The detector watches the children and the leader's data, and reports "host:port"
(what pymesos's driver takes) through `on_change` whenever it changes, from its own thread.

Connection states: while SUSPENDED the last known leader is kept (it is only a hint for where to connect);
after LOST and reconnection the watches are set again and the leader re-read. Unreadable data (bad JSON, an
ACL that refuses our credentials) gives no leader, with the reason in `last_error`.
"""
from __future__ import annotations

import json
import logging
import re
import socket
import struct
import threading
from typing import Callable

from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError, NoNodeError
from kazoo.protocol.states import KazooState

from mesosframe.errors import LeadershipError, ProtocolError
from mesosframe.ha.client import make_kazoo_client
from mesosframe.ha.reconciler import Reconciler
from mesosframe.ha.url import ZooKeeperURL, parse_master

log = logging.getLogger("mesosframe.ha.detector")

_MASTER_ZNODE = re.compile(r"^json\.info_(\d+)$")


class MasterDetectionTimeout(LeadershipError, TimeoutError):
    """No leading master was found in time; the message says what was seen."""


class MasterInfoError(ProtocolError):
    """A master's znode holds MasterInfo that names no usable address."""


def master_address(info: dict) -> str:
    """The "host:port" of a MasterInfo dict: address.ip/port, else address.hostname, else hostname/ip + port,
    else the pid ("master@host:port"). IPv6 hosts are bracketed."""
    if not isinstance(info, dict):
        raise MasterInfoError("MasterInfo is not a JSON object")
    address = info.get("address") if isinstance(info.get("address"), dict) else {}
    host = address.get("ip") or address.get("hostname") or info.get("hostname") or _ip_from_uint32(info.get("ip"))
    port = address.get("port") or info.get("port")
    if (not host or not port) and isinstance(info.get("pid"), str) and "@" in info["pid"]:
        host, _, port = info["pid"].split("@", 1)[1].rpartition(":")
    try:
        port = int(port)
    except (TypeError, ValueError):
        port = 0
    if not host or not 0 < port < 65536:
        raise MasterInfoError(f"MasterInfo has no usable address: {info!r}")
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def leading_master(children: list[str]) -> str | None:
    """The `json.info_` child with the smallest sequence; other children are skipped."""
    masters = [c for c in children if _MASTER_ZNODE.match(c)]
    return min(masters, key=lambda c: int(_MASTER_ZNODE.match(c).group(1)), default=None)


def _ip_from_uint32(value: object) -> str | None:
    """MasterInfo.ip: an IPv4 address as a uint32 in network byte order (127.0.0.1 -> 16777343)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**32:
        return socket.inet_ntoa(struct.pack("<I", value))
    return None


class MasterDetector:
    """Follows the leading master of `master` (a zk:// URL, or a fixed "host:port" / "http://host:port").

    With a zk:// URL and no `client`, the detector makes and owns a client with the URL's credentials; a given
    `client` is started and stopped by its owner. A detector runs once: start(), then stop().
    `on_change(address_or_None)` is called from the detector's thread; keep it quick.
    """

    def __init__(self, master: str | ZooKeeperURL, on_change: Callable[[str | None], None] | None = None, *,
                 client: KazooClient | None = None, timeout: float = 10.0) -> None:
        target = master if isinstance(master, ZooKeeperURL) else parse_master(master)
        self._on_change = on_change
        self._cond = threading.Condition()
        self._leader: str | None = None
        self.last_error: str | None = None
        self._started = self._stopped = False
        if isinstance(target, str):
            self._url, self._fixed = None, target
            self._client, self._owns_client, self._reconciler = None, False, None
            return
        self._url, self._fixed = target, None
        self._owns_client = client is None
        self._client = client or make_kazoo_client(target, timeout=timeout)
        self._reconciler = Reconciler(f"detector-{target.path}", self._reconcile)

    @property
    def leader(self) -> str | None:
        """The leading master's "host:port" as last seen, or None."""
        with self._cond:
            return self._leader

    def start(self) -> MasterDetector:
        """Start following (does not block: an owned client connects in the background). Once only."""
        if self._stopped:
            raise LeadershipError("a stopped MasterDetector cannot be started again")
        if self._started:
            return self
        self._started = True
        if self._fixed is not None:
            self._set_leader(self._fixed)
            return self
        self._client.add_listener(self._on_state)
        if self._owns_client:
            self._client.start_async()
        self._reconciler.start()
        return self

    def stop(self) -> None:
        """Stop following; an owned client is closed."""
        if self._stopped or not self._started:
            return
        self._stopped = True
        if self._reconciler is None:
            return
        self._client.remove_listener(self._on_state)
        self._reconciler.stop()
        if self._owns_client:
            self._client.stop()
            self._client.close()

    def wait_for_leader(self, timeout: float) -> str:
        """Block until a leader is known and return its "host:port"; MasterDetectionTimeout after `timeout` s."""
        if not self._started or self._stopped:
            self.start()
        with self._cond:
            if not self._cond.wait_for(lambda: self._leader is not None, timeout):
                where = str(self._url) if self._url else self._fixed
                raise MasterDetectionTimeout(f"no leading master at {where} within {timeout}s"
                                             + (f": {self.last_error}" if self.last_error else ""))
            return self._leader

    def __enter__(self) -> MasterDetector:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_state(self, state: str) -> None:
        if state == KazooState.CONNECTED:
            self._reconciler.poke()

    def _reconcile(self) -> None:
        if self._client.state != KazooState.CONNECTED:
            return
        path, poke = self._url.path, self._reconciler.poke
        try:
            children = self._client.get_children(path, watch=poke)
        except NoNodeError:
            if self._client.exists(path, watch=poke) is not None:
                poke()  # created meanwhile
            return self._found(None, f"{path} does not exist")
        except NoAuthError:
            return self._found(None, f"not allowed to list {path} with these credentials")
        leader = leading_master(children)
        if leader is None:
            return self._found(None, f"no json.info_ znode under {path}")
        try:
            data, _ = self._client.get(f"{path}/{leader}", watch=poke)
        except NoNodeError:
            return poke()  # the leader left between the two reads
        except NoAuthError:
            return self._found(None, f"not allowed to read {path}/{leader} with these credentials")
        try:
            address = master_address(json.loads(data.decode()))
        except (UnicodeDecodeError, ValueError, MasterInfoError) as exc:
            return self._found(None, f"{path}/{leader} holds unusable MasterInfo: {exc}")
        self._found(address, None)

    def _found(self, address: str | None, error: str | None) -> None:
        if error != self.last_error and error:
            log.warning("master_not_found url=%s reason=%s", self._url, error)
        self.last_error = error
        self._set_leader(address)

    def _set_leader(self, address: str | None) -> None:
        with self._cond:
            changed = address != self._leader
            self._leader = address
            self._cond.notify_all()
        if changed:
            log.info("leading_master address=%s", address)
            if self._on_change is not None:
                try:
                    self._on_change(address)
                except Exception:
                    log.exception("on_change_failed address=%s", address)
