"""`BackgroundCalls` against small HTTP servers on loopback: calls carry the stream id and credentials and are
pipelined (written before the earlier ones are answered, answers matched in order), the unanswered calls of a
connection that broke are sent once more (never an ACCEPT), a new subscription gets a new connection, no target
drops; `wait_written` waits for ACCEPTs to be written, not answered, and gives up after its timeout."""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mesosframe.driver.background import BackgroundCalls


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.calls: list[tuple[str, str | None, str | None]] = []
        self.ports: list[int] = []          # the client port of each call: a new one is a new connection
        self.drop_next = False       # close the connection without answering, once
        self.answer = threading.Event()   # cleared: read the call, then hold the answer back
        self.answer.set()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server: Recorder = self.server      # type: ignore[assignment]
        server.calls.append((body["type"], self.headers.get("Mesos-Stream-Id"), self.headers.get("Authorization")))
        server.ports.append(self.client_address[1])
        server.answer.wait(10)
        if server.drop_next:
            server.drop_next = False
            self.close_connection = True
            return
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def server():
    s = Recorder()
    yield s
    s.shutdown()


@pytest.mark.parametrize("kind,attempts", [("ACKNOWLEDGE", 2), ("KILL", 2), ("ACCEPT", 1)])
def test_a_dead_kept_alive_connection_is_retried_except_for_accept(server, kind, attempts):
    calls = BackgroundCalls(lambda: (server.address, "stream-1", {"Authorization": "Basic eA=="}))
    try:
        calls.send({"type": "REVIVE"})                   # opens the kept-alive connection
        wait_until(lambda: calls.sent == 1)
        server.drop_next = True
        calls.send({"type": kind})
        wait_until(lambda: calls.sent + calls.failed == 2)
        assert [c[0] for c in server.calls] == ["REVIVE", *[kind] * attempts]
        assert all(c[1:] == ("stream-1", "Basic eA==") for c in server.calls)
        assert (calls.sent, calls.failed) == ((2, 0) if attempts == 2 else (1, 1))
    finally:
        calls.close()


def test_without_a_subscription_calls_are_dropped_and_counted(server):
    calls = BackgroundCalls(lambda: None)
    try:
        calls.send({"type": "ACCEPT"})
        wait_until(lambda: calls.failed == 1)
        assert server.calls == []
    finally:
        calls.close()


def test_a_new_subscription_gets_a_fresh_connection(server):
    stream = ["stream-1"]
    calls = BackgroundCalls(lambda: (server.address, stream[0], {}))
    try:
        for count, stream_id in enumerate(("stream-1", "stream-1", "stream-2"), start=1):
            stream[0] = stream_id
            calls.send({"type": "KILL"})
            wait_until(lambda: calls.sent == count)
        assert server.ports[0] == server.ports[1] != server.ports[2]
    finally:
        calls.close()


def test_waiting_for_accepts_ends_when_they_are_written_not_answered(server):
    server.answer.clear()
    calls = BackgroundCalls(lambda: (server.address, "stream-1", {}))
    try:
        calls.send({"type": "ACCEPT", "n": 1})
        calls.send({"type": "ACCEPT", "n": 2})
        assert calls.wait_written(5.0) is True
        wait_until(lambda: len(server.calls) == 1)       # the server reads the second once it answers the first
        assert calls.sent == 0                            # written, and still waiting for the master's answer
    finally:
        server.answer.set()
        calls.close()


def test_waiting_for_accepts_that_cannot_be_sent_does_not_hang(server):
    calls = BackgroundCalls(lambda: None)      # not subscribed: dropped, so nothing left to wait for
    try:
        calls.send({"type": "ACCEPT"})
        assert calls.wait_written(5.0) is True and calls.failed == 1
    finally:
        calls.close()


def test_waiting_for_an_accept_the_master_does_not_read_gives_up_at_the_timeout():
    with socket.socket() as listener:                    # accepts connections, never reads them
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        calls = BackgroundCalls(lambda: (f"127.0.0.1:{listener.getsockname()[1]}", "s", {}),
                                timeout=1.0)
        try:
            calls.send({"type": "ACCEPT", "operations": ["x" * 1000] * 32_000})     # ~32 MB: cannot be buffered
            started = time.monotonic()
            assert calls.wait_written(0.3) is False
            assert 0.3 <= time.monotonic() - started < 1.0
        finally:
            calls.close()


def test_accepts_go_before_kills_and_acknowledgements_queued_earlier(server):
    server.answer.clear()                                # one call unanswered at most: the first one holds the rest
    calls = BackgroundCalls(lambda: (server.address, "stream-1", {}), depth=1)
    try:
        calls.send({"type": "REVIVE"})
        wait_until(lambda: len(server.calls) == 1)
        for kind in ("KILL", "ACKNOWLEDGE", "KILL", "ACCEPT"):
            calls.send({"type": kind})
        server.answer.set()
        wait_until(lambda: calls.sent == 5)
        assert [c[0] for c in server.calls] == ["REVIVE", "ACCEPT", "KILL", "ACKNOWLEDGE", "KILL"]
    finally:
        calls.close()


class RawMaster:
    """Reads requests on one connection at a time and answers them only when told: `answer(statuses)` answers
    the oldest unanswered requests in order; `close()` drops the connection without answering the rest."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests: list[tuple[int, dict]] = []      # (connection number, body) in arrival order
        self.connections: list[socket.socket] = []
        self._answered = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._read, args=(conn, len(self.connections)), daemon=True).start()

    def _read(self, conn: socket.socket, number: int) -> None:
        buffer = b""
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end >= 0:
                length = int(buffer[:end].lower().split(b"content-length:")[1].split(b"\r\n")[0])
                if len(buffer) >= end + 4 + length:
                    self.requests.append((number, json.loads(buffer[end + 4:end + 4 + length])))
                    buffer = buffer[end + 4 + length:]
                    continue
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk

    def answer(self, statuses: list[int]) -> None:
        conn = self.connections[-1]
        for status in statuses:
            body = b"" if status == 202 else b"Task is unknown"
            conn.sendall(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body))

    def close(self) -> None:
        conn = self.connections[-1]
        conn.shutdown(socket.SHUT_RDWR)     # wakes its reading thread; a bare close() would not end the connection
        conn.close()


@pytest.fixture
def raw_master():
    master = RawMaster()
    yield master
    master.listener.close()
    for conn in master.connections:
        conn.close()


def test_calls_are_pipelined_and_answers_matched_in_order(raw_master):
    calls = BackgroundCalls(lambda: (raw_master.address, "stream-1", {}))
    try:
        for n in range(5):
            calls.send({"type": "KILL", "n": n})
        wait_until(lambda: len(raw_master.requests) == 5)      # all written, none answered yet
        assert calls.sent == calls.failed == 0
        raw_master.answer([202, 400, 202, 202, 202])
        wait_until(lambda: calls.sent + calls.failed == 5)
        assert (calls.sent, calls.failed) == (4, 1)
        assert [body["n"] for _, body in raw_master.requests] == [0, 1, 2, 3, 4]
    finally:
        calls.close()


def test_unanswered_calls_of_a_broken_connection_go_once_more_but_not_accepts(raw_master):
    calls = BackgroundCalls(lambda: (raw_master.address, "stream-1", {}))
    try:
        calls.send({"type": "KILL", "n": 0})
        wait_until(lambda: len(raw_master.requests) == 1)
        raw_master.answer([202])
        wait_until(lambda: calls.sent == 1)
        for kind in ("ACKNOWLEDGE", "ACCEPT", "KILL"):
            calls.send({"type": kind})
        wait_until(lambda: len(raw_master.requests) == 4)
        raw_master.close()                         # the master dies with three calls unanswered
        wait_until(lambda: len(raw_master.requests) == 6)
        again = sorted((number, body["type"]) for number, body in raw_master.requests[4:])
        assert again == [(2, "ACKNOWLEDGE"), (2, "KILL")]
        raw_master.close()                         # and the fresh connection dies too: given up, not sent again
        wait_until(lambda: calls.failed == 3)      # the ACCEPT and these two
        time.sleep(0.1)
        assert len(raw_master.requests) == 6 and calls.sent == 1
    finally:
        calls.close()


def test_at_most_depth_calls_are_unanswered(raw_master):
    calls = BackgroundCalls(lambda: (raw_master.address, "stream-1", {}), depth=2)
    try:
        for _ in range(5):
            calls.send({"type": "KILL"})
        wait_until(lambda: len(raw_master.requests) == 2)
        time.sleep(0.1)
        assert len(raw_master.requests) == 2
        raw_master.answer([202, 202])
        wait_until(lambda: len(raw_master.requests) == 4)
    finally:
        calls.close()


def test_closing_waits_briefly_for_the_answers_to_what_was_written(raw_master):
    calls = BackgroundCalls(lambda: (raw_master.address, "stream-1", {}))
    calls.send({"type": "KILL"})
    wait_until(lambda: len(raw_master.requests) == 1)
    threading.Timer(0.2, raw_master.answer, ([202],)).start()
    started = time.monotonic()
    calls.close()
    assert calls.sent == 1 and calls.failed == 0
    assert 0.15 < time.monotonic() - started < 1.5
