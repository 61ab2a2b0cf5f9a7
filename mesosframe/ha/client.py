"""kazoo clients built from a `ZooKeeperURL`: digest authentication and default ACLs.

Mesos gives its master znodes the ACL "creator has all rights, everyone may read" when credentials are set, so
that detectors without credentials still find the leader; `master_acl` is that. `private_acl` drops the world
read, for state that others must not read. Without credentials both are open (ZooKeeper's world:anyone).
"""
from __future__ import annotations

import logging
from typing import Any, Sequence

from kazoo.client import KazooClient
from kazoo.exceptions import (
    ConnectionClosedError,
    ConnectionLoss,
    OperationTimeoutError,
    SessionExpiredError,
)
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.retry import RetryFailedError
from kazoo.security import ACL, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, make_digest_acl

from mesosframe.errors import LeadershipError
from mesosframe.ha.url import ZooKeeperURL

log = logging.getLogger("mesosframe.ha.client")

#: kazoo errors that mean "no usable connection or session right now".
UNAVAILABLE_ERRORS = (ConnectionLoss, ConnectionClosedError, OperationTimeoutError, SessionExpiredError,
                      KazooTimeoutError, RetryFailedError)


class ZooKeeperUnavailableError(LeadershipError):
    """ZooKeeper could not be reached, or the session is suspended or lost."""


def master_acl(credentials: tuple[str, str] | None) -> list[ACL]:
    """Creator-all (digest of `credentials`) plus world-read; open when there are no credentials."""
    if credentials is None:
        return list(OPEN_ACL_UNSAFE)
    return [make_digest_acl(credentials[0], credentials[1], all=True), *READ_ACL_UNSAFE]


def private_acl(credentials: tuple[str, str] | None) -> list[ACL]:
    """Only the digest of `credentials` has rights; open when there are no credentials."""
    if credentials is None:
        return list(OPEN_ACL_UNSAFE)
    return [make_digest_acl(credentials[0], credentials[1], all=True)]


def make_kazoo_client(url: ZooKeeperURL | str, *, timeout: float = 10.0, acl: Sequence[ACL] | None = None,
                      **kazoo_options: Any) -> KazooClient:
    """A new, not yet started KazooClient for `url`'s servers (no chroot: recipes use `url.path`).

    It authenticates with the URL's digest credentials and creates znodes with `acl` (default
    `master_acl(url.credentials)`). `timeout` is the session timeout in seconds.
    """
    if isinstance(url, str):
        url = ZooKeeperURL.parse(url)
    default_acl = list(acl) if acl is not None else master_acl(url.credentials)
    return KazooClient(hosts=url.kazoo_hosts, timeout=timeout, auth_data=url.auth_data or None,
                       default_acl=default_acl, **kazoo_options)


def start_client(client: KazooClient, timeout: float = 10.0) -> KazooClient:
    """Start `client`, translating a failure to connect into ZooKeeperUnavailableError."""
    try:
        client.start(timeout=timeout)
    except UNAVAILABLE_ERRORS as exc:
        client.stop()
        client.close()
        raise ZooKeeperUnavailableError(f"cannot connect to ZooKeeper at {client.hosts}: {exc}") from exc
    return client
