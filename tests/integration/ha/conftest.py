"""Helpers for the HA integration tests: clients that are cleaned up, and an event recorder to wait on."""
from __future__ import annotations

import queue
import socket
import threading

import pytest
from kazoo.client import KazooClient
from kazoo.retry import KazooRetry

from mesosframe.ha import LeadershipEvent, LeadershipEventKind


class EventLog:
    """Collects LeadershipEvents (use as `on_event`) and waits for them in order."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self.seen: list[LeadershipEvent] = []

    def __call__(self, event: LeadershipEvent) -> None:
        self._queue.put(event)

    def next(self, timeout: float = 10.0) -> LeadershipEvent:
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout}s; seen {[e.kind.value for e in self.seen]}")
        self.seen.append(event)
        return event

    def expect(self, kind: LeadershipEventKind, timeout: float = 10.0) -> LeadershipEvent:
        event = self.next(timeout)
        assert event.kind is kind, f"expected {kind.value}, got {event}"
        return event

    def quiet(self, timeout: float = 0.3) -> bool:
        """True when no event arrives within `timeout` (a short, bounded check, not a sleep-for-sync)."""
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            return True
        self.seen.append(event)
        return False


@pytest.fixture
def event_log():
    """The EventLog class: `events = event_log()` makes a recorder to pass as `on_event`."""
    return EventLog


@pytest.fixture
def new_client():
    """`new_client(hosts, **options)` -> a started KazooClient that reconnects quickly; all stopped at the end."""
    clients: list[KazooClient] = []

    def make(hosts: str, timeout: float = 5.0, **options) -> KazooClient:
        options.setdefault("connection_retry", KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5))
        client = KazooClient(hosts=hosts, timeout=timeout, **options)
        client.start(timeout=30)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.stop()
        client.close()


class TcpProxy:
    """Forwards a loopback port to `target` ("host:port"). `cut()` drops every connection and refuses new ones
    until `restore()`: a lost connection without restarting ZooKeeper, so the session survives for sure."""

    def __init__(self, target: str) -> None:
        host, _, port = target.rpartition(":")
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._open = threading.Event()
        self._open.set()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self._open.clear()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self.cut()
        _close(self._listener)

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                _close(downstream)
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                _close(downstream)
                continue
            with self._lock:
                self._sockets += [downstream, upstream]
            for src, dst in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=_pump, args=(src, dst), daemon=True).start()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        _close(src)
        _close(dst)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture
def zk_proxy(zookeeper_server):
    """A TcpProxy in front of the test ZooKeeper server."""
    proxy = TcpProxy(zookeeper_server.hosts)
    yield proxy
    proxy.close()
