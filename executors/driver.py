"""pymesos's `MesosExecutorDriver`, made reliable for the bundled executors.

`load_driver_class()` imports pymesos lazily (restoring the SIGINT handler it installs at import) and returns
`ReliableExecutorDriver`, a subclass that fixes what the bundled executors depend on:

- Every status update is kept until ACKNOWLEDGED and re-sent in SUBSCRIBE's `unacknowledged_updates` after a
  reconnect; an update that could not be sent (disconnected) is kept rather than lost (pymesos forgets them).
- `MESOS_CHECKPOINT` is read as Mesos writes it (`"1"`/`"0"`; pymesos takes `"0"` as true).
- KILL's `kill_policy` reaches the executor (`killTaskWithPolicy(driver, task_id, kill_policy)` if defined).
- After SHUTDOWN (or a disconnect without checkpointing) the forced exit after the grace period SIGKILLs the
  executor's tasks (`executor.force_kill()`) and exits, instead of `killpg(0)`.
"""
from __future__ import annotations

import base64
import logging
import os
import signal
import threading
import time
import uuid as uuidlib
from typing import Any

log = logging.getLogger("executors.driver")

__all__ = ["load_driver_class"]

_driver_class: Any = None


def _import_pymesos() -> Any:
    restore = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if restore else None
    import pymesos
    if restore:
        signal.signal(signal.SIGINT, previous)
    return pymesos


def load_driver_class() -> Any:
    """The `ReliableExecutorDriver` class (see the module docstring); imports pymesos on first use."""
    global _driver_class
    if _driver_class is not None:
        return _driver_class
    pymesos = _import_pymesos()

    class ReliableExecutorDriver(pymesos.MesosExecutorDriver):
        def __init__(self, executor: Any, **kwargs: Any) -> None:
            super().__init__(executor, **kwargs)
            self.checkpoint = os.environ.get("MESOS_CHECKPOINT", "0") == "1"

        def gen_request(self) -> bytes:
            with self._lock:                    # updates are added from task threads
                return super().gen_request()

        def sendStatusUpdate(self, status: dict) -> None:
            status.setdefault("timestamp", time.time())
            status.setdefault("uuid", base64.b64encode(os.urandom(16)).decode("ascii"))
            status.setdefault("source", "SOURCE_EXECUTOR")
            status.setdefault("executor_id", self.executor_id)
            key = uuidlib.UUID(bytes=base64.b64decode(status["uuid"]))
            with self._lock:
                self.updates[key] = {"status": status}
            try:
                super().sendStatusUpdate(status)
            except (RuntimeError, OSError) as exc:
                log.warning("update_deferred task=%s state=%s error=%s", status["task_id"]["value"],
                            status["state"], exc)

        def is_running(self) -> bool:
            """Whether the driver's IO thread still runs (False after stop, abort or a fatal error)."""
            thread = self._io_thread
            return thread is not None and thread.is_alive()

        def unacknowledged(self) -> int:
            with self._lock:
                return len(self.updates)

        def on_kill(self, event: dict) -> None:
            kill = getattr(self.executor, "killTaskWithPolicy", None)
            if kill is None:
                super().on_kill(event)
            else:
                kill(self, event["task_id"], event.get("kill_policy"))

        def _delay_kill(self) -> None:
            def expire() -> None:
                time.sleep(self.grace_shutdown_period)
                log.warning("shutdown_grace_expired")
                force = getattr(self.executor, "force_kill", None)
                if force is not None:
                    force()
                os._exit(1)
            threading.Thread(target=expire, name="shutdown-grace", daemon=True).start()

    _driver_class = ReliableExecutorDriver
    return _driver_class
