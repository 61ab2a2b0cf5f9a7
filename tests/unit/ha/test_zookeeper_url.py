"""Pure parts of mesosframe.ha: master URLs, MasterInfo addresses, leader choice, ACLs."""
from __future__ import annotations

import json

import pytest
from kazoo.security import Permissions

from mesosframe.errors import LeadershipError, MasterURLError
from mesosframe.ha import (
    MasterDetector,
    ZooKeeperURL,
    make_kazoo_client,
    master_acl,
    master_address,
    parse_master,
    private_acl,
)
from mesosframe.ha.detector import MasterInfoError, leading_master
from mesosframe.ha.election import leading_contender

# What a real Mesos 1.11 master wrote to its json.info_ znode (capabilities trimmed).
REAL_MASTER_INFO = (
    '{"address":{"hostname":"127.0.0.1","ip":"127.0.0.1","port":5052},"capabilities":[{"type":"AGENT_UPDATE"}],'
    '"hostname":"127.0.0.1","id":"34847fb3-82a4-42ed-bd7d-e4785fd33b77","ip":16777343,'
    '"pid":"master@127.0.0.1:5052","port":5052,"version":"1.11.0"}'
)


@pytest.mark.parametrize("text, hosts, path, credentials, scheme", [
    ("zk://h1:2181/mesos", ("h1:2181",), "/mesos", None, "zk"),
    ("zk://user:pass@h1:2181,h2:2182/mesos", ("h1:2181", "h2:2182"), "/mesos", ("user", "pass"), "zk"),
    ("zoo://h1/a/b", ("h1:2181",), "/a/b", None, "zoo"),
    ("ZK://10.0.0.1:2181,10.0.0.2/mesos", ("10.0.0.1:2181", "10.0.0.2:2181"), "/mesos", None, "zk"),
    ("zk://u:p@ss:w@rd@h1:1/m", ("h1:1",), "/m", ("u", "p@ss:w@rd"), "zk"),
    ("zk://u:@h1/m", ("h1:2181",), "/m", ("u", ""), "zk"),
    ("zk://[::1]:2181/mesos", ("[::1]:2181",), "/mesos", None, "zk"),
    ("  zk://h1:2181/mesos\n", ("h1:2181",), "/mesos", None, "zk"),
])
def test_zookeeper_urls_parse(text, hosts, path, credentials, scheme):
    url = ZooKeeperURL.parse(text)
    assert (url.hosts, url.path, url.credentials, url.scheme) == (hosts, path, credentials, scheme)


@pytest.mark.parametrize("text, message", [
    ("zk://h1:2181/", "bare root"),
    ("zk://h1:2181", "no path"),
    ("http://h1:2181/mesos", "not a ZooKeeper URL"),
    ("zk://h1:2181/mesos/", "not a valid znode path"),
    ("zk://h1:2181//mesos", "not a valid znode path"),
    ("zk://h1:abc/mesos", "bad port"),
    ("zk://h1:70000/mesos", "bad port"),
    ("zk://h1:2181,/mesos", "bad host"),
    ("zk://user@h1/mesos", "user:password"),
    ("zk://:pw@h1/mesos", "user:password"),
])
def test_bad_zookeeper_urls_say_what_is_wrong(text, message):
    with pytest.raises(MasterURLError, match=message):
        ZooKeeperURL.parse(text)


def test_passwords_stay_out_of_str_repr_and_errors():
    url = ZooKeeperURL.parse("zk://mesos:t0psecret@h1:2181/mesos")
    assert "t0psecret" not in str(url) and "t0psecret" not in repr(url)
    assert url.auth_data == [("digest", "mesos:t0psecret")]
    assert ZooKeeperURL.parse(url.unparse()) == url
    assert url.with_path("/other").credentials == ("mesos", "t0psecret")
    with pytest.raises(MasterURLError) as info:
        ZooKeeperURL.parse("zk://mesos:t0psecret@h1:2181/")
    assert "t0psecret" not in str(info.value)


@pytest.mark.parametrize("text, expected", [
    ("10.0.0.1:5050", "10.0.0.1:5050"),
    ("mesos-master", "mesos-master:5050"),
    ("master@10.0.0.1:5051", "10.0.0.1:5051"),
    ("http://10.0.0.1:5050", "10.0.0.1:5050"),
    ("https://m.example.com:443/master/state", "m.example.com:443"),
])
def test_plain_master_addresses(text, expected):
    assert parse_master(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "a b:5050", "h:99999", "u:p@h:5050"])
def test_bad_master_addresses(text):
    with pytest.raises(MasterURLError):
        parse_master(text)


def test_master_url_files(tmp_path):
    (tmp_path / "zk").write_text("zk://u:p@h1:2181/mesos\n")
    (tmp_path / "loop").write_text(f"file://{tmp_path / 'zk'}")
    assert parse_master(f"file://{tmp_path / 'zk'}").credentials == ("u", "p")
    with pytest.raises(MasterURLError, match="another file"):
        parse_master(f"file://{tmp_path / 'loop'}")
    with pytest.raises(MasterURLError, match="cannot read"):
        parse_master(f"file://{tmp_path / 'missing'}")


@pytest.mark.parametrize("info, expected", [
    ({"address": {"hostname": "localhost", "ip": "127.0.0.1", "port": 5050}, "port": 5050}, "127.0.0.1:5050"),
    ({"address": {"hostname": "m1", "port": 5051}}, "m1:5051"),
    ({"hostname": "m2", "port": 5052}, "m2:5052"),
    ({"ip": 16777343, "port": 5053}, "127.0.0.1:5053"),
    ({"pid": "master@10.0.0.9:5054"}, "10.0.0.9:5054"),
    ({"address": {"ip": "::1", "port": 5055}}, "[::1]:5055"),
])
def test_master_addresses_from_master_info(info, expected):
    assert master_address(info) == expected


@pytest.mark.parametrize("info", [{}, {"hostname": "m"}, {"address": {"ip": "1.2.3.4", "port": 0}}, ["x"],
                                  {"hostname": "m", "port": "http"}])
def test_master_info_without_an_address_is_refused(info):
    with pytest.raises(MasterInfoError):
        master_address(info)


def test_the_real_mesos_master_info():
    assert master_address(json.loads(REAL_MASTER_INFO)) == "127.0.0.1:5052"


@pytest.mark.parametrize("children, leader", [
    (["json.info_0000000003", "json.info_0000000001", "log_replicas"], "json.info_0000000001"),
    (["json.info_0000000010", "json.info_0000000009"], "json.info_0000000009"),
    (["log_replicas", "info_0000000000", "json.info_x"], None),
    ([], None),
])
def test_the_smallest_master_sequence_leads(children, leader):
    assert leading_master(children) == leader


def test_the_smallest_contender_sequence_leads():
    a, b = "a" * 32, "b" * 32
    children = [f"{a}_contender_0000000012", f"{b}_contender_0000000011", "lock", f"{a}_contender_x"]
    assert leading_contender(children) == f"{b}_contender_0000000011"
    assert leading_contender(["lock"]) is None


def test_acls():
    open_acl = master_acl(None)
    assert open_acl == private_acl(None) and open_acl[0].id.scheme == "world"
    master = master_acl(("mesos", "pw"))
    assert [(a.id.scheme, a.perms) for a in master] == [("digest", Permissions.ALL), ("world", Permissions.READ)]
    assert master[0].id.id.startswith("mesos:")
    assert [a.id.scheme for a in private_acl(("mesos", "pw"))] == ["digest"]


def test_client_factory_applies_credentials_and_acl():
    client = make_kazoo_client("zk://mesos:pw@h1:2181,h2:2182/mesos", timeout=3)
    assert ("digest", "mesos:pw") in client.auth_data
    assert client.default_acl == master_acl(("mesos", "pw"))
    assert client.chroot in (None, "")
    custom = make_kazoo_client(ZooKeeperURL.parse("zk://h1/m"), acl=private_acl(("a", "b")))
    assert custom.default_acl == private_acl(("a", "b"))


def test_a_fixed_master_needs_no_zookeeper_and_runs_once():
    seen = []
    detector = MasterDetector("http://10.1.2.3:5050/", seen.append)
    assert detector.leader is None
    assert detector.wait_for_leader(0) == "10.1.2.3:5050"
    assert seen == ["10.1.2.3:5050"]
    detector.stop()
    with pytest.raises(LeadershipError, match="cannot be started again"):
        detector.start()
