"""The ZooKeeper fixture itself: chroots are isolated, sessions really expire, connections really drop."""
import threading

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

from mesosframe.testing.zookeeper import expire_session


def test_each_test_gets_its_own_chroot(kazoo_client, zookeeper_server, zk_chroot):
    kazoo_client.create("/marker", b"x")
    root = KazooClient(hosts=zookeeper_server.hosts)
    root.start(10)
    try:
        assert root.exists(f"{zk_chroot}/marker")
        assert zk_chroot.lstrip("/") in root.get_children("/")
    finally:
        root.stop()


def test_expire_session_makes_client_lose_its_session(kazoo_client):
    lost = threading.Event()
    kazoo_client.add_listener(lambda state: lost.set() if state == KazooState.LOST else None)
    kazoo_client.create("/eph", ephemeral=True)
    expire_session(kazoo_client)
    assert lost.wait(15)
    # kazoo reconnects with a new session; the ephemeral node died with the old one.
    kazoo_client.retry(kazoo_client.ensure_path, "/")
    assert kazoo_client.exists("/eph") is None
