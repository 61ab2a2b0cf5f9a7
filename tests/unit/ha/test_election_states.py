"""LeaderElection's reaction to connection states, on an in-memory stand-in for kazoo (no server, no sleeps).

SUSPENDED and LOST must reach `on_event` synchronously, inside kazoo's listener call, before anything else.
"""
from __future__ import annotations

import queue
import threading

import pytest
from kazoo.exceptions import NoNodeError
from kazoo.protocol.states import KazooState, ZnodeStat

from mesosframe.ha import LeaderElection, LeadershipEventKind as Kind

SESSION = 0x1234


class FakeKazoo:
    """Just the kazoo calls LeaderElection makes, on a dict of znodes, with a settable connection state."""

    def __init__(self) -> None:
        self.state = KazooState.CONNECTED
        self.client_id = (SESSION, b"pw")
        self.nodes: dict[str, bytes] = {}
        self.listeners: list = []
        self.child_watches: list = []
        self._seq = 0
        self._lock = threading.Lock()

    def add_listener(self, fn) -> None:
        self.listeners.append(fn)

    def remove_listener(self, fn) -> None:
        if fn in self.listeners:
            self.listeners.remove(fn)

    def set_state(self, state: str) -> None:
        self.state = state
        for fn in list(self.listeners):
            fn(state)

    def ensure_path(self, path: str) -> None:
        self.nodes.setdefault(path, b"")

    def create(self, path: str, value: bytes, ephemeral: bool, sequence: bool, makepath: bool) -> str:
        with self._lock:
            name = f"{path}{self._seq:010d}"
            self._seq += 1
            self.nodes[name] = value
        self._fire()
        return name

    def delete(self, path: str) -> None:
        if self.nodes.pop(path, None) is None:
            raise NoNodeError()
        self._fire()

    def delete_async(self, path: str) -> "Done":
        return Done(self.delete, path)

    def get_children(self, path: str, watch=None) -> list[str]:
        if watch is not None:
            self.child_watches.append(watch)
        prefix = path + "/"
        return [p[len(prefix):] for p in self.nodes if p.startswith(prefix)]

    def get(self, path: str):
        if path not in self.nodes:
            raise NoNodeError()
        return self.nodes[path], None

    def exists(self, path: str):
        if path not in self.nodes:
            return None
        return ZnodeStat(0, 0, 0, 0, 0, 0, 0, SESSION, 0, 0, 0)

    def _fire(self) -> None:
        watches, self.child_watches = self.child_watches, []
        for watch in watches:
            watch(None)


class Done:
    """A finished kazoo async result."""

    def __init__(self, call, *args) -> None:
        self.error = None
        try:
            self.value = call(*args)
        except Exception as exc:
            self.error = exc

    def get(self):
        if self.error is not None:
            raise self.error
        return self.value

    def rawlink(self, callback) -> None:
        callback(self)


@pytest.fixture
def elected():
    """A started election on a FakeKazoo that has been ELECTED; yields (election, events queue, client)."""
    client, events = FakeKazoo(), queue.Queue()
    election = LeaderElection(client, "/leader", "a:1", events.put)
    election.start()
    assert events.get(timeout=5).kind is Kind.ELECTED
    yield election, events, client
    election.stop()


def drain(events: queue.Queue) -> list:
    out = []
    while not events.empty():
        out.append(events.get_nowait())
    return out


def test_suspension_is_reported_inside_the_listener_call(elected):
    election, events, client = elected
    client.set_state(KazooState.SUSPENDED)
    assert [e.kind for e in drain(events)] == [Kind.SUSPENDED]
    assert not election.is_leader


def test_loss_is_reported_inside_the_listener_call(elected):
    election, events, client = elected
    client.set_state(KazooState.SUSPENDED)
    client.nodes.clear()  # the session expired: the ephemeral znode is gone
    client.set_state(KazooState.LOST)
    assert [(e.kind, e.reason) for e in drain(events)] == [(Kind.SUSPENDED, ""), (Kind.LOST, "session_lost")]
    client.state = KazooState.CONNECTED
    client.set_state(KazooState.CONNECTED)
    event = events.get(timeout=5)
    assert (event.kind, event.term) == (Kind.ELECTED, 2)


def test_reconnection_in_the_same_session_resumes(elected):
    election, events, client = elected
    client.set_state(KazooState.SUSPENDED)
    client.set_state(KazooState.CONNECTED)
    kinds = [events.get(timeout=5).kind for _ in range(2)]
    assert kinds == [Kind.SUSPENDED, Kind.RESUMED]
    assert election.is_leader and election.term == 1


def test_nothing_but_suspension_while_suspended(elected):
    election, events, client = elected
    client.set_state(KazooState.SUSPENDED)
    for watch in client.child_watches:  # a change is noticed while the connection is down
        watch(None)
    election.abdicate()  # LOST is still reported: the caller asked to stop leading
    assert [e.kind for e in drain(events)] == [Kind.SUSPENDED, Kind.LOST]
    assert not election.is_leader


def test_start_twice_is_refused(elected):
    election, _, _ = elected
    with pytest.raises(Exception, match="only once"):
        election.start()


def test_abdication_moves_to_the_back_of_the_queue(elected):
    election, events, client = elected
    client.create("/leader/" + "b" * 32 + "_contender_", b"b:2", ephemeral=True, sequence=True, makepath=True)
    election.abdicate()
    assert [(e.kind, e.reason) for e in drain(events)] == [(Kind.LOST, "abdicated")]
    assert election.leader_identity() == "b:2"
