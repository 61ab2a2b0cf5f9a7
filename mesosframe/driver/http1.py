"""HTTP/1.1 framing for calls pipelined on one connection: request bytes out, answers cut from a buffer.

Pure functions (no sockets). `request_prefix` is computed once per connection; `request` adds one call's
length and body. `take_answer` removes the first complete answer from the bytes read so far and returns it,
or returns None until enough bytes are there. An answer framed in a way a scheduler call's answer never is
(no length, not chunked) raises `ValueError`: the connection cannot be read on and must be dropped.
"""
from __future__ import annotations

from typing import NamedTuple

PATH = "/api/v1/scheduler"


class Answer(NamedTuple):
    status: int
    text: str
    close: bool          # the master will read nothing more on this connection


def request_prefix(master: str, headers: dict[str, str]) -> bytes:
    """Request line and fixed headers of a JSON POST to the scheduler API of `master` ("host:port")."""
    lines = [f"POST {PATH} HTTP/1.1", f"Host: {master}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def request(prefix: bytes, body: bytes) -> bytes:
    """One complete request: `prefix`, the length and the body."""
    return b"%sContent-Length: %d\r\n\r\n%s" % (prefix, len(body), body)


def take_answer(buffer: bytearray) -> Answer | None:
    """Remove the first complete final answer from `buffer` (informational 1xx answers are skipped)."""
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = bytes(buffer[:end]).split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise ValueError(f"not an HTTP answer: {lines[0][:80]!r}")
        status = int(parts[1])
        if status < 200:
            del buffer[:end + 4]
            continue
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        start = end + 4
        if b"content-length" in headers:
            if not headers[b"content-length"].isdigit():
                raise ValueError("a bad Content-Length")
            stop = start + int(headers[b"content-length"])
            if len(buffer) < stop:
                return None
            body, consumed = bytes(buffer[start:stop]), stop
        elif headers.get(b"transfer-encoding") == b"chunked":
            found = _dechunk(buffer, start)
            if found is None:
                return None
            body, consumed = found
        else:
            raise ValueError("an answer without a length")
        del buffer[:consumed]
        return Answer(status, body.decode("utf-8", "replace"), headers.get(b"connection") == b"close")


def _dechunk(buffer: bytearray, position: int) -> tuple[bytes, int] | None:
    """(body, bytes used up to the end of the answer) of a chunked body starting at `position`, or None."""
    body = bytearray()
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size_text = bytes(buffer[position:line_end]).split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ValueError(f"a bad chunk size: {size_text[:20]!r}") from None
        position = line_end + 2
        if size == 0:          # then optional trailers and an empty line
            end = buffer.find(b"\r\n\r\n", position - 2)
            return None if end < 0 else (bytes(body), end + 4)
        if len(buffer) < position + size + 2:
            return None
        body += buffer[position:position + size]
        position += size + 2
