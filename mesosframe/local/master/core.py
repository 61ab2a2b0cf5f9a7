"""The local master's logic: frameworks, calls, tasks, status updates, agents. No HTTP here.

The transport calls `subscribe(call, sink)` and `handle(call, stream_id)` (both raise `CallError`) and
`stream_closed(framework_id, stream_id)`. Agents call the `MasterPort` methods. Everything runs on one
loop: time comes from `clock`, timers from `loop.call_later` / `loop.call_soon`.
"""
from __future__ import annotations

import base64
import logging
import uuid
from dataclasses import dataclass, field

from mesosframe.core.clock import Clock
from mesosframe.local.master import events
from mesosframe.local.master.agent_side import AgentSide
from mesosframe.errors import ConfigurationError
from mesosframe.local.master.allocator import Allocator, refuse_seconds
from mesosframe.local.master.auth import principal_mismatch
from mesosframe.local.master.launch import accept
from mesosframe.local.master.records import AgentRecord, EventSink, FrameworkRecord, OfferRecord, TaskRecord
from mesosframe.local.master.reconcile import reconcile
from mesosframe.local.master.validation import (CallError, decode_uuid, validate_call,
                                                validate_framework_info)
from mesosframe.local.protocol import MasterPort

log = logging.getLogger("mesosframe.local.master")


@dataclass
class MasterOptions:
    """Tunables; durations in seconds.

    `heartbeat_interval`: HEARTBEAT events on each stream. `offer_timeout`: rescind unanswered offers
    (None: never). `allocation_interval`: periodic allocation pass (expired filters). `agent_ping_timeout`:
    silence after which an agent is unreachable. `agent_removal_timeout`: unreachable time after which it
    is removed (its tasks TASK_GONE). `keep_status_history`: keep (state, time) per update for
    `/master/state` (about 100 bytes per update). `credentials`: principal -> secret accepted with HTTP
    Basic on the scheduler API (never in `repr`); `authenticate_frameworks`: refuse calls without valid
    credentials (401). Without it, credentials are optional but checked when sent.
    `agent_reregister_timeout`: after being elected, the time agents have to re-register; meanwhile
    explicit reconciliation of tasks this master does not know gets no answer (frameworks retry)."""
    hostname: str = "127.0.0.1"
    port: int = 5050
    heartbeat_interval: float = 15.0
    offer_timeout: float | None = None
    allocation_interval: float = 1.0
    agent_ping_timeout: float = 75.0
    agent_removal_timeout: float = 600.0
    max_completed_tasks: int = 1000
    max_completed_frameworks: int = 50
    keep_status_history: bool = True
    credentials: dict[str, str] | None = field(default=None, repr=False)
    authenticate_frameworks: bool = False
    agent_reregister_timeout: float = 10.0


class Master(AgentSide, MasterPort):
    """A Mesos-compatible master. Create, then `start()` on the loop; `stop()` cancels its timers."""

    def __init__(self, options: MasterOptions | None = None, *, loop, clock: Clock,
                 master_id: str | None = None) -> None:
        self.options = options or MasterOptions()
        if self.options.authenticate_frameworks and not self.options.credentials:
            raise ConfigurationError("authenticate_frameworks needs credentials (principal -> secret)")
        self.loop = loop
        self.clock = clock
        self.master_id = master_id or str(uuid.uuid4())
        self.leading = True
        self.leader: tuple[str, int] | None = None     # (host, port) of the leader when not leading
        self.agents: dict[str, AgentRecord] = {}
        self.frameworks: dict[str, FrameworkRecord] = {}
        self.completed_frameworks: list[FrameworkRecord] = []
        self.removed_frameworks: set[str] = set()
        self.offers: dict[str, OfferRecord] = {}
        self.allocator = Allocator(self)
        self.start_time = clock.now()
        self.elected_time: float | None = self.start_time
        self.recovering_until: float | None = None     # monotonic end of the re-registration grace
        self._next_framework = 0
        self._timers: list = []
        self._running = False

    # ----- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._running = True
        self._every(self.options.allocation_interval, self.allocator.allocate)
        self._every(max(0.05, min(5.0, self.options.agent_ping_timeout / 5)), self._check_agents)

    def stop(self) -> None:
        self._running = False
        for timer in self._timers:
            timer.cancel()
        for fw in list(self.frameworks.values()):
            self._cancel_framework_timers(fw)
            if fw.sink is not None:
                fw.sink.close()
                fw.sink = None

    def _every(self, interval: float, fn) -> None:
        def tick() -> None:
            if not self._running:
                return
            try:
                fn()
            finally:
                self._timers.append(self.loop.call_later(interval, tick))
        self._timers.append(self.loop.call_later(interval, tick))

    def set_leading(self, leading: bool, leader: tuple[str, int] | None = None) -> None:
        """Called by the ZooKeeper contender; a master that is not leading answers 307/503."""
        if leading and not self.leading:
            self.elected_time = self.clock.now()
            self.recovering_until = self.clock.monotonic() + self.options.agent_reregister_timeout
            self.allocator.request()
        if self.leading and not leading:      # deposed: drop every subscription (they reconnect elsewhere)
            for fw in list(self.frameworks.values()):
                for offer_id in list(fw.offer_ids):
                    self.allocator.rescind(offer_id, notify=False)
                self._disconnect(fw, None)
        self.leading = leading
        self.leader = leader

    def master_info(self, for_zookeeper: bool = False) -> dict:
        return events.master_info(self.master_id, self.options.hostname, self.options.hostname,
                                  self.options.port, for_zookeeper=for_zookeeper)

    # ----- subscription ----------------------------------------------------------------------
    def subscribe(self, call: dict, sink: EventSink, principal: str | None = None) -> tuple[str | None, str]:
        """A SUBSCRIBE call; returns (framework id, new stream id). Refusals of the FrameworkInfo go to
        `sink` as ERROR and close it (framework id None), as Mesos does; envelope errors raise CallError.
        `principal`: the HTTP-authenticated principal (None: unauthenticated); FrameworkInfo.principal, when
        set, must equal it (400)."""
        validate_call(call)
        info = dict(call["subscribe"]["framework_info"])
        if principal is not None and "principal" in info and info["principal"] != principal:
            raise CallError(400, "Failed to validate scheduler::Call: "
                            + principal_mismatch(principal, str(info["principal"])))
        reason = validate_framework_info(info)
        framework_id = (info.get("id") or {}).get("value")
        if reason is None and framework_id in self.removed_frameworks:
            reason = "Framework has been removed"
        stream_id = str(uuid.uuid4())
        if reason is not None:
            sink.send(events.error_event(reason))
            sink.close()
            return None, stream_id
        now = self.clock.now()
        fw = self.frameworks.get(framework_id) if framework_id else None
        if fw is None:
            if framework_id is None:
                framework_id = f"{self.master_id}-{self._next_framework:04d}"
                self._next_framework += 1
            info["id"] = {"value": framework_id}
            fw = FrameworkRecord(framework_id, info, now, self.options.max_completed_tasks)
            self.frameworks[framework_id] = fw
            log.info("framework_added id=%s name=%s", framework_id, info.get("name"))
        else:
            info["id"] = {"value": framework_id}
            for key in ("user", "checkpoint"):       # cannot change
                if key in fw.info:
                    info[key] = fw.info[key]
            fw.update_info(info)
            fw.reregistered_time = now
            self._disconnect(fw, events.error_event("Framework failed over"))
            for offer_id in list(fw.offer_ids):
                self.allocator.rescind(offer_id, notify=False)
        info.setdefault("failover_timeout", 0.0)
        info.setdefault("checkpoint", False)
        fw.suppressed = set(call["subscribe"].get("suppressed_roles") or ())
        fw.sink, fw.stream_id, fw.connected, fw.active = sink, stream_id, True, True
        fw.unregistered_time = None
        if fw.failover_timer is not None:
            fw.failover_timer.cancel()
            fw.failover_timer = None
        sink.send({"type": "SUBSCRIBED", "subscribed": {
            "framework_id": {"value": framework_id},
            "heartbeat_interval_seconds": float(self.options.heartbeat_interval),
            "master_info": self.master_info()}})
        self._heartbeat(fw)
        self.allocator.request()
        return framework_id, stream_id

    @property
    def recovering(self) -> bool:
        """Within the re-registration grace after election (agents may still bring back tasks)."""
        return self.recovering_until is not None and self.clock.monotonic() < self.recovering_until

    def _heartbeat(self, fw: FrameworkRecord) -> None:
        if fw.sink is None:
            return
        fw.sink.send(events.HEARTBEAT)
        fw.heartbeat_timer = self.loop.call_later(self.options.heartbeat_interval, self._heartbeat, fw)

    def _disconnect(self, fw: FrameworkRecord, last_event: dict | None) -> None:
        if fw.heartbeat_timer is not None:
            fw.heartbeat_timer.cancel()
            fw.heartbeat_timer = None
        sink, fw.sink, fw.stream_id = fw.sink, None, None
        if sink is not None:
            if last_event is not None:
                sink.send(last_event)
            sink.close()

    def stream_closed(self, framework_id: str, stream_id: str) -> None:
        """The framework's HTTP stream ended: deactivate it and start its failover timeout."""
        fw = self.frameworks.get(framework_id)
        if fw is None or fw.stream_id != stream_id:
            return
        self._disconnect(fw, None)
        fw.connected = fw.active = False
        fw.unregistered_time = self.clock.now()
        for offer_id in list(fw.offer_ids):
            self.allocator.rescind(offer_id, notify=False)
        log.info("framework_disconnected id=%s failover_timeout=%s", framework_id, fw.failover_timeout)
        if fw.failover_timeout <= 0:
            self.remove_framework(fw)
        else:
            fw.failover_timer = self.loop.call_later(fw.failover_timeout, self._failover_expired, fw)

    def _failover_expired(self, fw: FrameworkRecord) -> None:
        fw.failover_timer = None
        if not fw.connected and self.frameworks.get(fw.framework_id) is fw:
            self.remove_framework(fw)

    def _cancel_framework_timers(self, fw: FrameworkRecord) -> None:
        for timer in (fw.failover_timer, fw.heartbeat_timer):
            if timer is not None:
                timer.cancel()
        fw.failover_timer = fw.heartbeat_timer = None

    def remove_framework(self, fw: FrameworkRecord) -> None:
        """TEARDOWN or failover timeout: kill its tasks, forget it (it cannot subscribe again)."""
        log.info("framework_removed id=%s", fw.framework_id)
        self._cancel_framework_timers(fw)
        for offer_id in list(fw.offer_ids):
            self.allocator.rescind(offer_id, notify=False)
        self._disconnect(fw, None)
        fw.connected = fw.active = False
        fw.unregistered_time = self.clock.now()
        agent_ids = {t.agent_id for t in fw.tasks.values()}
        for task in list(fw.tasks.values()):
            if not task.terminal:
                self._release(task)
            self._forget_task(fw, task, "TASK_KILLED")
        for agent_id in agent_ids:
            agent = self.agents.get(agent_id)
            if agent is not None and agent.state == "active":
                agent.handle.shutdown_framework(fw.framework_id)
        del self.frameworks[fw.framework_id]
        self.removed_frameworks.add(fw.framework_id)
        self.completed_frameworks.append(fw)
        del self.completed_frameworks[:-self.options.max_completed_frameworks]

    # ----- calls -----------------------------------------------------------------------------
    def handle(self, call: dict, stream_id: str | None, principal: str | None = None) -> int:
        """A non-SUBSCRIBE call; returns the HTTP status (202, 200 or 501) or raises CallError.
        `principal` (HTTP-authenticated) must be the framework's FrameworkInfo.principal (400)."""
        ctype = validate_call(call)
        if ctype == "SUBSCRIBE":
            raise CallError(400, "Subscribe calls should not include the 'Mesos-Stream-Id' header")
        fw = self.frameworks.get(call["framework_id"]["value"])
        if fw is None:
            raise CallError(400, "Framework cannot be found")
        if principal is not None and fw.info.get("principal") != principal:
            raise CallError(400, principal_mismatch(principal, str(fw.info.get("principal", ""))))
        if not fw.connected:
            raise CallError(403, "Framework is not subscribed")
        if stream_id is None:
            raise CallError(400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header")
        if stream_id != fw.stream_id:
            raise CallError(400, f"The stream ID '{stream_id}' included in this request didn't match the "
                                 f"stream ID currently associated with framework ID {fw.framework_id}")
        if ctype == "UNKNOWN":
            return 501
        body = call.get(ctype.lower()) or {}
        # One `_call_<type>` method per call type; types without one (REQUEST, inverse offers,
        # operation reconciliation and acknowledgement) are accepted and ignored.
        handler = getattr(self, f"_call_{ctype.lower()}", None)
        if handler is not None:
            handler(fw, body)
        return 200 if ctype == "UPDATE_FRAMEWORK" else 202

    def _call_teardown(self, fw: FrameworkRecord, body: dict) -> None:
        self.remove_framework(fw)

    def _call_accept(self, fw: FrameworkRecord, body: dict) -> None:
        accept(self, fw, body)

    def _call_decline(self, fw: FrameworkRecord, body: dict) -> None:
        refuse = refuse_seconds(body.get("filters"))
        for offer_id in body.get("offer_ids", []):
            self.allocator.decline(fw, offer_id["value"], refuse)

    def _call_revive(self, fw: FrameworkRecord, body: dict) -> None:
        self.allocator.revive(fw, list(body.get("roles") or []))

    def _call_suppress(self, fw: FrameworkRecord, body: dict) -> None:
        self.allocator.suppress(fw, list(body.get("roles") or []))

    def _call_kill(self, fw: FrameworkRecord, body: dict) -> None:
        task_id = body["task_id"]["value"]
        task = fw.tasks.get(task_id)
        if task is None:
            reconcile(self, fw, [{"task_id": body["task_id"], **({"agent_id": body["agent_id"]}
                                                               if "agent_id" in body else {})}])
            return
        agent = self.agents.get(task.agent_id)
        if agent is not None and agent.state == "active" and not task.terminal:
            agent.handle.kill_task(fw.framework_id, task_id, body.get("kill_policy"))

    def _call_shutdown(self, fw: FrameworkRecord, body: dict) -> None:
        agent = self.agents.get(body["agent_id"]["value"])
        if agent is not None and agent.state == "active":
            agent.handle.shutdown_executor(fw.framework_id, body["executor_id"]["value"])

    def _call_acknowledge(self, fw: FrameworkRecord, body: dict) -> None:
        raw = decode_uuid(body["uuid"])
        task_id, agent_id = body["task_id"]["value"], body["agent_id"]["value"]
        agent = self.agents.get(agent_id)
        if agent is None or agent.state != "active":
            log.warning("ack_dropped framework=%s task=%s agent=%s", fw.framework_id, task_id, agent_id)
            return
        task = fw.tasks.get(task_id)
        if task is not None and task.terminal and task.uuid == body["uuid"]:
            self._forget_task(fw, task, None)
        agent.handle.acknowledge(fw.framework_id, task_id, raw)

    def _call_reconcile(self, fw: FrameworkRecord, body: dict) -> None:
        reconcile(self, fw, list(body.get("tasks") or []))

    def _call_message(self, fw: FrameworkRecord, body: dict) -> None:
        agent = self.agents.get(body["agent_id"]["value"])
        if agent is not None and agent.state == "active":
            try:
                data = base64.b64decode(body["data"])
            except ValueError:
                raise CallError(400, "Failed to validate scheduler::Call: 'data' is not base64") from None
            agent.handle.framework_message(fw.framework_id, body["executor_id"]["value"], data)

    def _call_update_framework(self, fw: FrameworkRecord, body: dict) -> None:
        info = dict(body["framework_info"])
        reason = validate_framework_info(info)
        if reason is not None:
            raise CallError(400, f"Failed to validate scheduler::Call: {reason}")
        for key in ("user", "checkpoint", "principal"):
            if info.get(key, fw.info.get(key)) != fw.info.get(key):
                raise CallError(400, f"Updating 'FrameworkInfo.{key}' is unsupported")
        info.setdefault("failover_timeout", 0.0)
        fw.update_info(info)
        fw.suppressed = set(body.get("suppressed_roles") or ())
        self.allocator.request()

    # ----- tasks -----------------------------------------------------------------------------
    def add_task(self, fw: FrameworkRecord, task: TaskRecord) -> None:
        """A task launched from an offer: the offer's charge to the framework now covers the task."""
        fw.tasks[task.task_id] = task
        agent = self.agents[task.agent_id]
        agent.task_ids.add((fw.framework_id, task.task_id))
        if task.executor_id:
            agent.executor_task_ids.add((fw.framework_id, task.task_id))
        if self.options.keep_status_history:
            task.statuses = []

    def _release(self, task: TaskRecord) -> None:
        """A task reached a terminal state: give its resources back."""
        self.allocator.recover(task.framework_id, task.agent_id, task.resources)

    def _forget_task(self, fw: FrameworkRecord, task: TaskRecord, final_state: str | None) -> None:
        fw.tasks.pop(task.task_id, None)
        agent = self.agents.get(task.agent_id)
        if agent is not None:
            agent.task_ids.discard((fw.framework_id, task.task_id))
            agent.executor_task_ids.discard((fw.framework_id, task.task_id))
        if final_state is not None and not task.terminal:
            task.state = final_state
        fw.completed.append(task)

    def executor_ids(self, framework_id: str, agent_id: str) -> list[str]:
        """This framework's (custom or group) executors with live tasks on the agent."""
        fw = self.frameworks.get(framework_id)
        agent = self.agents.get(agent_id)
        if fw is None or agent is None:
            return []
        out = {fw.tasks[t].executor_id for f, t in agent.executor_task_ids   # O(executor tasks), not O(tasks)
               if f == framework_id and t in fw.tasks and fw.tasks[t].executor_id}
        return sorted(out)

    def framework_json(self, fw: FrameworkRecord) -> dict:
        return fw.info

    def send_update(self, fw: FrameworkRecord, event: dict) -> None:
        if fw.sink is not None:
            fw.sink.send(event)
