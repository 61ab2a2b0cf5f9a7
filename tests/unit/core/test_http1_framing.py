"""`mesosframe.driver.http1`: requests for pipelining, and answers cut from the bytes read so far."""
from __future__ import annotations

import pytest

from mesosframe.driver import http1


def test_a_request_carries_the_stream_id_credentials_and_length():
    prefix = http1.request_prefix("10.0.0.1:5050", {"Mesos-Stream-Id": "s-1", "Authorization": "Basic eA=="})
    data = http1.request(prefix, b'{"type": "KILL"}')
    head, body = data.split(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /api/v1/scheduler HTTP/1.1"
    assert set(lines[1:]) == {b"Host: 10.0.0.1:5050", b"Content-Type: application/json", b"Mesos-Stream-Id: s-1",
                              b"Authorization: Basic eA==", b"Content-Length: 16"}
    assert body == b'{"type": "KILL"}'


ANSWERS = [
    # (bytes read so far, answer taken or None, bytes left)
    (b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", (202, "", False), b""),
    (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 4\r\n\r\nnopeHTTP/1.1 202", (400, "nope", False),
     b"HTTP/1.1 202"),
    (b"HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\nno", None, None),
    (b"HTTP/1.1 202 Accepted\r\nContent-Len", None, None),
    (b"HTTP/1.1 503 Service Unavailable\r\nconnection: Close\r\ncontent-length: 0\r\n\r\n", (503, "", True), b""),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", (202, "", False), b""),
    (b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\nrest",
     (400, "abcde", False), b"rest"),
    (b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nTrailer: t\r\n\r\n", (400, "abc", False),
     b""),
    (b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n", None, None),
    (b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", None, None),
]


@pytest.mark.parametrize("read,answer,left", ANSWERS)
def test_answers_are_cut_from_the_buffer(read, answer, left):
    buffer = bytearray(read)
    assert http1.take_answer(buffer) == (None if answer is None else http1.Answer(*answer))
    assert bytes(buffer) == (read if left is None else left)       # nothing used up until an answer is whole


@pytest.mark.parametrize("read", [
    b"SSH-2.0-OpenSSH\r\n\r\n",
    b"HTTP/1.1 abc OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n\r\n",                                    # no length: cannot be read on
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
])
def test_answers_that_cannot_be_framed_are_errors(read):
    with pytest.raises(ValueError):
        http1.take_answer(bytearray(read))
