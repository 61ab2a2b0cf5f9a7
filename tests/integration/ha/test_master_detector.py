"""MasterDetector against a real ZooKeeper, with masters registered the way Mesos registers them."""
from __future__ import annotations

import json
import queue

import pytest

from mesosframe.ha import (
    MasterDetectionTimeout,
    MasterDetector,
    ZooKeeperURL,
    make_kazoo_client,
    private_acl,
)

pytestmark = pytest.mark.zookeeper


def master_info(port: int) -> bytes:
    return json.dumps({"address": {"hostname": "localhost", "ip": "127.0.0.1", "port": port},
                       "hostname": "localhost", "id": f"id-{port}", "ip": 16777343,
                       "pid": f"master@127.0.0.1:{port}", "port": port, "version": "1.11.0"},
                      sort_keys=True).encode()


def register_master(client, path: str, port: int, **create) -> str:
    return client.create(f"{path}/json.info_", master_info(port), ephemeral=True, sequence=True,
                         makepath=True, **create)


class Changes:
    """Records on_change calls and waits for the next one."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()

    def __call__(self, address) -> None:
        self._queue.put(address)

    def next(self, timeout: float = 10.0):
        return self._queue.get(timeout=timeout)


def test_follows_the_smallest_sequence_as_masters_come_and_go(zk_url, zk_hosts, kazoo_client, new_client):
    first, second = new_client(zk_hosts), new_client(zk_hosts)
    kazoo_client.ensure_path("/log_replicas")  # not a master: no sequence number
    register_master(first, "", 5051)
    register_master(second, "", 5052)
    changes = Changes()
    with MasterDetector(zk_url, changes) as detector:
        assert detector.wait_for_leader(10) == "127.0.0.1:5051"
        assert changes.next() == "127.0.0.1:5051"
        first.stop()  # the leading master dies; its ephemeral znode goes
        assert changes.next() == "127.0.0.1:5052"
        second.stop()
        assert changes.next() is None
        assert detector.leader is None
        assert "no json.info_" in detector.last_error


def test_waits_for_a_master_that_registers_later(zookeeper_server, zk_chroot, kazoo_client):
    url = f"zk://{zookeeper_server.hosts}{zk_chroot}/mesos"  # the path does not exist yet
    with MasterDetector(url) as detector:
        with pytest.raises(MasterDetectionTimeout, match="does not exist"):
            detector.wait_for_leader(0.5)
        register_master(kazoo_client, "/mesos", 5050)
        assert detector.wait_for_leader(10) == "127.0.0.1:5050"


def test_unusable_master_info_gives_no_leader(zk_url, kazoo_client):
    kazoo_client.create("/json.info_", b"{not json", ephemeral=True, sequence=True)
    with MasterDetector(zk_url) as detector:
        with pytest.raises(MasterDetectionTimeout, match="unusable MasterInfo"):
            detector.wait_for_leader(1.0)


def test_credentials_from_the_url_are_used(zk_url):
    secured = ZooKeeperURL.parse(zk_url.replace("zk://", "zk://mesos:s3cret@") + "/secure")
    owner = make_kazoo_client(secured, acl=private_acl(secured.credentials))
    owner.start(10)
    try:
        register_master(owner, secured.path, 5055)
        with MasterDetector(secured.unparse()) as detector:
            assert detector.wait_for_leader(10) == "127.0.0.1:5055"
        with MasterDetector(f"{zk_url}/secure") as anonymous:
            with pytest.raises(MasterDetectionTimeout, match="not allowed"):
                anonymous.wait_for_leader(1.0)
        wrong = zk_url.replace("zk://", "zk://mesos:wrong@") + "/secure"
        with MasterDetector(wrong) as impostor:
            with pytest.raises(MasterDetectionTimeout, match="not allowed"):
                impostor.wait_for_leader(1.0)
    finally:
        owner.stop()
        owner.close()
