"""ZooKeeperStateStore specifics: digest ACLs, buckets, lost replies, an unreachable server."""
from __future__ import annotations

import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss, NoAuthError
from kazoo.retry import KazooRetry

from mesosframe.errors import StoreUnavailableError, VersionConflictError
from mesosframe.state import ZooKeeperStateStore
from mesosframe.state.zookeeper import StorePermissionError
from mesosframe.testing.zookeeper import free_port

pytestmark = pytest.mark.zookeeper


@pytest.fixture
def secured_url(zk_url) -> str:
    return zk_url.replace("zk://", "zk://framework:s3cret@") + "/state"


def test_digest_acls_keep_out_other_clients(secured_url, zk_url, zookeeper_server):
    with ZooKeeperStateStore.from_url(secured_url) as store:
        store.put("frameworks/id", {"value": "f-1"}, None)
        assert store.get("frameworks/id").value == {"value": "f-1"}
        path = store.znode_path("frameworks/id")
        anonymous = KazooClient(hosts=zookeeper_server.hosts)
        anonymous.start(10)
        try:
            with pytest.raises(NoAuthError):
                anonymous.get(path)
            with pytest.raises(NoAuthError):
                anonymous.set(path, b"{}")
            with pytest.raises(NoAuthError):
                anonymous.get_children(store.root)
        finally:
            anonymous.stop()
            anonymous.close()
    for url in (f"{zk_url}/state", secured_url.replace("s3cret", "guess")):
        with ZooKeeperStateStore.from_url(url) as intruder:
            with pytest.raises(StorePermissionError):
                intruder.get("frameworks/id")
            with pytest.raises(StorePermissionError):
                intruder.put("frameworks/other", {"value": "x"}, None)


def test_records_are_spread_over_buckets(kazoo_client):
    store = ZooKeeperStateStore(kazoo_client, "/state", buckets=4)
    with store.transaction() as tx:
        for i in range(40):
            tx.put(f"tasks/t{i}", {"i": i}, None)
    buckets = kazoo_client.get_children("/state/tasks")
    assert len(buckets) == 4 and all(b.startswith("~") for b in buckets)
    sizes = [len(kazoo_client.get_children(f"/state/tasks/{b}")) for b in buckets]
    assert sum(sizes) == 40 and max(sizes) < 20
    assert len(store.list("tasks")) == 40


@pytest.mark.parametrize("method", ["create", "set", "delete"])
def test_a_lost_reply_is_retried_without_a_false_conflict(kazoo_client, monkeypatch, method):
    """The write reaches ZooKeeper but its reply is lost: the retried step recognises its own write."""
    store = ZooKeeperStateStore(kazoo_client, "/state")
    version = store.put("k", {"n": 0}, None) if method != "create" else None
    real = getattr(kazoo_client, method)
    calls = []

    def applied_but_reply_lost(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(args[0])
        if len(calls) == 1:
            raise ConnectionLoss("reply lost")
        return result

    monkeypatch.setattr(kazoo_client, method, applied_but_reply_lost)
    if method == "delete":
        assert store.delete("k", version) is None
        assert store.get("k") is None
    else:
        new_version = store.put("k", {"n": 1}, version)
        assert store.get("k").version == new_version
        assert store.get("k").value == {"n": 1}
    assert len(calls) == 1  # the retry found the write done instead of writing again


def test_a_lost_transaction_reply_is_recognised(kazoo_client, monkeypatch):
    store = ZooKeeperStateStore(kazoo_client, "/state")
    v = store.put("a", {"n": 0}, None)
    real = kazoo_client.transaction
    lost = []

    def transaction():
        tx = real()
        commit = tx.commit

        def commit_and_lose_reply():
            results = commit()
            if not lost:
                lost.append(results)
                raise ConnectionLoss("reply lost")
            return results

        tx.commit = commit_and_lose_reply
        return tx

    monkeypatch.setattr(kazoo_client, "transaction", transaction)
    versions = store.transaction().put("a", {"n": 1}, v).put("b", {"n": 1}, None).commit()
    assert versions == [store.get("a").version, store.get("b").version]
    with pytest.raises(VersionConflictError):  # a genuine conflict is still one
        store.transaction().put("a", {"n": 2}, v).commit()


def test_an_unreachable_server_raises_store_unavailable(zookeeper_server, kazoo_client, zk_hosts):
    # the shared server is stopped and restarted on the same port and data. A short session timeout bounds how
    # long a connection attempt that reaches the restarting server can hang; the store does not need the session.
    client = KazooClient(hosts=zk_hosts, timeout=4,
                         connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5))
    client.start(30)
    try:
        store = ZooKeeperStateStore(client, "/state", retry=KazooRetry(max_tries=4, delay=0.05, deadline=1.0))
        version = store.put("k", {"n": 1}, None)
        zookeeper_server.stop()
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError):
            store.put("k", {"n": 2}, version)
        with pytest.raises(StoreUnavailableError):
            store.list("")
        assert time.monotonic() - started < 10  # bounded by the retry's deadline, not blocked
        zookeeper_server.start()
        client.retry(client.exists, "/")  # wait for the reconnection
        assert store.put("k", {"n": 2}, version) == version + 1
    finally:
        if not zookeeper_server.ruok():  # never leave the shared server down
            zookeeper_server.start()
        client.stop()
        client.close()


def test_from_url_roots_the_store_at_the_url_path(zk_url, kazoo_client):
    with ZooKeeperStateStore.from_url(f"{zk_url}/apps/state") as store:
        assert store.root.endswith("/apps/state")
        store.put("x", {"n": 1}, None)
    assert kazoo_client.get_children("/apps/state")  # the bucket of x


def test_from_url_fails_clearly_without_a_server():
    with pytest.raises(StoreUnavailableError):
        ZooKeeperStateStore.from_url(f"zk://127.0.0.1:{free_port()}/state", timeout=0.5)
