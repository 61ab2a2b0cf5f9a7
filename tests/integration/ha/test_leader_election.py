"""LeaderElection against a real ZooKeeper: election, failover, session expiry, lost connections, abdication."""
from __future__ import annotations

import pytest
from kazoo.client import KazooClient
from kazoo.retry import KazooRetry

from mesosframe.errors import LeadershipError
from mesosframe.ha import LeaderElection, ZooKeeperURL, make_kazoo_client, private_acl
from mesosframe.ha import LeadershipEventKind as Kind
from mesosframe.testing.zookeeper import expire_session

pytestmark = pytest.mark.zookeeper

PATH = "/frameworks/cron/leader"


@pytest.fixture
def contender(kazoo_client, zk_hosts, new_client, event_log):
    """`contender(identity, **options)` -> (election, events, client), each on its own ZooKeeper session."""
    elections: list[LeaderElection] = []

    def make(identity: str, **options):
        client = new_client(zk_hosts)
        events = event_log()
        election = LeaderElection(client, PATH, identity, events, **options)
        election.start()
        elections.append(election)
        return election, events, client

    yield make
    for election in elections:
        election.stop()


def test_a_lone_contender_is_elected(contender):
    election, events, _ = contender("10.0.0.1:8080")
    event = events.expect(Kind.ELECTED)
    assert (event.identity, event.term) == ("10.0.0.1:8080", 1)
    assert election.is_leader
    assert election.leader_identity() == "10.0.0.1:8080"


def test_two_contenders_one_leader_then_failover(contender):
    first, first_events, first_client = contender("a:1")
    first_events.expect(Kind.ELECTED)
    second, second_events, _ = contender("b:2")
    assert second.leader_identity() == "a:1"
    assert second_events.quiet() and not second.is_leader
    first_client.stop()  # the leader's process dies: its session and znode go
    assert first_events.expect(Kind.LOST).reason == "session_lost"
    assert second_events.expect(Kind.ELECTED).identity == "b:2"
    assert second.is_leader and not first.is_leader
    assert second.leader_identity() == "b:2"


def test_session_expiry_loses_leadership_then_reelects(contender):
    election, events, client = contender("a:1")
    events.expect(Kind.ELECTED)
    expire_session(client)
    kinds = [events.next().kind, events.next().kind]
    # kazoo may or may not report the drop as SUSPENDED before LOST; LOST must come before re-election
    assert kinds in ([Kind.LOST, Kind.ELECTED], [Kind.SUSPENDED, Kind.LOST])
    if kinds[-1] is Kind.LOST:
        kinds.append(events.expect(Kind.ELECTED).kind)
    assert events.seen[-1].term == 2
    assert election.is_leader
    assert election.leader_identity() == "a:1"
    assert len(client.get_children(PATH)) == 1  # the old znode died with the session


def test_session_expiry_without_rejoin_leaves_the_election(contender):
    election, events, client = contender("a:1", rejoin=False)
    events.expect(Kind.ELECTED)
    expire_session(client)
    while events.next().kind is not Kind.LOST:
        pass
    assert events.quiet(1.0) and not election.is_leader
    client.retry(client.ensure_path, PATH)
    assert election.leader_identity() is None


def test_abdication_hands_over_to_the_other_contender(contender):
    first, first_events, _ = contender("a:1")
    first_events.expect(Kind.ELECTED)
    second, second_events, _ = contender("b:2")
    first.abdicate()
    assert first_events.expect(Kind.LOST).reason == "abdicated"
    assert second_events.expect(Kind.ELECTED).identity == "b:2"
    assert first.leader_identity() == "b:2"
    assert first_events.quiet() and not first.is_leader  # it contends again, behind b


def test_stop_reports_lost_and_frees_the_path(contender):
    first, first_events, _ = contender("a:1")
    first_events.expect(Kind.ELECTED)
    second, second_events, _ = contender("b:2")
    first.stop()
    assert first_events.expect(Kind.LOST).reason == "stopped"
    second_events.expect(Kind.ELECTED)


def test_a_deleted_znode_deposes_the_leader(contender, kazoo_client):
    election, events, _ = contender("a:1")
    events.expect(Kind.ELECTED)
    (node,) = kazoo_client.get_children(PATH)
    kazoo_client.delete(f"{PATH}/{node}")
    assert events.expect(Kind.LOST).reason == "deposed"
    assert events.expect(Kind.ELECTED).term == 2


def test_a_secured_election_path_keeps_out_other_credentials(zk_url, event_log):
    url = ZooKeeperURL.parse(zk_url.replace("zk://", "zk://fw:pw@") + "/secure")
    owner = make_kazoo_client(url, acl=private_acl(url.credentials))
    stranger = make_kazoo_client(zk_url)
    try:
        owner.start(30)
        stranger.start(30)
        events = event_log()
        election = LeaderElection(owner, f"{url.path}/leader", "a:1", events)
        election.start()
        events.expect(Kind.ELECTED)
        intruder = LeaderElection(stranger, f"{url.path}/leader", "evil:1", event_log())
        with pytest.raises(LeadershipError, match="may not contend"):
            intruder.start()
        with pytest.raises(LeadershipError, match="may not read"):
            intruder.leader_identity()
        assert election.leader_identity() == "a:1"
        election.stop()
    finally:
        for client in (owner, stranger):
            client.stop()
            client.close()


def test_a_dropped_connection_suspends_then_resumes(zk_proxy, kazoo_client, zk_chroot, event_log):
    client = KazooClient(hosts=f"{zk_proxy.address}{zk_chroot}", timeout=30,
                         connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.2))
    client.start(30)
    events = event_log()
    election = LeaderElection(client, "/leader", "a:1", events)
    election.start()
    try:
        events.expect(Kind.ELECTED)
        zk_proxy.cut()  # ZooKeeper is unreachable; the session lives on in the server
        assert events.expect(Kind.SUSPENDED).term == 1
        assert not election.is_leader
        assert events.quiet(0.5)  # nothing while suspended
        zk_proxy.restore()
        assert events.expect(Kind.RESUMED, timeout=20).term == 1
        assert election.is_leader
        assert election.leader_identity() == "a:1"
    finally:
        election.stop()
        client.stop()
        client.close()
