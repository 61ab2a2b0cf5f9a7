"""`AckSender`: sends ACKNOWLEDGE calls from worker threads, each with its own HTTP connection.

Mesos has no batched acknowledgement, and pymesos sends every call on one connection under one lock, so
one round trip per status update would bound the core loop's throughput. The loop hands an ack over only
after the update's consequence is persisted (so the order "persist, then acknowledge" holds); the workers
send it. An ack that fails is dropped and logged: the agent resends the update and it is acknowledged
again then. `target()` gives the current (master "host:port", stream id, extra headers) or None.
"""
from __future__ import annotations

import http.client
import json
import logging
import queue
import threading
from typing import Callable

log = logging.getLogger("mesosframe.driver.acks")
Target = Callable[[], "tuple[str, str, dict[str, str]] | None"]
_STOP = object()


class AckSender:
    def __init__(self, target: Target, workers: int = 4, timeout: float = 10.0) -> None:
        self.target = target
        self.timeout = timeout
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.sent = self.failed = 0
        self._threads = [threading.Thread(target=self._work, name=f"mesosframe-ack-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def send(self, body: dict) -> None:
        """Queue one ACKNOWLEDGE call body (from `mesosframe.calls.acknowledge`)."""
        self.queue.put(json.dumps(body).encode())

    def close(self) -> None:
        for _ in self._threads:
            self.queue.put(_STOP)
        for thread in self._threads:
            thread.join(self.timeout)

    def _work(self) -> None:
        conn: http.client.HTTPConnection | None = None
        address = None
        while True:
            data = self.queue.get()
            if data is _STOP:
                break
            target = self.target()
            if target is None:
                self.failed += 1
                continue
            master, stream_id, headers = target
            if conn is not None and address != master:
                conn.close()
                conn = None
            headers = {"Content-Type": "application/json", "Mesos-Stream-Id": stream_id, **headers}
            # A kept-alive connection may have died with a restarted master: retry once on a fresh one.
            for fresh in ((False, True) if conn is not None else (True,)):
                if fresh:
                    host, port = master.rsplit(":", 1)
                    conn, address = http.client.HTTPConnection(host, int(port), timeout=self.timeout), master
                try:
                    status = self._post(conn, data, headers)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = None
                    if fresh:
                        log.warning("ack_failed error=%s", exc)
                    continue
                if 200 <= status < 300:
                    self.sent += 1
                else:
                    log.warning("ack_rejected status=%d", status)
                    self.failed += 1
                break
            else:
                self.failed += 1
        if conn is not None:
            conn.close()

    @staticmethod
    def _post(conn: http.client.HTTPConnection, data: bytes, headers: dict[str, str]) -> int:
        conn.request("POST", "/api/v1/scheduler", body=data, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
