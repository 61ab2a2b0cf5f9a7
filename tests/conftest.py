"""Shared fixtures: a real ZooKeeper server for the session, one chroot per test."""
from __future__ import annotations

import os

import pytest

from mesosframe.testing.zookeeper import ZooKeeperServer, unique_chroot, zookeeper_available


@pytest.fixture(scope="session")
def zookeeper_server():
    """One real ZooKeeper (Debian's package) on a free loopback port, admin server off."""
    if not zookeeper_available():
        if os.environ.get("CI"):
            pytest.fail("ZooKeeper is not installed; scripts/bootstrap.sh installs it")
        pytest.skip("ZooKeeper is not installed (apt-get install zookeeper)")
    with ZooKeeperServer() as server:
        yield server


@pytest.fixture
def zk_chroot(zookeeper_server) -> str:
    """A fresh chroot path for this test."""
    return unique_chroot()


@pytest.fixture
def zk_hosts(zookeeper_server, zk_chroot) -> str:
    """kazoo `hosts` string with this test's own chroot, e.g. `127.0.0.1:2181/mesosframe-test-1a2b`."""
    return f"{zookeeper_server.hosts}{zk_chroot}"


@pytest.fixture
def zk_url(zookeeper_server, zk_chroot) -> str:
    """A `zk://` URL under this test's own chroot."""
    return f"zk://{zookeeper_server.hosts}{zk_chroot}"


@pytest.fixture
def kazoo_client(zk_hosts):
    """A started KazooClient inside this test's chroot."""
    from kazoo.client import KazooClient

    root = KazooClient(hosts=zk_hosts.split("/", 1)[0], timeout=5)
    root.start(timeout=10)
    root.ensure_path("/" + zk_hosts.split("/", 1)[1])   # create the chroot before using it
    root.stop()
    root.close()
    client = KazooClient(hosts=zk_hosts, timeout=5)
    client.start(timeout=10)
    yield client
    client.stop()
    client.close()
