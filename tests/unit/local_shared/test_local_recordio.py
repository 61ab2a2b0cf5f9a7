"""mesosframe.local.recordio: the record encoding and the buffered stream (bounded and unbounded)."""
import asyncio

import pytest

from mesosframe.local.recordio import RecordStream, encode_record


class FakeResponse:
    def __init__(self, fail: bool = False) -> None:
        self.writes: list[bytes] = []
        self.fail = fail

    async def write(self, data: bytes) -> None:
        if self.fail:
            raise ConnectionResetError("gone")
        self.writes.append(data)


@pytest.mark.parametrize("message, expected", [
    ({"type": "PING"}, b'15\n{"type":"PING"}'),
    ({"a": "é"}, b'10\n{"a":"\xc3\xa9"}'),                       # length counts UTF-8 bytes
    ({"t": "x\ny"}, b'12\n{"t":"x\\ny"}'),                      # no raw newline inside a record
])
def test_encode_record(message, expected):
    assert encode_record(message) == expected


def test_pump_writes_buffered_records_in_order_then_returns_once_closed():
    async def scenario():
        stream, response = RecordStream(), FakeResponse()
        stream.send({"n": 1})
        stream.send({"n": 2})
        stream.close()
        stream.send({"n": 3})                                   # after close: ignored
        await asyncio.wait_for(stream.pump(response), 1)
        return response.writes
    assert b"".join(asyncio.run(scenario())) == encode_record({"n": 1}) + encode_record({"n": 2})


def test_pump_raises_connection_error_when_the_client_is_gone():
    async def scenario():
        stream = RecordStream()
        stream.send({"n": 1})
        await stream.pump(FakeResponse(fail=True))
    with pytest.raises(ConnectionError):
        asyncio.run(scenario())


@pytest.mark.parametrize("max_pending, sends, closed", [
    (None, 100, False),
    (1000, 5, False),
    (1000, 100, True),
])
def test_max_pending_cuts_off_a_subscriber_that_does_not_read(max_pending, sends, closed):
    async def scenario():
        stream = RecordStream(max_pending)
        for _ in range(sends):
            stream.send({"type": "HEARTBEAT", "pad": "x" * 20})
        return stream.closed
    assert asyncio.run(scenario()) is closed


def test_a_lone_surrogate_is_written_as_an_ascii_escape_not_an_error():
    """A client's JSON may carry "\\ud800" (Python's parser reads it); UTF-8 cannot encode it. Before, the
    SUBSCRIBED event of a framework with such an id failed after the framework was registered."""
    import json as _json
    record = encode_record({"framework_id": {"value": "\ud800x"}})
    length, _, data = record.partition(b"\n")
    assert int(length) == len(data) and data.isascii()
    assert _json.loads(data) == {"framework_id": {"value": "\ud800x"}}
