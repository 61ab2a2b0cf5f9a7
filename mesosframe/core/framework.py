"""`Framework`: hosts plugins, owns the core loop thread, and applies the engine's effects.

Thread model: driver and election callbacks only `put()` events; everything else (engine, plugins, store
writes, driver calls) happens on the one loop thread. Public methods are thread-safe: they enqueue a
`Command` and return a `concurrent.futures.Future`.

Effects of one batch are applied in order: persist, then driver calls, then acknowledgements, then plugin
notifications. If persisting fails, launches of that batch are declined instead and nothing is
acknowledged (the agent resends the update). If an ACCEPT cannot be sent, its task records are deleted.

Leadership: without `election`, the instance leads from `start()`. With one (a `mesosframe.ha`
`LeaderElection` factory), ELECTED loads the framework ID and task records from the store and subscribes
with the stored ID; SUSPENDED pauses all decisions; RESUMED reconciles; LOST stops the driver with
failover (tasks keep running) and waits to be elected again.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any, Callable, Sequence

from mesosframe import calls
from mesosframe.core.clock import Clock, SystemClock
from mesosframe.core.effects import (DRIVER, PERSIST, AcceptOffer, Acknowledge, DeclineOffers, DeleteRecord, Effect,
                                     KillTask, Notify, PrepareAccept, PutRecord, Reconcile, Revive, Suppress,
                                     in_phase_order)
from mesosframe.core.engine import Engine, EngineConfig
from mesosframe.core.events import (Command, Disconnected, Event, FrameworkError, Heartbeat, LeadershipChanged,
                                    Stop, Subscribed, Tick)
from mesosframe.core.loop import EventLoop
from mesosframe.core.plugin import PluginContext, SchedulerPlugin
from mesosframe.driver.base import MesosDriver
from mesosframe.errors import (CallRejectedError, ConfigurationError, DriverError, NotSubscribedError,
                               StateStoreError, VersionConflictError)
from mesosframe.model.task import TaskRecord

log = logging.getLogger("mesosframe.core.framework")
WATCHDOG, RECONCILE, HOUSEKEEPING, LEAD = "watchdog", "reconcile", "housekeeping", "lead"
DEMAND_SOON, RELEASE = "demand-soon", "release"


class _Context(PluginContext):
    def __init__(self, framework: "Framework", plugin: str) -> None:
        self.framework, self.plugin = framework, plugin

    def load(self, name: str) -> dict | None:
        key = self.framework.engine.plugin_key(self.plugin, name)
        record = self.framework.store.get(key)
        if record is None:
            return None
        self.framework._versions[key] = record.version
        return record.value

    def save(self, name: str, value: dict) -> None:
        key = self.framework.engine.plugin_key(self.plugin, name)
        if key not in self.framework._versions:
            self.load(name)
        self.framework._put(key, value)

    def kill(self, task_id: str) -> None:
        fw = self.framework
        fw._apply(fw.engine.kill(task_id, fw.clock.now()))

    def tasks(self) -> Sequence[TaskRecord]:
        return [r for r in self.framework.engine.records.values() if r.plugin == self.plugin]

    def wake(self) -> None:
        self.framework.engine.dirty = True


class Framework:
    """A Mesos framework hosting `plugins`. Give `master` (host:port, http://..., zk://...) or a `driver`."""

    def __init__(self, name: str, plugins: Sequence[SchedulerPlugin], *, master: str | None = None,
                 driver: MesosDriver | None = None, store=None, clock: Clock | None = None, user: str = "root",
                 roles: Sequence[str] = ("*",), failover_timeout: float = calls.ONE_WEEK,
                 principal: str | None = None, secret: str | None = None,
                 election: Callable[[Callable[[Any], None]], Any] | None = None,
                 config: EngineConfig = EngineConfig(), policy=None, watchdog_factor: float = 5.0,
                 new_id: Callable[[str], str] | None = None) -> None:
        if driver is None:
            if master is None:
                raise ConfigurationError("a Framework needs a master URL or a driver")
            from mesosframe.driver.pymesos_driver import PyMesosDriver
            driver = PyMesosDriver(master, principal=principal, secret=secret)
        if store is None:
            from mesosframe.state import MemoryStateStore
            store = MemoryStateStore()
        self.name, self.driver, self.store = name, driver, store
        self.clock = clock or SystemClock()
        self.info_options = dict(user=user, roles=tuple(roles), failover_timeout=failover_timeout,
                                 principal=principal)
        self.engine = Engine(name, plugins, config=config, policy=policy, new_id=new_id)
        self.loop = EventLoop(self.clock, self._dispatch, name=f"mesosframe-{name}", on_idle=self._idle)
        self._election_factory = election
        self._election = None
        self._versions: dict[str, int] = {}
        self.watchdog_factor = watchdog_factor
        self.accept_wait = 1.0        # at most this long for a batch's ACCEPTs to be written (`_apply`)
        self._heartbeat = 15.0
        self._last_seen = 0.0
        self._missed = 0
        self.leading = False
        self._elected = False
        for plugin in plugins:
            plugin.attach(_Context(self, plugin.name))

    # -- public, thread-safe -------------------------------------------------------------------------------
    @property
    def framework_id(self) -> str | None:
        return self.engine.framework_id

    @property
    def error(self) -> Exception | None:
        return self.engine.error

    def start(self, thread: bool = True) -> "Framework":
        """Join the election (or lead at once) and start the loop thread (`thread=False`: drive `step()`)."""
        if self._election_factory is not None:
            self._election = self._election_factory(
                lambda ev: self.loop.put(LeadershipChanged(ev.kind.name, getattr(ev, "term", 0))))
            self._election.start()
        else:
            self.loop.put(LeadershipChanged("ELECTED"))
        self.loop.call_at(self.clock.now() + self.engine.config.housekeeping_interval, HOUSEKEEPING)
        if thread:
            self.loop.start()
        return self

    def step(self) -> int:
        """Process what is ready (tests with FakeClock)."""
        return self.loop.step()

    def submit(self, fn: Callable[["Framework"], Any], urgent: bool = False) -> Future:
        """Run `fn(framework)` on the loop thread; its result (or exception) completes the Future. An urgent
        command runs before the events already queued (not behind a burst of status updates)."""
        command = Command(fn)
        self.loop.put(command, urgent)
        return command.future

    def kill(self, task_id: str) -> Future:
        return self.submit(lambda fw: fw._apply(fw.engine.kill(task_id, fw.clock.now())))

    def tasks(self) -> Future:
        return self.submit(lambda fw: list(fw.engine.records.values()))

    def pending_reasons(self) -> Future:
        """Future of {"plugin/key": NoMatch} for demand not placed in the last offer round."""
        return self.submit(lambda fw: dict(fw.engine.no_match))

    def is_done(self) -> Future:
        return self.submit(lambda fw: all(p.is_done() for p in fw.engine.plugins.values()))

    def run_until_done(self, timeout: float | None = None, poll: float = 0.1) -> bool:
        """Block until every plugin `is_done()` (True) or `timeout` passes or the framework fails (False)."""
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        while deadline is None or time.monotonic() < deadline:
            if self.error is not None:
                return False
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                if self.is_done().result(timeout=left):
                    return True
            except TimeoutError:
                return False
            time.sleep(poll)
        return False

    def stop(self, failover: bool = True, timeout: float = 30.0) -> None:
        """Stop the loop and the driver. `failover=False` also tears the framework down (kills its tasks)."""
        self.loop.put(Stop(failover))
        self.loop.join(timeout)
        if not self.loop.threaded:
            self.loop.step()

    # -- loop thread ---------------------------------------------------------------------------------------
    def _dispatch(self, event: Event) -> None:
        now = self.clock.now()
        log.debug("event type=%s", type(event).__name__)
        if isinstance(event, Command):
            try:
                event.future.set_result(event.fn(self))
            except Exception as exc:  # handed to the caller, not swallowed
                event.future.set_exception(exc)
        elif isinstance(event, LeadershipChanged):
            self._on_leadership(event.kind, now)
        elif isinstance(event, Stop):
            self._shutdown(event.failover)
        elif isinstance(event, Tick):
            self._on_tick(event.name, now)
        else:
            self._last_seen = now
            if isinstance(event, Subscribed):
                self._heartbeat, self._missed = event.heartbeat_interval, 0
                self._arm_watchdog(now)
            if not isinstance(event, Heartbeat):
                self._apply(self.engine.handle(event, now))
            if isinstance(event, FrameworkError) and self.engine.error is not None and self.leading:
                self.leading = False      # removed, or taken over: stop, never re-register under a new ID
                self.driver.stop(failover=True)
        self._arm_reconcile()

    def _idle(self) -> None:
        """The inbox is empty: the plugins' `on_idle`, then re-evaluate demand once for the whole burst
        (REVIVE / SUPPRESS), wake up ahead of announced demand (`offer_lead_seconds` before it, then that long
        after it to release offers), and at the release time of launches staged ahead of their `not_before`."""
        now = self.clock.now()
        if self.leading:
            for name, plugin in self.engine.plugins.items():
                try:
                    plugin.on_idle(now)
                except Exception:
                    log.exception("plugin_failed plugin=%s method=on_idle", name)
        if self.engine.dirty:
            self._apply(self.engine.reevaluate(now))
        expected = self.engine.expected_demand_at(now) if self.leading else None
        if expected is not None:
            lead = self.engine.config.offer_lead_seconds
            when = expected - lead if expected - lead > now else expected + lead
            if when > now and self.loop.deadline(DEMAND_SOON) != when:
                self.loop.call_at(when, DEMAND_SOON)
        release_at = self.engine.staging.next_at()   # launches prepared ahead: sent when due (`_on_tick`)
        if release_at is not None and self.engine.subscribed and not self.engine.paused \
                and self.loop.deadline(RELEASE) != release_at:
            self.loop.call_at(release_at, RELEASE)

    def _on_tick(self, name: str, now: float) -> None:
        if name == WATCHDOG:
            self._check_watchdog(now)
        elif name == LEAD and self._elected and not self.leading:
            self._lead(now)
        elif name == HOUSEKEEPING:
            self.loop.call_at(now + self.engine.config.housekeeping_interval, HOUSEKEEPING)
            self.engine.dirty = True
        elif name == DEMAND_SOON:
            self.engine.dirty = True
        self._apply(self.engine.handle(Tick(name), now))

    def _arm_reconcile(self) -> None:
        next_at = self.engine.recon.next_at
        if next_at is not None and self.engine.subscribed:
            if self.loop.deadline(RECONCILE) != next_at:
                self.loop.call_at(next_at, RECONCILE)

    def _arm_watchdog(self, now: float) -> None:
        self.loop.call_at(now + self.watchdog_factor * self._heartbeat, WATCHDOG)

    def _check_watchdog(self, now: float) -> None:
        if not self.leading:
            return
        silent = now - self._last_seen
        limit = self.watchdog_factor * self._heartbeat
        if silent < limit:
            self.loop.call_at(self._last_seen + limit, WATCHDOG)
            return
        delay = min(15.0 * 2 ** self._missed, 120.0) if self._missed else 0.0
        log.warning("heartbeat_missed silent=%.1f reconnect_attempt=%d", silent, self._missed)
        self._missed += 1
        self._apply(self.engine.handle(Disconnected("no heartbeat"), now))
        try:
            self.driver.reconnect()
        except DriverError as exc:
            log.warning("reconnect_failed error=%s", exc)
        self._last_seen = now + delay
        self.loop.call_at(now + limit + delay, WATCHDOG)

    def _on_leadership(self, kind: str, now: float) -> None:
        log.info("leadership kind=%s framework=%s", kind, self.name)
        if kind == "ELECTED":
            self._elected = True
            self._lead(now)
        elif kind == "SUSPENDED":
            self.engine.pause()
        elif kind == "RESUMED" and self.leading:
            self._apply(self.engine.resume(now))
        elif kind == "LOST":
            self._elected = False
            self._abdicate()

    def _lead(self, now: float) -> None:
        """Load the framework ID and task records, then subscribe; retried every second if the store fails."""
        prefix = f"frameworks/{self.name}/tasks"
        try:
            fid_record = self.store.get(self.engine.framework_id_key)
            records = []
            versions = {}
            for task_id in self.store.list(prefix):
                stored = self.store.get(f"{prefix}/{task_id}")
                if stored is not None:
                    versions[f"{prefix}/{task_id}"] = stored.version
                    records.append(TaskRecord.from_json(stored.value))
        except StateStoreError as exc:
            log.error("recovery_failed error=%s; retrying", exc)
            self.loop.call_at(now + 1.0, LEAD)
            return
        framework_id = fid_record.value["framework_id"] if fid_record else None
        if fid_record:
            versions[self.engine.framework_id_key] = fid_record.version
        self._versions.update(versions)
        self.leading = True
        self._apply(self.engine.recover(framework_id, records))
        info = calls.framework_info(self.name, framework_id=framework_id, **self.info_options)
        log.info("subscribing framework=%s framework_id=%s tasks=%d", self.name, framework_id, len(records))
        self._last_seen = now
        self._arm_watchdog(now)
        self.driver.start(self.loop.put, info)

    def _abdicate(self) -> None:
        self.engine.pause()
        self.engine.subscribed = False
        if self.leading:
            self.leading = False
            self.driver.stop(failover=True)
        self._versions.clear()

    def _shutdown(self, failover: bool) -> None:
        self.engine.pause()
        if self.leading:
            self.leading = False
            self.driver.stop(failover=failover)
            if not failover and self.engine.framework_id is not None:
                # torn down: the ID is dead and its tasks are killed, so the next run may get a new one
                self._persist(DeleteRecord(self.engine.framework_id_key))
                self.engine.framework_id = None
        if self._election is not None:
            self._election.stop()

    # -- effects -------------------------------------------------------------------------------------------
    def _put(self, key: str, value: dict) -> None:
        try:
            self._versions[key] = self.store.put(key, value, self._versions.get(key))
        except VersionConflictError:
            log.error("store_conflict key=%s: another instance writes; abdicating", key)
            self._abdicate()
            raise

    def _apply(self, effects: list[Effect]) -> None:
        persist_failed = launching = False
        for effect in in_phase_order(effects):
            if launching and effect.phase > DRIVER:
                # launches first: let the driver put the batch's ACCEPTs on the wire before the loop goes on with
                # acknowledgements and plugin callbacks, which would otherwise compete with their sending
                launching = False
                self.driver.wait_sent(self.accept_wait)
            if effect.phase == PERSIST:
                persist_failed |= not self._persist(effect)
            elif isinstance(effect, Notify):
                self._notify(effect)
            elif isinstance(effect, Acknowledge):
                if not persist_failed:
                    self._drive(self.driver.acknowledge, effect.agent_id, effect.task_id, effect.uuid)
            elif isinstance(effect, AcceptOffer):
                launching |= self._accept(effect, persist_failed)
            elif isinstance(effect, DeclineOffers):
                self._drive(self.driver.decline, effect.offer_ids, effect.refuse_seconds)
            elif isinstance(effect, PrepareAccept):
                self._drive(self.driver.prepare_accept, effect.accept.offer_id, effect.accept.operations,
                            effect.accept.refuse_seconds)
            elif isinstance(effect, KillTask):
                self._drive(self.driver.kill, effect.task_id, effect.agent_id)
            elif isinstance(effect, Reconcile):
                self._drive(self.driver.reconcile, effect.tasks)
            elif isinstance(effect, Revive):
                self._drive(self.driver.revive, effect.roles)
            elif isinstance(effect, Suppress):
                self._drive(self.driver.suppress, effect.roles)

    def _persist(self, effect: Effect) -> bool:
        try:
            if isinstance(effect, PutRecord):
                self._put(effect.key, effect.value)
            elif isinstance(effect, DeleteRecord):
                self.store.delete(effect.key, self._versions.pop(effect.key, None))
            return True
        except StateStoreError as exc:
            log.error("persist_failed key=%s error=%s", getattr(effect, "key", "?"), exc)
            return False

    def _accept(self, effect: AcceptOffer, persist_failed: bool) -> bool:
        """Send one ACCEPT; True if it was handed to the driver."""
        if persist_failed:
            self._drive(self.driver.decline, (effect.offer_id,), 0.0)
            self._apply(self.engine.revert_launch(effect.task_ids))
            return False
        try:
            self.driver.accept(effect.offer_id, effect.operations, effect.refuse_seconds)
            return True
        except NotSubscribedError as exc:
            log.warning("accept_not_sent offer=%s error=%s", effect.offer_id, exc)
            self._apply(self.engine.revert_launch(effect.task_ids))
        except (DriverError, CallRejectedError) as exc:  # may or may not have launched: reconciliation tells
            log.error("accept_failed offer=%s error=%s", effect.offer_id, exc)
        return False

    def _drive(self, call: Callable[..., None], *args: Any) -> None:
        try:
            call(*args)
        except (DriverError, CallRejectedError) as exc:
            log.warning("driver_call_failed call=%s error=%s", getattr(call, "__name__", call), exc)

    def _notify(self, effect: Notify) -> None:
        plugin = self.engine.plugins.get(effect.plugin)
        if plugin is None:
            return
        if effect.method == "on_launched" and effect.args[0].task_id not in self.engine.records:
            return      # its ACCEPT could not be sent and the launch was reverted: the key is still wanted
        try:
            getattr(plugin, effect.method)(*effect.args)
        except Exception:
            log.exception("plugin_failed plugin=%s method=%s", effect.plugin, effect.method)
