"""`EventLoop`: one thread, an inbox (thread-safe queue) and a timer heap.

Other threads only `put()` events. The loop thread takes the next event, or wakes at the earliest
timer deadline, and hands it to `dispatch(event)`; `on_idle()` runs whenever the inbox has been
drained (to coalesce work over a burst of events). An urgent event (`put(event, urgent=True)`) does not wait
behind the inbox: it is dispatched before the next queued event (a periodic step that must keep pace during a
burst of status updates). Timers are `(deadline, name)` pairs on the clock's
`now()` time line; when due, `dispatch(Tick(name))` runs. `step()` processes everything that is ready
without blocking: unit tests drive the loop with it and a FakeClock, with no thread and no sleeps.
"""
from __future__ import annotations

import collections
import heapq
import itertools
import logging
import queue
import threading
from typing import Callable

from mesosframe.core.clock import Clock
from mesosframe.core.events import Event, Nudge, Stop, Tick

log = logging.getLogger("mesosframe.core.loop")


class EventLoop:
    def __init__(self, clock: Clock, dispatch: Callable[[Event], None], *, name: str = "mesosframe-core",
                 max_wait: float = 1.0, on_idle: Callable[[], None] | None = None) -> None:
        self.clock = clock
        self.dispatch = dispatch
        self.name = name
        self.max_wait = max_wait
        self.on_idle = on_idle or (lambda: None)
        self.inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._urgent: collections.deque[Event] = collections.deque()
        self._timers: list[tuple[float, int, str]] = []
        self._deadlines: dict[str, float] = {}
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self.stopped = threading.Event()

    # -- any thread ------------------------------------------------------------------------------------------
    def put(self, event: Event, urgent: bool = False) -> None:
        """Queue `event`; an urgent one goes ahead of the queued events (in order among the urgent ones)."""
        if urgent:
            self._urgent.append(event)
            self.inbox.put(Nudge())         # wakes a waiting loop; dispatches nothing
        else:
            self.inbox.put(event)

    # -- loop thread -----------------------------------------------------------------------------------------
    def call_at(self, deadline: float, name: str) -> None:
        """Wake with `Tick(name)` at `deadline` (replaces an earlier deadline with the same name)."""
        self._deadlines[name] = deadline
        heapq.heappush(self._timers, (deadline, next(self._seq), name))

    def deadline(self, name: str) -> float | None:
        """The pending deadline of timer `name`, if any."""
        return self._deadlines.get(name)

    @property
    def threaded(self) -> bool:
        """True once `start()` has started the loop thread."""
        return self._thread is not None

    def cancel(self, name: str) -> None:
        self._deadlines.pop(name, None)

    def next_deadline(self) -> float | None:
        while self._timers and self._deadlines.get(self._timers[0][2]) != self._timers[0][0]:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def _fire_due(self) -> int:
        fired = 0
        now = self.clock.now()
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > now:
                return fired
            _, _, name = heapq.heappop(self._timers)
            del self._deadlines[name]
            self.dispatch(Tick(name))
            fired += 1

    def _dispatch_urgent(self) -> int:
        count = 0
        while self._urgent:
            self._dispatch_one(self._urgent.popleft())
            count += 1
        return count

    def _dispatch_one(self, event: Event) -> None:
        if isinstance(event, Stop):
            self.stopped.set()
        self.dispatch(event)

    def step(self) -> int:
        """Dispatch every queued event and every due timer without blocking; returns how many."""
        count = self._fire_due() + self._dispatch_urgent()
        while True:
            try:
                event = self.inbox.get_nowait()
            except queue.Empty:
                if count:
                    self.on_idle()
                return count
            if not isinstance(event, Nudge):
                self._dispatch_one(event)
                count += 1
            count += self._fire_due() + self._dispatch_urgent()

    def run(self) -> None:
        """Run on the current thread until a `Stop` event has been dispatched."""
        while not self.stopped.is_set():
            try:
                if self._fire_due() and self.inbox.empty():
                    self.on_idle()          # what the timers changed is acted on now, not at the next event
            except Exception:
                log.exception("timer_failed")
            deadline = self.next_deadline()
            wait = self.max_wait if deadline is None else max(0.0, min(self.max_wait, deadline - self.clock.now()))
            try:
                event = self.inbox.get(timeout=wait)
            except queue.Empty:
                continue
            if not isinstance(event, Nudge):
                self._dispatch_logged(event)
            while self._urgent:
                self._dispatch_logged(self._urgent.popleft())
            if self.inbox.empty():
                try:
                    self.on_idle()
                except Exception:
                    log.exception("idle_failed")

    def _dispatch_logged(self, event: Event) -> None:
        try:
            self._dispatch_one(event)
        except Exception:  # a bug in a handler must not kill the loop silently
            log.exception("dispatch_failed event=%s", type(event).__name__)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
