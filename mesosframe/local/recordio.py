"""RecordIO over aiohttp: the encoding and the buffered response stream of every event stream the local
cluster serves (the master's scheduler API, the agent link, the executor API).

A record is `<length>\\n<compact JSON>` (length in bytes of the UTF-8 JSON, which has no newlines).
`RecordStream` buffers records as they are sent (never blocking) and `pump`s them into a chunked
`web.StreamResponse`; with `max_pending`, a subscriber that stops reading is cut off (the stream closes,
as if it had disconnected) once that many bytes wait to be written.
"""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from mesosframe.jsoncodec import encode

log = logging.getLogger("mesosframe.local.recordio")

__all__ = ["RecordStream", "encode_record"]


def encode_record(message: dict) -> bytes:
    """One RecordIO record: `<length>\\n<compact json>` (`mesosframe.jsoncodec.encode`: ASCII escapes when the
    text holds a lone surrogate, which a client's JSON may carry and UTF-8 cannot)."""
    data = encode(message)
    return b"%d\n%s" % (len(data), data)


class RecordStream:
    """Buffers RecordIO records until `pump` writes them to a streaming HTTP response.

    `max_pending` (None: no bound) is the most bytes that may wait to be written; beyond it the buffer is
    dropped and the stream closed. `send` after `close` is ignored."""

    def __init__(self, max_pending: int | None = None) -> None:
        self._chunks: list[bytes] = []
        self._pending = 0
        self._max_pending = max_pending
        self._wakeup = asyncio.Event()
        self.closed = False

    def send(self, message: dict) -> None:
        if self.closed:
            return
        data = encode_record(message)
        self._chunks.append(data)
        self._pending += len(data)
        self._wakeup.set()
        if self._max_pending is not None and self._pending > self._max_pending:
            log.warning("stream_cut_off pending_bytes=%d (subscriber not reading)", self._pending)
            self._chunks.clear()
            self.close()

    def close(self) -> None:
        self.closed = True
        self._wakeup.set()

    async def pump(self, response: web.StreamResponse) -> None:
        """Write buffered records until closed and drained; raises ConnectionError if the client went away."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            if self._chunks:
                data, self._chunks, self._pending = b"".join(self._chunks), [], 0
                await response.write(data)
            if self.closed and not self._chunks:
                return
