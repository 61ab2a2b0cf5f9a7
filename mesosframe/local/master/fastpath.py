"""A lean front for the master's HTTP port: plain scheduler calls answered without aiohttp's per-request cost.

`FrontProtocol` reads each request head itself. A well-formed `POST /api/v1/scheduler` (or
`/master/api/v1/scheduler`) over HTTP/1.1 with `Content-Length`, `Content-Type: application/json`, valid
(or no required) credentials, a leading master, a JSON body and a type other than SUBSCRIBE is answered here:
`Master.handle` is called and its status (or `CallError`) is written back, keeping the connection alive
unless the client asked to close it. Anything else (SUBSCRIBE, other paths and methods, errors that the
checks before the call report, chunked bodies, a missing or odd header, shutdown) is handed over, with every
byte buffered so far, to aiohttp's own protocol for the rest of the connection, so aiohttp's answers and the
routes mounted on `MasterHttp` stay exactly as they were. Responses written here carry the same status,
`Content-Length`, `Content-Type` (for error text) and body as the aiohttp handler's.
"""
from __future__ import annotations

import asyncio
import http
import logging
import time
from email.utils import formatdate
from typing import TYPE_CHECKING, Callable

from mesosframe.local.master.auth import AuthenticationFailed
from mesosframe.local.master.validation import CallError, parse_json_body

if TYPE_CHECKING:
    from mesosframe.local.master.http import MasterHttp

log = logging.getLogger("mesosframe.local.master")

SCHEDULER_PATHS = frozenset({b"/api/v1/scheduler", b"/master/api/v1/scheduler"})
MAX_HEAD_BYTES = 64 * 1024
_SINGLE = frozenset({b"content-length", b"content-type", b"transfer-encoding", b"authorization",
                     b"mesos-stream-id", b"connection", b"expect"})
_REASONS = {status.value: status.phrase.encode("ascii") for status in http.HTTPStatus}


class _Date:
    """The `Date` header value, formatted at most once a second."""

    def __init__(self) -> None:
        self._second, self._value = -1, b""

    def __call__(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second, self._value = now, formatdate(now, usegmt=True).encode("ascii")
        return self._value


_date = _Date()


def parse_head(head: bytes) -> tuple[bytes, bytes, bytes, dict[bytes, bytes]] | None:
    """(method, target, version, lower-cased headers) of a request head, or None if it is not plain."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3:
        return None
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name[-1:] in (b" ", b"\t") or line[:1] in (b" ", b"\t"):
            return None
        name = name.lower()
        if name in headers and name in _SINGLE:
            return None
        headers[name] = value.strip()
    return parts[0], parts[1], parts[2], headers


def response(status: int, text: str = "", close: bool = False) -> bytes:
    """An HTTP/1.1 response: empty, or plain text as the aiohttp handler sends its error texts."""
    body = text.encode("utf-8")
    head = [b"HTTP/1.1 %d %s" % (status, _REASONS.get(status, b"Unknown")),
            b"Content-Length: %d" % len(body), b"Date: " + _date(), b"Server: mesosframe"]
    if body:
        head.append(b"Content-Type: text/plain; charset=utf-8")
    if close:
        head.append(b"Connection: close")
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class FrontProtocol(asyncio.Protocol):
    """One connection: fast path for plain calls, else handed to `fallback()` (aiohttp's RequestHandler)."""

    def __init__(self, front: "MasterHttp", fallback: Callable[[], asyncio.Protocol],
                 connections: set["FrontProtocol"]) -> None:
        self._front = front
        self._fallback = fallback
        self._connections = connections
        self._buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.handed_over = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._buffer and not self.handed_over and not self.transport.is_closing():
            if not self._serve_one():
                return

    def _serve_one(self) -> bool:
        """Answer the first buffered request; False when more bytes are needed or the connection left us."""
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEAD_BYTES or b"\n\n" in buffer:      # a head with bare LF ends: aiohttp's
                self._hand_over()
            return False
        parsed = parse_head(bytes(buffer[:end]))
        if parsed is None:
            return self._hand_over()
        method, target, version, headers = parsed
        length = headers.get(b"content-length", b"")
        if (method != b"POST" or target not in SCHEDULER_PATHS or version != b"HTTP/1.1" or not length.isdigit()
                or b"transfer-encoding" in headers or b"expect" in headers
                or headers.get(b"content-type", b"").split(b";")[0].strip().lower() != b"application/json"):
            return self._hand_over()
        size = int(length)
        if size > self._front.max_body_bytes:
            return self._hand_over()
        if len(buffer) < end + 4 + size:
            return False
        answer = self._call(headers, bytes(buffer[end + 4:end + 4 + size]))
        if answer is None:
            return self._hand_over()
        del buffer[:end + 4 + size]
        close = headers.get(b"connection", b"").lower() == b"close"
        self.transport.write(response(*answer, close=close))
        if close:
            self.transport.close()
            return False
        return True

    def _call(self, headers: dict[bytes, bytes], body: bytes) -> tuple[int, str] | None:
        """(status, text) of a plain call, or None to let aiohttp answer (before anything happened)."""
        front, master = self._front, self._front.master
        authorization = headers.get(b"authorization")
        try:
            principal = front.authenticate(authorization.decode("latin-1") if authorization is not None else None)
        except AuthenticationFailed:
            return None
        if front.closing or not master.leading:
            return None
        try:
            call = parse_json_body(body)
        except CallError:
            return None
        stream_id = headers.get(b"mesos-stream-id")
        if call.get("type") == "SUBSCRIBE" and stream_id is None:
            return None
        try:
            return master.handle(call, stream_id.decode("latin-1") if stream_id is not None else None,
                                 principal), ""
        except CallError as exc:
            return exc.status, exc.text
        except Exception:   # a bug must not wedge the master: answer 500 and keep serving
            log.exception("call_failed")
            return 500, "Internal error"

    def _hand_over(self) -> bool:
        """Give the connection, with everything buffered, to aiohttp for good."""
        self.handed_over = True
        self._connections.discard(self)
        protocol = self._fallback()
        self.transport.set_protocol(protocol)
        protocol.connection_made(self.transport)
        data, self._buffer = bytes(self._buffer), bytearray()
        if data:
            protocol.data_received(data)
        return False
