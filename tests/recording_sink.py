"""`RecordingSink`: a framework's event sink for the local master (`EventSink`) that keeps what it is sent."""
from __future__ import annotations


class RecordingSink:
    """Appends every event sent to `events`; `closed` turns True when the master closes the stream."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.closed = False

    def send(self, event: dict) -> None:
        self.events.append(event)

    def close(self) -> None:
        self.closed = True
