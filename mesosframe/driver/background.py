"""`BackgroundCalls`: sends ACCEPT, DECLINE, KILL, ACKNOWLEDGE, REVIVE and SUPPRESS calls pipelined on one
HTTP/1.1 connection, in the order they were queued (ACCEPTs excepted: they go first).

Mesos has no batched acknowledgement or kill, and pymesos sends every call on one connection under one lock,
waiting for each answer, so one round trip per status update (or per instance of a rolling restart) would
bound the core loop's throughput. Here a writer thread writes the queued calls back to back (up to `batch`
at a time, at most `depth` of them unanswered) and a reader thread takes the master's answers, which come
in request order (libprocess answers pipelined requests in order, and so does `mesosframe.local`). The loop
hands a call over only after its cause is persisted (so "persist, then call" holds); ACCEPTs are written
before the calls queued earlier, and `wait_written` lets the loop wait until its ACCEPTs are written.

When the connection breaks (a write fails, the master closes it or says `Connection: close`, or no answer
comes for `timeout` seconds) the calls it has not answered are sent once more on a fresh connection, except
ACCEPTs: an ACCEPT that was written may have been acted on, and a second one of a used offer would have the
master report its launches as dropped. A call that still fails is dropped and logged: the agent resends an
unacknowledged update, and a task whose kill was lost is killed again when reconciliation reports it alive.
`target()` gives the current (master "host:port", stream id, extra headers) or None.
"""
from __future__ import annotations

import collections
import itertools
import logging
import queue
import socket
import threading
from typing import Callable

from mesosframe.driver import http1
from mesosframe.jsoncodec import encode

log = logging.getLogger("mesosframe.driver.background")
Target = Callable[[], "tuple[str, str, dict[str, str]] | None"]
_STOP = object()


class _Call:
    """One queued call: its queue rank and sequence (kept when it is sent again), kind and body."""
    __slots__ = ("rank", "sequence", "kind", "body", "retry")

    def __init__(self, rank: int, sequence: int, kind: str, body: dict | bytes) -> None:
        self.rank, self.sequence, self.kind, self.body = rank, sequence, kind, body
        self.retry = kind != "ACCEPT"

    def data(self) -> bytes:
        if not isinstance(self.body, bytes):
            self.body = encode(self.body)      # bodies are not changed once handed over
        return self.body


class BackgroundCalls:
    def __init__(self, target: Target, timeout: float = 10.0, batch: int = 64, depth: int = 256,
                 write_bytes: int = 32 * 1024) -> None:
        """At most `batch` calls taken from the queue at once, written `write_bytes` or so at a time, with at
        most `depth` unanswered."""
        self.target = target
        self.timeout, self.batch, self.depth, self.write_bytes = timeout, batch, depth, write_bytes
        self.queue: queue.PriorityQueue = queue.PriorityQueue()   # (rank, sequence, call): ACCEPTs first
        self._sequence = itertools.count()
        self.sent = self.failed = 0
        self._counts = threading.Lock()
        self._unwritten = 0                  # ACCEPTs queued and not yet written (or given up)
        self._written = threading.Condition()
        self._pipe: _Pipe | None = None      # only the writer thread changes it
        self._writer = threading.Thread(target=self._write_loop, name="mesosframe-calls", daemon=True)
        self._writer.start()

    def send(self, body: dict | bytes, kind: str | None = None) -> None:
        """Queue one call body (from `mesosframe.calls`: accept, decline, kill, acknowledge, revive, suppress), or
        its JSON already encoded (then say its `kind`). ACCEPTs go before the calls queued earlier; the others
        keep their order."""
        kind = kind or body.get("type", "?")    # type: ignore[union-attr]
        if kind == "ACCEPT":
            with self._written:
                self._unwritten += 1
        rank = 0 if kind == "ACCEPT" else 1
        sequence = next(self._sequence)
        self.queue.put((rank, sequence, _Call(rank, sequence, kind, body)))

    def wait_written(self, timeout: float) -> bool:
        """Block until every ACCEPT queued so far is written (or given up), at most `timeout` seconds; True if
        none is left. The core loop waits here so that its own work does not slow its launches down."""
        with self._written:
            return self._written.wait_for(lambda: self._unwritten == 0, timeout)

    def close(self) -> None:
        """Write what is queued (without waiting for room for it) and stop, within about `timeout` seconds."""
        self.queue.put((2, next(self._sequence), _STOP))
        if self._pipe is not None:
            self._pipe.stop_waiting()
        self._writer.join(self.timeout)
        pipe = self._pipe
        if pipe is not None:
            pipe.wait_idle(min(self.timeout, 2.0))    # the answers to what was written, briefly
            pipe.closing = True
            pipe.close()

    # -- the writer thread
    def _write_loop(self) -> None:
        while True:
            pipe = self._pipe
            room = min(self.batch, self.depth if pipe is None else pipe.wait_for_room(self.timeout))
            calls = [self.queue.get()[2]]
            while len(calls) < room and calls[-1] is not _STOP:
                try:
                    calls.append(self.queue.get_nowait()[2])
                except queue.Empty:
                    break
            stop = calls[-1] is _STOP
            if stop:
                calls.pop()
            if calls:
                self._write(calls)
            if stop:
                return

    def _write(self, calls: list[_Call]) -> None:
        target = self.target()
        if target is None:
            for call in calls:
                self._give_up(call, "not subscribed", written=False)
            return
        pipe = self._pipe_for(target)
        if pipe is None:
            for call in calls:
                self._give_up(call, "cannot connect", written=False)
            return
        pipe.push(calls)
        noted = 0                     # calls[:noted] are written
        try:
            parts, size = [], 0
            for index, call in enumerate(calls):
                parts.append(http1.request(pipe.prefix, call.data()))
                size += len(parts[-1])
                if size >= self.write_bytes or index == len(calls) - 1:     # the first launches go out early
                    pipe.sock.sendall(b"".join(parts))
                    self._note_written(calls[noted:index + 1])
                    noted, parts, size = index + 1, [], 0
        except OSError as exc:
            self._broken(pipe, exc)
            self._note_written(calls[noted:])

    def _pipe_for(self, target: tuple[str, str, dict[str, str]]) -> "_Pipe | None":
        master, stream_id, headers = target
        pipe = self._pipe
        if pipe is not None and (pipe.broken or pipe.opened_for != (master, stream_id)):
            pipe.close()               # a new subscription (maybe a new master): its unanswered calls go again
            pipe = self._pipe = None
        if pipe is None:
            host, port = master.rsplit(":", 1)
            try:
                sock = socket.create_connection((host, int(port)), timeout=self.timeout)
            except OSError as exc:
                log.warning("background_connect_failed master=%s error=%s", master, exc)
                return None
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pipe = self._pipe = _Pipe(sock, (master, stream_id), http1.request_prefix(
                master, {"Mesos-Stream-Id": stream_id, **headers}), self.depth)
            threading.Thread(target=self._read_loop, args=(pipe,), name="mesosframe-answers", daemon=True).start()
        return pipe

    def _note_written(self, calls: list[_Call]) -> None:
        """Written (or given up, on a failed write): no longer waited for; `written` is the benchmarks' hook."""
        self.written(calls)
        self._stop_waiting_for(calls)

    def _stop_waiting_for(self, calls: list[_Call]) -> None:
        """The ACCEPTs among `calls` are no longer waited for by `wait_written`."""
        accepts = sum(1 for call in calls if call.kind == "ACCEPT")
        if accepts:
            with self._written:
                self._unwritten -= accepts
                if self._unwritten <= 0:
                    self._written.notify_all()

    # -- the reader thread of a connection
    def _read_loop(self, pipe: "_Pipe") -> None:
        buffer = bytearray()
        try:
            while True:
                answer = http1.take_answer(buffer)
                if answer is None:
                    try:
                        chunk = pipe.sock.recv(65536)
                    except socket.timeout:
                        if pipe.idle():
                            continue
                        raise OSError(f"no answer in {self.timeout}s") from None
                    if not chunk:
                        raise OSError("closed by the master")
                    buffer += chunk
                    continue
                call = pipe.pop()
                if call is None:
                    raise OSError("an answer to no call")
                self._answered(call, answer)
                if answer.close:
                    raise OSError("the master closed the connection")
        except (OSError, ValueError) as exc:
            self._broken(pipe, exc)

    def _answered(self, call: _Call, answer: http1.Answer) -> None:
        self.answered(call, answer.status)
        if 200 <= answer.status < 300:
            with self._counts:
                self.sent += 1
            return
        log.warning("background_call_rejected type=%s status=%d body=%s", call.kind, answer.status,
                    answer.text[:200])
        with self._counts:
            self.failed += 1

    def _broken(self, pipe: "_Pipe", error: Exception) -> None:
        """Once per connection: send its unanswered calls again (ACCEPTs excepted), or give them up."""
        unanswered = pipe.break_off()
        if not unanswered:
            return
        if pipe.closing:            # the sender stops: nothing will send them again
            log.info("background_calls_unanswered_at_close count=%d", len(unanswered))
            with self._counts:
                self.failed += len(unanswered)
            return
        log.warning("background_connection_lost unanswered=%d error=%s", len(unanswered), error)
        for call in unanswered:
            if call.retry:
                call.retry = False
                self.queue.put((call.rank, call.sequence, call))
            else:
                self._give_up(call, str(error))

    def _give_up(self, call: _Call, reason: str, written: bool = True) -> None:
        """Count and log a dropped call; one never `written` is also no longer waited for."""
        with self._counts:
            self.failed += 1
        if not written:
            self._stop_waiting_for([call])
        if call.kind != "ACKNOWLEDGE":      # the agent resends updates; a lost launch or kill is worth a line
            log.warning("background_call_dropped type=%s: %s", call.kind, reason)

    # -- hooks for the benchmarks (no-ops here)
    @staticmethod
    def written(calls: list[_Call]) -> None:
        """Called on the writer thread once `calls` are written."""

    @staticmethod
    def answered(call: _Call, status: int) -> None:
        """Called on the reader thread when the master answers `call`."""


class _Pipe:
    """One connection: its socket, what it was opened for, and its unanswered calls in request order."""

    def __init__(self, sock: socket.socket, opened_for: tuple[str, str], prefix: bytes, depth: int) -> None:
        self.sock, self.opened_for, self.prefix, self.depth = sock, opened_for, prefix, depth
        self.broken = self._stopping = False
        self.closing = False          # closed on purpose (the sender stops)
        self._unanswered: collections.deque[_Call] = collections.deque()
        self._change = threading.Condition()

    def push(self, calls: list[_Call]) -> None:
        with self._change:
            self._unanswered.extend(calls)

    def pop(self) -> _Call | None:
        with self._change:
            call = self._unanswered.popleft() if self._unanswered else None
            self._change.notify_all()
            return call

    def idle(self) -> bool:
        with self._change:
            return not self._unanswered

    def wait_idle(self, timeout: float) -> bool:
        """Until every call written is answered (or the connection broke); True if none is left."""
        with self._change:
            return self._change.wait_for(lambda: self.broken or not self._unanswered, timeout)

    def wait_for_room(self, timeout: float) -> int:
        """Until fewer than `depth` calls are unanswered (or the connection broke, or `timeout` passed); how
        many more may be written (at least one)."""
        with self._change:
            self._change.wait_for(lambda: self.broken or self._stopping or len(self._unanswered) < self.depth,
                                  timeout)
            return max(1, self.depth - len(self._unanswered))

    def stop_waiting(self) -> None:
        """`wait_for_room` no longer waits (the sender is closing)."""
        with self._change:
            self._stopping = True
            self._change.notify_all()

    def break_off(self) -> list[_Call] | None:
        """Mark broken and close; the unanswered calls, or None if it was broken already."""
        with self._change:
            if self.broken:
                return None
            self.broken = True
            unanswered, self._unanswered = list(self._unanswered), collections.deque()
            self._change.notify_all()
        self.close()
        return unanswered

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
