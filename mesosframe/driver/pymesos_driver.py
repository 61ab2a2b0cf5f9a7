"""`PyMesosDriver`: the `MesosDriver` on top of pymesos's `MesosSchedulerDriver`.

Designed around pymesos's weaknesses (see docs): callbacks only convert payloads into core events and put
them on the inbox (`sink`), never raising; acknowledgements are explicit; a call without a subscribed
stream raises `NotSubscribedError` instead of being dropped; call bodies come from `mesosframe.calls`;
ACCEPT, DECLINE, KILL, ACKNOWLEDGE, REVIVE and SUPPRESS go through `BackgroundCalls`, pipelined on a
connection of their own (queued after the core persisted), so the loop never waits for a busy master;
RECONCILE is sent on pymesos's connection and TEARDOWN on one of its own, both waiting for the answer;
HTTP errors become `CallRejectedError`; pymesos is kept from installing its SIGINT handler at import
(this module may be imported from any thread); for `zk://` masters `mesosframe.ha.MasterDetector` (which keeps
digest credentials) finds the leading master and pymesos is given `host:port`, re-pointed on change.
"""
from __future__ import annotations

import http.client
import logging
import re
import signal
import sys
import threading
import weakref
from typing import Any, Sequence

from mesosframe import calls
from mesosframe.core.events import (AgentLost, Disconnected, FrameworkError, Heartbeat, OfferRescinded,
                                    OffersReceived, Subscribed, TaskStatusUpdated)
from mesosframe.driver import http1
from mesosframe.driver.background import BackgroundCalls
from mesosframe.driver.base import EventSink
from mesosframe.errors import CallRejectedError, DriverError, NotSubscribedError
from mesosframe.jsoncodec import encode


def _import_pymesos():
    """Import pymesos without letting it install its SIGINT handler (it calls `signal.signal` at import,
    which also fails outside the main thread): for the import only, `signal.signal` just reports the
    current handler. pymesos then keeps that handler as its "previous" one and never runs its own."""
    original = signal.signal
    signal.signal = lambda signum, handler: signal.getsignal(signum)
    try:
        from pymesos import MesosSchedulerDriver  # noqa: deliberately late
    finally:
        signal.signal = original
    return MesosSchedulerDriver


MesosSchedulerDriver = _import_pymesos()
log = logging.getLogger("mesosframe.driver.pymesos")
_IO_THREADS: "weakref.WeakKeyDictionary[threading.Thread, _Callbacks]" = weakref.WeakKeyDictionary()


class _NoInterrupt:
    """Stands in for `_thread` inside `pymesos.process`. When pymesos's IO thread dies (a refused
    subscription, a connect deadline) pymesos calls `interrupt_main()`, a KeyboardInterrupt in whatever the
    application's main thread is doing. For the IO threads of our drivers that becomes the driver's `error`
    callback (a typed `FrameworkError` in the core) instead; other threads keep pymesos's behaviour."""

    def __init__(self, real) -> None:
        self._real = real

    def __getattr__(self, name: str):
        return getattr(self._real, name)

    def interrupt_main(self, *args) -> None:
        callbacks = _IO_THREADS.get(threading.current_thread())
        if callbacks is None:
            self._real.interrupt_main(*args)
            return
        exc = sys.exc_info()[1]
        callbacks.error(None, f"pymesos stopped: {exc}" if exc else "pymesos stopped")


def _contain_pymesos_aborts() -> None:
    import pymesos.process

    if not isinstance(pymesos.process.thread, _NoInterrupt):
        pymesos.process.thread = _NoInterrupt(pymesos.process.thread)


_contain_pymesos_aborts()
_HTTP_ERROR = re.compile(r"Failed to send request (\d{3}): (.*)", re.S)


class _Driver(MesosSchedulerDriver):
    """pymesos's driver, remembering the heartbeat interval the master announced. Calls time out after
    `call_timeout` seconds: pymesos gives its call connection the driver's connect deadline (one day), so a
    master that accepts a call and never answers would hold the caller, and pymesos's lock, for a day."""

    heartbeat_interval = 15.0
    call_timeout = 10.0

    def _get_conn(self):
        conn = super()._get_conn()
        if conn is not None and conn.sock is None:
            conn.timeout = self.call_timeout
        return conn

    def on_subscribed(self, info: dict) -> None:
        self.heartbeat_interval = float(info.get("heartbeat_interval_seconds") or 15.0)
        super().on_subscribed(info)

    def _run(self) -> None:
        _IO_THREADS[threading.current_thread()] = self.sched   # see _NoInterrupt
        super()._run()


class _Callbacks:
    """pymesos Scheduler callbacks: convert and enqueue, nothing else; never raise into the IO thread."""

    def __init__(self, owner: "PyMesosDriver") -> None:
        self.owner = owner

    def _put(self, event) -> None:
        try:
            self.owner.sink(event)
        except Exception:  # pragma: no cover - the sink is a queue put
            log.exception("sink_failed event=%s", type(event).__name__)

    def registered(self, driver, framework_id, master_info) -> None:
        self.owner._subscribed = True
        self._put(Subscribed(framework_id["value"], driver.heartbeat_interval))

    def reregistered(self, driver, master_info) -> None:
        self.owner._subscribed = True
        self._put(Subscribed(driver.framework_id, driver.heartbeat_interval))

    def disconnected(self, driver) -> None:
        self.owner._subscribed = False
        self._put(Disconnected("stream closed"))

    def resourceOffers(self, driver, offers) -> None:
        self._put(OffersReceived(tuple(dict(o) for o in offers)))

    def offerRescinded(self, driver, offer_id) -> None:
        self._put(OfferRescinded(offer_id["value"]))

    def statusUpdate(self, driver, status) -> None:
        self._put(TaskStatusUpdated(dict(status)))

    def processHeartBeat(self, driver) -> None:
        self._put(Heartbeat())

    def error(self, driver, message) -> None:
        self.owner._subscribed = False
        self._put(FrameworkError(str(message)))

    def slaveLost(self, driver, agent_id) -> None:
        self._put(AgentLost(agent_id["value"]))

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args: None  # inverse offers, executor lost, messages: not used by the core


class PyMesosDriver:
    """`master` is `host:port`, `http://host:port` or `zk://[user:pass@]hosts/path`; a call that gets no
    answer within `call_timeout` seconds raises `DriverError`."""

    def __init__(self, master: str, *, principal: str | None = None, secret: str | None = None,
                 detect_timeout: float = 30.0, call_timeout: float = 10.0) -> None:
        self.master = master
        self.call_timeout = call_timeout
        self.principal = principal
        self.secret = secret
        self.detect_timeout = detect_timeout
        self.sink: EventSink = lambda event: None
        self._driver: _Driver | None = None
        self._detector = None
        self._framework_info: dict = {}
        self._subscribed = False
        self._background: BackgroundCalls | None = None
        self._prepared: dict[str, tuple[Sequence[dict], float, bytes]] = {}   # offer id -> encoded ACCEPT

    @property
    def subscribed(self) -> bool:
        return self._subscribed and self._driver is not None and self._driver.connected

    def start(self, sink: EventSink, framework_info: dict) -> None:
        self.sink = sink
        self._framework_info = dict(framework_info)
        self._prepared.clear()
        address = self._resolve()
        self._driver = _Driver(_Callbacks(self), dict(self._framework_info), address, use_addict=False,
                               implicit_acknowledgements=False, principal=self.principal, secret=self.secret,
                               failover=True)
        self._driver.call_timeout = self.call_timeout
        self._driver.start()
        if self._background is None:
            self._background = BackgroundCalls(self._call_target)
        log.info("driver_started master=%s", address)

    def _call_target(self) -> tuple[str, str, dict[str, str]] | None:
        driver = self._driver
        if driver is None or not self.subscribed:
            return None
        return self._target_of(driver)

    @staticmethod
    def _target_of(driver: _Driver) -> tuple[str, str, dict[str, str]] | None:
        # pymesos's `master`/`stream_id` properties take the lock its `_send` holds across a whole HTTP round
        # trip, which would queue every acknowledgement behind ACCEPTs. A plain attribute read is atomic; a
        # value that changes under us only gets the ack refused, and the agent re-sends the update.
        master, stream_id = driver._master, driver._stream_id
        if not master or not stream_id:
            return None
        auth = driver._basic_credential
        return master, stream_id, ({"Authorization": auth} if auth else {})

    def _resolve(self) -> str:
        if self.master.startswith(("zk://", "zoo://")):
            from mesosframe.ha import MasterDetector
            if self._detector is None:
                self._detector = MasterDetector(self.master, on_change=self._on_master_change)
                self._detector.start()
            return self._detector.wait_for_leader(self.detect_timeout)
        address = self.master.split("://", 1)[-1].rstrip("/")
        return address if ":" in address else address + ":5050"

    def _on_master_change(self, address: str | None) -> None:
        driver = self._driver
        if driver is not None and address:
            log.info("master_changed master=%s", address)
            driver.change_master(address)

    def stop(self, failover: bool = True) -> None:
        if not failover and self._background is not None:    # what is queued goes first: TEARDOWN forgets the
            self._background.close()                          # framework (and its stream id)
            self._background = None
        driver, self._driver = self._driver, None
        self._subscribed = False
        if driver is not None:
            if not failover and driver.connected and driver.framework_id:
                try:
                    self._send_alone(self._target_of(driver), calls.teardown(driver.framework_id))
                except (DriverError, CallRejectedError) as exc:
                    log.warning("teardown_failed error=%s", exc)
            driver.stop(failover=True)
            driver.join()
        if self._detector is not None:
            self._detector.stop()
            self._detector = None
        if self._background is not None:
            self._background.close()
            self._background = None

    def reconnect(self) -> None:
        driver = self._driver
        if driver is not None and driver.framework_id:
            self._framework_info["id"] = {"value": driver.framework_id}
        if driver is not None:
            self._driver = None
            self._subscribed = False
            driver.stop(failover=True)
            driver.join()
        self.start(self.sink, self._framework_info)  # the ack workers and detector are kept

    # -- calls ---------------------------------------------------------------------------------------------
    def _framework_id(self) -> str:
        driver = self._driver
        if driver is None or not self.subscribed or not driver.framework_id:
            raise NotSubscribedError("no subscribed stream to the master")
        return driver.framework_id

    def _send(self, body: dict[str, Any]) -> None:
        driver = self._driver
        if driver is None or not self.subscribed:
            raise NotSubscribedError(f"{body['type']} not sent: not subscribed")
        self._send_with(driver, body)

    @staticmethod
    def _send_with(driver: _Driver, body: dict[str, Any]) -> None:
        try:
            driver._send(body, headers={})  # fresh headers: pymesos mutates its default dict
        except RuntimeError as exc:
            match = _HTTP_ERROR.match(str(exc))
            if match:
                raise CallRejectedError(int(match.group(1)), match.group(2)[:500]) from exc
            raise NotSubscribedError(f"{body['type']} not sent: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise DriverError(f"{body['type']} failed: {exc}") from exc

    def accept(self, offer_id: str, operations: Sequence[dict], refuse_seconds: float) -> None:
        """Queued to `BackgroundCalls`, so the loop goes on while the master works through the launches.
        Raises `NotSubscribedError` (nothing sent) without a subscription; once queued, a send that fails
        has an unknown outcome, which reconciliation settles (a launch the master never saw comes back LOST)."""
        framework_id = self._framework_id()
        prepared = self._prepared.pop(offer_id, None)
        if prepared is not None and prepared[0] is operations and prepared[1] == refuse_seconds:
            self._in_background(prepared[2], "ACCEPT")
        else:
            self._in_background(calls.accept(framework_id, [offer_id], operations, refuse_seconds))

    def prepare_accept(self, offer_id: str, operations: Sequence[dict], refuse_seconds: float) -> None:
        """Encode the ACCEPT now (see `MesosDriver.prepare_accept`); dropped when the offer is declined or a new
        subscription starts."""
        body = calls.accept(self._framework_id(), [offer_id], operations, refuse_seconds)
        self._prepared[offer_id] = (operations, refuse_seconds, encode(body))

    def decline(self, offer_ids: Sequence[str], refuse_seconds: float) -> None:
        """Queued to `BackgroundCalls` (in order with REVIVE and SUPPRESS, so a filter and a REVIVE that
        clears filters reach the master as they were decided)."""
        for offer_id in offer_ids:
            self._prepared.pop(offer_id, None)
        self._in_background(calls.decline(self._framework_id(), offer_ids, refuse_seconds))

    def kill(self, task_id: str, agent_id: str | None = None) -> None:
        """Queued to `BackgroundCalls` (a lost kill is repeated when reconciliation finds the task)."""
        self._in_background(calls.kill(self._framework_id(), task_id, agent_id))

    def acknowledge(self, agent_id: str, task_id: str, uuid: str) -> None:
        """Queued to `BackgroundCalls` (sent after this returns; a failed ack is resent by the agent)."""
        self._in_background(calls.acknowledge(self._framework_id(), agent_id, task_id, uuid))

    def wait_sent(self, timeout: float) -> None:
        if self._background is not None:
            self._background.wait_written(timeout)

    def _in_background(self, body: dict | bytes, kind: str | None = None) -> None:
        if self._background is None:
            raise NotSubscribedError(f"{kind or body['type']} not sent: driver not started")  # type: ignore[index]
        self._background.send(body, kind)

    def reconcile(self, tasks: Sequence[tuple[str, str | None]]) -> None:
        self._send(calls.reconcile(self._framework_id(), tasks))

    def revive(self, roles: Sequence[str] = ()) -> None:
        """Queued to `BackgroundCalls`: a master busy with earlier calls does not hold the loop up."""
        self._in_background(calls.revive(self._framework_id(), roles))

    def suppress(self, roles: Sequence[str] = ()) -> None:
        """Queued to `BackgroundCalls` (see `revive`)."""
        self._in_background(calls.suppress(self._framework_id(), roles))

    def teardown(self) -> None:
        self._send_alone(self._call_target(), calls.teardown(self._framework_id()))

    def _send_alone(self, target: tuple[str, str, dict[str, str]] | None, body: dict[str, Any]) -> None:
        """Send `body` on a connection of its own and wait for the answer (bounded by `call_timeout`). For
        TEARDOWN: the master closes the subscription stream as it acts on it, and pymesos's IO thread then
        closes pymesos's shared connection under the request in flight, which lost the answer."""
        if target is None:
            raise NotSubscribedError(f"{body['type']} not sent: not subscribed")
        master, stream_id, headers = target
        host, port = master.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=self.call_timeout)
        try:
            conn.request("POST", http1.PATH, body=encode(body),
                         headers={"Content-Type": "application/json", "Mesos-Stream-Id": stream_id, **headers})
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            raise DriverError(f"{body['type']} failed: {exc}") from exc
        finally:
            conn.close()
        if not 200 <= response.status < 300:
            raise CallRejectedError(response.status, text[:500])
