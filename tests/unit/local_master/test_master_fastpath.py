"""The front protocol's fast path, without sockets: a fake transport, a fake master and a fallback recorder."""
from __future__ import annotations

import json

import pytest

from mesosframe.local.master.auth import AuthenticationFailed
from mesosframe.local.master.fastpath import FrontProtocol, parse_head, response
from mesosframe.local.master.validation import CallError


class FakeTransport:
    def __init__(self) -> None:
        self.written = bytearray()
        self.closed = False
        self.protocol = None

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def set_protocol(self, protocol) -> None:
        self.protocol = protocol


class Fallback:
    """Stands for aiohttp's RequestHandler: records what it was given."""

    def __init__(self) -> None:
        self.transport = None
        self.data = bytearray()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.data += data


class FakeMaster:
    def __init__(self, result=202) -> None:
        self.leading = True
        self.calls: list = []
        self.result = result

    def handle(self, call, stream_id, principal=None):
        self.calls.append((call["type"], stream_id, principal))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


class FakeFront:
    def __init__(self, master: FakeMaster, principal=None, reject=False) -> None:
        self.master = master
        self.closing = False
        self.max_body_bytes = 1000
        self._principal, self._reject = principal, reject

    def authenticate(self, header):
        if self._reject:
            raise AuthenticationFailed("no")
        return self._principal


def request(body, *, method="POST", path="/api/v1/scheduler", version="HTTP/1.1", **headers) -> bytes:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    fields = {"Host": "x", "Content-Type": "application/json", "Mesos-Stream-Id": "s1",
              "Content-Length": str(len(data))}
    fields.update({k.replace("_", "-"): v for k, v in headers.items()})
    head = "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v is not None)
    return f"{method} {path} {version}\r\n{head}\r\n".encode() + data


REVIVE = {"type": "REVIVE", "framework_id": {"value": "f"}}


def connect(master=None, **front):
    master = master or FakeMaster()
    fallback = Fallback()
    connections: set = set()
    protocol = FrontProtocol(FakeFront(master, **front), lambda: fallback, connections)
    transport = FakeTransport()
    protocol.connection_made(transport)
    return protocol, transport, fallback, master, connections


def statuses(written: bytes) -> list[int]:
    return [int(line.split()[1]) for line in bytes(written).split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]


def test_plain_call_is_answered_and_the_connection_kept():
    protocol, transport, fallback, master, connections = connect()
    protocol.data_received(request(REVIVE))
    assert master.calls == [("REVIVE", "s1", None)]
    assert statuses(transport.written) == [202]
    assert b"\r\nContent-Length: 0\r\n" in transport.written
    assert not transport.closed and fallback.transport is None and protocol in connections


def test_pipelined_and_split_requests():
    protocol, transport, _, master, _ = connect()
    data = request(REVIVE) + request(dict(REVIVE, type="SUPPRESS"), path="/master/api/v1/scheduler")
    protocol.data_received(data[:10])
    assert master.calls == []
    protocol.data_received(data[10:-3])
    assert len(master.calls) == 1
    protocol.data_received(data[-3:])
    assert [c[0] for c in master.calls] == ["REVIVE", "SUPPRESS"]
    assert statuses(transport.written) == [202, 202]


def test_connection_close_is_honoured():
    protocol, transport, _, _, _ = connect()
    protocol.data_received(request(REVIVE, Connection="close"))
    assert transport.closed and b"Connection: close" in transport.written


@pytest.mark.parametrize("result, status, text", [
    (CallError(400, "Framework cannot be found"), 400, b"Framework cannot be found"),
    (CallError(403, "Framework is not subscribed"), 403, b"Framework is not subscribed"),
    (RuntimeError("bug"), 500, b"Internal error"),
    (501, 501, b""),
])
def test_call_outcomes_are_written_like_the_aiohttp_handler(result, status, text):
    protocol, transport, _, _, _ = connect(FakeMaster(result))
    protocol.data_received(request(REVIVE))
    assert statuses(transport.written) == [status]
    head, _, body = bytes(transport.written).partition(b"\r\n\r\n")
    assert body == text and b"Content-Length: %d" % len(text) in head
    assert (b"Content-Type: text/plain; charset=utf-8" in head) == bool(text)


@pytest.mark.parametrize("label, data, front", [
    ("subscribe", request({"type": "SUBSCRIBE", "subscribe": {}}, Mesos_Stream_Id=None), {}),
    ("get", request(b"", method="GET"), {}),
    ("other path", request(REVIVE, path="/agent/api/v1"), {}),
    ("query string", request(REVIVE, path="/api/v1/scheduler?x=1"), {}),
    ("http/1.0", request(REVIVE, version="HTTP/1.0"), {}),
    ("no content type", request(REVIVE, Content_Type=None), {}),
    ("text/plain", request(REVIVE, Content_Type="text/plain"), {}),
    ("chunked", request(REVIVE, Transfer_Encoding="chunked"), {}),
    ("no length", request(REVIVE, Content_Length=None), {}),
    ("too large", request(REVIVE, Content_Length="5000"), {}),
    ("bad json", request(b"{nope"), {}),
    ("wrong credentials", request(REVIVE), {"reject": True}),
    ("folded header", request(REVIVE).replace(b"Host: x\r\n", b"Host: x\r\n  folded\r\n"), {}),
    ("bare LF line ends", request(REVIVE).replace(b"\r\n", b"\n"), {}),   # waited for 64 KB before
])
def test_everything_else_is_handed_to_aiohttp_with_every_byte(label, data, front):
    protocol, transport, fallback, master, connections = connect(**front)
    protocol.data_received(data)
    assert master.calls == [] and transport.written == b""
    assert transport.protocol is fallback and fallback.transport is transport
    assert bytes(fallback.data) == data and protocol not in connections
    protocol.data_received(b"ignored")          # the transport now feeds aiohttp, not us
    assert bytes(fallback.data) == data


def test_after_a_fast_answer_a_later_request_can_still_go_to_aiohttp():
    protocol, transport, fallback, master, _ = connect()
    subscribe = request({"type": "SUBSCRIBE"}, Mesos_Stream_Id=None)
    protocol.data_received(request(REVIVE) + subscribe)
    assert statuses(transport.written) == [202]
    assert bytes(fallback.data) == subscribe


def test_authenticated_principal_reaches_the_master():
    protocol, _, _, master, _ = connect(principal="alice")
    protocol.data_received(request(REVIVE, Authorization="Basic x"))
    assert master.calls == [("REVIVE", "s1", "alice")]


def test_standby_master_is_left_to_aiohttp():
    master = FakeMaster()
    master.leading = False
    protocol, transport, fallback, _, _ = connect(master)
    protocol.data_received(request(REVIVE))
    assert master.calls == [] and transport.protocol is fallback


@pytest.mark.parametrize("head, expected", [
    (b"POST /a HTTP/1.1\r\nContent-Length: 2\r\nX-A:  b ", (b"POST", b"/a", b"HTTP/1.1",
                                                           {b"content-length": b"2", b"x-a": b"b"})),
    (b"POST /a HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 3", None),     # repeated framing header
    (b"POST /a HTTP/1.1\r\nNoColon", None),
    (b"POST /a HTTP/1.1\r\nName : v", None),                                  # space before the colon
    (b"POST /a", None),
])
def test_parse_head(head, expected):
    assert parse_head(head) == expected


def test_response_format():
    data = response(415, "Expecting x", close=True)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 415 Unsupported Media Type" and body == b"Expecting x"
    assert b"Content-Length: 11" in lines and b"Connection: close" in lines
    assert any(line.startswith(b"Date: ") and line.endswith(b" GMT") for line in lines)
