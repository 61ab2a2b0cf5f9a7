"""A raw HTTP client for the v1 scheduler API, for protocol tests: a subscription stream read by a
background thread (chunked + RecordIO parsed by hand, from arbitrary chunk boundaries) and one-shot calls."""
from __future__ import annotations

import http.client
import json
import queue
import socket
import threading
import time


def parse_records(buffer: bytearray) -> list[dict]:
    """Pop every complete RecordIO record from `buffer` (a de-chunked byte stream)."""
    out = []
    while True:
        newline = buffer.find(b"\n")
        if newline < 0:
            return out
        size = int(buffer[:newline])
        if len(buffer) < newline + 1 + size:
            return out
        out.append(json.loads(bytes(buffer[newline + 1:newline + 1 + size])))
        del buffer[:newline + 1 + size]


class Dechunker:
    """Incremental decoder of HTTP/1.1 chunked transfer encoding."""

    def __init__(self) -> None:
        self.raw = bytearray()
        self.body = bytearray()
        self.finished = False

    def feed(self, data: bytes) -> None:
        self.raw += data
        while not self.finished:
            line_end = self.raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self.raw[:line_end].split(b";")[0], 16)
            if len(self.raw) < line_end + 2 + size + 2:
                return
            self.body += self.raw[line_end + 2:line_end + 2 + size]
            del self.raw[:line_end + 2 + size + 2]
            if size == 0:
                self.finished = True


class Subscription:
    """SUBSCRIBE on a raw socket; events land in `events` (a queue); `ended` is set at stream end."""

    def __init__(self, port: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        fields = {"Host": "127.0.0.1", "Content-Type": "application/json", "Accept": "application/json",
                  **(headers or {}), "Content-Length": str(len(data))}
        head = "".join(f"{k}: {v}\r\n" for k, v in fields.items())
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(f"POST /api/v1/scheduler HTTP/1.1\r\n{head}\r\n".encode() + data)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        self.events: queue.Queue = queue.Queue()
        self.ended = threading.Event()
        self.chunks = Dechunker()
        self.buffer = bytearray()
        if self.headers.get("Transfer-Encoding") != "chunked":    # an error answer, not a stream
            self.body = rest
            self.ended.set()
            return
        self._feed(rest)
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def stream_id(self) -> str:
        return self.headers.get("Mesos-Stream-Id", "")

    def _feed(self, data: bytes) -> None:
        self.chunks.feed(data)
        self.buffer += self.chunks.body
        self.chunks.body.clear()
        for event in parse_records(self.buffer):
            self.events.put(event)

    def _read(self) -> None:
        try:
            while not self.chunks.finished:
                data = self.sock.recv(65536)
                if not data:
                    break
                self._feed(data)
        except OSError:
            pass
        self.ended.set()

    def next(self, kind: str | None = None, timeout: float = 5.0, skip=("HEARTBEAT",)) -> dict:
        """The next event (of type `kind`, skipping others and heartbeats)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if kind is None and event["type"] not in skip:
                return event
            if event["type"] == kind:
                return event

    def drain(self, seconds: float = 0.2) -> list[dict]:
        out = []
        deadline = time.monotonic() + seconds
        while True:
            try:
                out.append(self.events.get(timeout=max(0.001, deadline - time.monotonic())))
            except queue.Empty:
                return out

    def close(self) -> None:
        """Shut the connection down at once (a plain close waits for the reader thread's recv to end)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def call(port: int, body: dict | bytes | None, *, stream_id: str | None = None, method: str = "POST",
         content_type: str | None = "application/json", path: str = "/api/v1/scheduler",
         headers: dict | None = None):
    """One request; returns (status, headers dict, body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = dict(headers or {})
    if content_type:
        headers["Content-Type"] = content_type
    if stream_id:
        headers["Mesos-Stream-Id"] = stream_id
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    return resp.status, dict(resp.getheaders()), text
