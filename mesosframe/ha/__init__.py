"""High availability with ZooKeeper: URLs, clients, leader election and Mesos master detection.

    ZooKeeperURL.parse("zk://user:pass@h1:2181,h2:2181/mesos") -> ZooKeeperURL
        .hosts: tuple[str, ...]  .path: str  .credentials: tuple[str, str] | None
        .kazoo_hosts -> "h1:2181,h2:2181"   .auth_data -> [("digest", "user:pass")] or []
        str(url) hides the password. `zoo://` works too; a bare "/" path raises MasterURLError.
    parse_master("host:port" | "http://host:port" | "master@host:port" | "zk://...") -> ZooKeeperURL | str

    make_kazoo_client(url, *, timeout=10.0, acl=None, **kazoo_options) -> KazooClient (not started)
        digest auth from the URL's credentials; default ACL = master_acl(credentials):
        creator-all + world-read (as Mesos does for its master znodes), open when there are no credentials.
    master_acl(credentials) / private_acl(credentials) -> list[ACL]
    start_client(client, timeout=10.0) -> client   (ZooKeeperUnavailableError if it cannot connect)

    LeaderElection(client, path, identity, on_event, *, rejoin=True)
        .start(); .stop(); .abdicate(rejoin=True); .is_leader; .term; .leader_identity() -> str | None
        on_event(LeadershipEvent(kind=ELECTED|SUSPENDED|RESUMED|LOST, identity, term, reason))
    MasterDetector(master, on_change=None, *, client=None, timeout=10.0)
        .start(); .stop(); .leader -> "host:port" | None; .wait_for_leader(timeout) -> "host:port"; .last_error
        on_change("host:port" | None) whenever the leading master changes.
    master_address(master_info: dict) -> "host:port"        (pure; address.ip/port, then hostname/port ...)

Errors: MasterURLError (bad URL), ZooKeeperUnavailableError (a LeadershipError: no connection),
MasterDetectionTimeout (wait_for_leader gave up; also a TimeoutError).
"""
from __future__ import annotations

from mesosframe.ha.client import (
    ZooKeeperUnavailableError,
    make_kazoo_client,
    master_acl,
    private_acl,
    start_client,
)
from mesosframe.ha.detector import MasterDetectionTimeout, MasterDetector, master_address
from mesosframe.ha.election import LeaderElection, LeadershipEvent, LeadershipEventKind
from mesosframe.ha.url import ZooKeeperURL, parse_master

__all__ = [
    "LeaderElection",
    "LeadershipEvent",
    "LeadershipEventKind",
    "MasterDetectionTimeout",
    "MasterDetector",
    "ZooKeeperURL",
    "ZooKeeperUnavailableError",
    "make_kazoo_client",
    "master_acl",
    "master_address",
    "parse_master",
    "private_acl",
    "start_client",
]
