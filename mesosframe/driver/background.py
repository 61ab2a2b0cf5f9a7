"""`BackgroundCalls`: sends ACCEPT, KILL and ACKNOWLEDGE calls from worker threads, each with its own HTTP
connection.

Mesos has no batched acknowledgement or kill, and pymesos sends every call on one connection under one lock, so
one round trip per status update (or per instance of a rolling restart, or the master's work on every launch
of an ACCEPT) would bound the core loop's throughput. The loop hands a call over only after its cause is
persisted (so "persist, then call" holds); the workers send it, ACCEPTs before the calls queued earlier, and
`wait_written` lets the loop wait until its ACCEPTs are written. A call that fails is dropped and logged: the
agent resends an unacknowledged update, and a task whose kill was lost is killed again when reconciliation
reports it alive (its goal is STOPPED).
`target()` gives the current (master "host:port", stream id, extra headers) or None.
"""
from __future__ import annotations

import http.client
import itertools
import json
import logging
import queue
import threading
from typing import Callable

log = logging.getLogger("mesosframe.driver.background")
Target = Callable[[], "tuple[str, str, dict[str, str]] | None"]
_STOP = object()


class BackgroundCalls:
    def __init__(self, target: Target, workers: int = 4, timeout: float = 10.0) -> None:
        self.target = target
        self.timeout = timeout
        self.queue: queue.PriorityQueue = queue.PriorityQueue()   # (rank, sequence, item): ACCEPTs first
        self._sequence = itertools.count()
        self.sent = self.failed = 0
        self._unwritten = 0                  # ACCEPTs queued and not yet written (or given up)
        self._written = threading.Condition()
        self._threads = [threading.Thread(target=self._work, name=f"mesosframe-calls-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def send(self, body: dict | bytes, kind: str | None = None) -> None:
        """Queue one call body (`mesosframe.calls.acknowledge`, `.kill` or `.accept`), or its JSON already
        encoded (then say its `kind`). A call that fails on a kept-alive connection is retried once on a fresh
        one, except ACCEPT: it is not idempotent (a second ACCEPT of a used offer would have the master report
        the launched tasks as dropped)."""
        kind = kind or body.get("type", "?")    # type: ignore[union-attr]
        if kind == "ACCEPT":
            with self._written:
                self._unwritten += 1
        # launches go before kills and acknowledgements queued earlier; encoded by the worker (bodies are not
        # changed once handed over)
        self.queue.put((0 if kind == "ACCEPT" else 1, next(self._sequence), (kind, body, kind != "ACCEPT")))

    def wait_written(self, timeout: float) -> bool:
        """Block until every ACCEPT queued so far is written (or given up), at most `timeout` seconds; True if
        none is left. The core loop waits here so that its own work does not slow its launches down."""
        with self._written:
            return self._written.wait_for(lambda: self._unwritten == 0, timeout)

    def _accept_done(self) -> None:
        with self._written:
            self._unwritten -= 1
            if self._unwritten == 0:
                self._written.notify_all()

    def close(self) -> None:
        for _ in self._threads:
            self.queue.put((2, next(self._sequence), _STOP))
        for thread in self._threads:
            thread.join(self.timeout)

    def _work(self) -> None:
        link = _Link()
        while True:
            _, _, item = self.queue.get()
            if item is _STOP:
                break
            kind, body, retry = item
            written = False
            try:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                written = self._deliver(link, kind, data, retry)
            finally:
                if kind == "ACCEPT" and not written:
                    self._accept_done()     # given up: no longer waited for
        link.close()

    def _deliver(self, link: "_Link", kind: str, data: bytes, retry: bool) -> bool:
        """Send one call; True if it was written (an ACCEPT is reported written then, before its answer)."""
        target = self.target()
        if target is None:
            self.failed += 1
            if kind != "ACKNOWLEDGE":      # the agent resends updates; a lost launch or kill is worth a line
                log.warning("background_call_dropped type=%s: not subscribed", kind)
            return False
        master, stream_id, headers = target
        if link.conn is not None and link.opened_for != (master, stream_id):   # a new subscription: maybe a new master
            link.close()
        headers = {"Content-Type": "application/json", "Mesos-Stream-Id": stream_id, **headers}
        # A kept-alive connection may have died with its master: retry once on a fresh one. ACCEPT only when
        # the request could not even be written, as then the master cannot have acted on it.
        for fresh in ((False, True) if link.conn is not None else (True,)):
            if fresh:
                host, port = master.rsplit(":", 1)
                link.conn = http.client.HTTPConnection(host, int(port), timeout=self.timeout)
                link.opened_for = (master, stream_id)
            written = False
            try:
                self._write(link.conn, data, headers)
                written = True
                if kind == "ACCEPT":
                    self._accept_done()
                status, text = self._read(link.conn)
            except (OSError, http.client.HTTPException) as exc:
                link.close()
                if fresh or (written and not retry):    # an ACCEPT is never written twice
                    log.warning("background_call_failed type=%s error=%s", kind, exc)
                    self.failed += 1
                    return written
                continue
            if 200 <= status < 300:
                self.sent += 1
            else:
                log.warning("background_call_rejected type=%s status=%d body=%s", kind, status, text[:200])
                self.failed += 1
            return True
        self.failed += 1
        return False

    @staticmethod
    def _read(conn: http.client.HTTPConnection) -> tuple[int, str]:
        """The answer to the request just written: status and body (benchmarks hook it)."""
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")

    @staticmethod
    def _write(conn: http.client.HTTPConnection, data: bytes, headers: dict[str, str]) -> None:
        """Send the request (a call is "sent" when this returns; benchmarks hook it)."""
        conn.request("POST", "/api/v1/scheduler", body=data, headers=headers)


class _Link:
    """A worker's kept-alive connection and the (master, stream id) it was opened for."""

    def __init__(self) -> None:
        self.conn: http.client.HTTPConnection | None = None
        self.opened_for: tuple[str, str] | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
