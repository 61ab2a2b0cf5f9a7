"""RecordIO framing of the event stream, read back the way pymesos reads it, from arbitrary splits."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from pymesos.process import LENGTH_PATTERN

from mesosframe.local.master import record

EVENTS = st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["UPDATE", "OFFERS", "HEARTBEAT"]),
    "text": st.text(max_size=40),                     # includes multi-byte UTF-8: lengths are in bytes
    "n": st.integers(-10**12, 10**12)}), min_size=1, max_size=8)


def pymesos_style_read(pieces: list[bytes]) -> list[dict]:
    """pymesos's loop in `Connection.read`: append each piece, pop every complete record."""
    buffer, out = b"", []
    for piece in pieces:
        buffer += piece
        while True:
            match = LENGTH_PATTERN.match(buffer)
            if not match:
                break
            length = int(match.group(0).strip())
            if len(buffer) < len(match.group(0)) + length:
                break
            out.append(json.loads(buffer[len(match.group(0)):len(match.group(0)) + length].decode()))
            buffer = buffer[len(match.group(0)) + length:]
    assert buffer == b""
    return out


@settings(max_examples=200, deadline=None)
@given(events=EVENTS, cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_records_survive_any_split(events, cuts):
    stream = b"".join(record(e) for e in events)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    pieces = [stream[a:b] for a, b in zip([0] + points, points + [len(stream)])]
    assert pymesos_style_read(pieces) == events


def test_record_is_compact_single_line():
    data = record({"type": "ERROR", "error": {"message": "a\nb é"}})
    size, _, body = data.partition(b"\n")
    assert int(size) == len(body) and b"\n" not in body and b", " not in body


def test_stream_sink_cuts_off_a_subscriber_that_does_not_read():
    from mesosframe.local.master import StreamSink

    sink = StreamSink(max_pending=1000)
    for _ in range(5):
        sink.send({"type": "HEARTBEAT"})
    assert not sink.closed
    sink.send({"type": "MESSAGE", "message": {"data": "x" * 2000}})
    assert sink.closed
    sink.send({"type": "HEARTBEAT"})          # ignored after close, no error
