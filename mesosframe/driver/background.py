"""`BackgroundCalls`: sends ACKNOWLEDGE and KILL calls from worker threads, each with its own HTTP connection.

Mesos has no batched acknowledgement or kill, and pymesos sends every call on one connection under one lock, so
one round trip per status update (or per instance of a rolling restart) would bound the core loop's
throughput. The loop hands a call over only after its cause is persisted (so "persist, then call" holds);
the workers send it. A call that fails is dropped and logged: the agent resends an unacknowledged update, and a
task whose kill was lost is killed again when reconciliation reports it alive (its goal is STOPPED).
`target()` gives the current (master "host:port", stream id, extra headers) or None.
"""
from __future__ import annotations

import http.client
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
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.sent = self.failed = 0
        self._threads = [threading.Thread(target=self._work, name=f"mesosframe-calls-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def send(self, body: dict) -> None:
        """Queue one call body (`mesosframe.calls.acknowledge` or `.kill`)."""
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
                        log.warning("background_call_failed error=%s", exc)
                    continue
                if 200 <= status < 300:
                    self.sent += 1
                else:
                    log.warning("background_call_rejected status=%d", status)
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
