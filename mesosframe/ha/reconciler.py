"""`Reconciler`: one daemon thread that re-reads ZooKeeper whenever something may have changed.

ZooKeeper watches and kazoo connection listeners run on kazoo's threads, where blocking calls are not allowed.
They only `poke()` the reconciler; its thread then runs the recipe's idempotent `reconcile()` step, which
reads the current state and re-arms the watches. Pokes that arrive while a step runs are merged into one more
step. A step that fails is retried after `retry_delay` seconds.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from mesosframe.ha.client import UNAVAILABLE_ERRORS

log = logging.getLogger("mesosframe.ha.reconciler")


class Reconciler:
    """Runs `step()` on its own thread after each `poke()`, never two at once."""

    def __init__(self, name: str, step: Callable[[], None], retry_delay: float = 0.5) -> None:
        self._name = name
        self._step = step
        self._retry_delay = retry_delay
        self._poked = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread and run a first step."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        self.poke()

    def poke(self, *_: object) -> None:
        """Ask for a step soon; accepts and ignores any arguments, so it can be a watch callback."""
        self._poked.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (waits up to `timeout` for a running step, unless called from the thread itself)."""
        self._stopping.set()
        self._poked.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._poked.wait()
            self._poked.clear()
            if self._stopping.is_set():
                return
            try:
                self._step()
            except UNAVAILABLE_ERRORS as exc:
                log.info("reconcile_unavailable name=%s error=%s", self._name, type(exc).__name__)
                self._retry_later()
            except Exception:  # a bug in a step must not kill the recipe silently
                log.exception("reconcile_failed name=%s", self._name)
                self._retry_later()

    def _retry_later(self) -> None:
        if not self._stopping.wait(self._retry_delay):
            self._poked.set()
