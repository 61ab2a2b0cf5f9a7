"""The master's side of the agent seam (`MasterPort`): registration, status updates, agent loss.

An agent silent for `agent_ping_timeout`, or whose `agent_exited` is called, becomes unreachable: its
offers are rescinded, its tasks become TASK_UNREACHABLE (PARTITION_AWARE frameworks, with
`unreachable_time`) or TASK_LOST, and every framework gets FAILURE{agent_id}. It may re-register (its
tasks come back with the states the agent reports). An agent this master never knew (it was elected
since) brings its live tasks with their TaskInfos: they are adopted, under a recovered framework if needed.
After `agent_removal_timeout` it is removed and its unreachable tasks become TASK_GONE (sent to
PARTITION_AWARE frameworks).
"""
from __future__ import annotations

import base64
import logging

from mesosframe.local.master import events
from mesosframe.local.master.records import TERMINAL_STATES, AgentRecord, FrameworkRecord, TaskRecord
from mesosframe.local.master.resources import ResourceBag, ResourceError, add_roles, subtract_roles
from mesosframe.local.protocol import AgentHandle

log = logging.getLogger("mesosframe.local.master")

_EXTRA_KEYS = ("healthy", "check_status", "container_status")


class AgentSide:
    """Mixed into `Master`: implements the `MasterPort` methods on the master's state."""

    def register_agent(self, agent: AgentHandle) -> None:
        info = agent.info
        if not info.agent_id:
            info.agent_id = f"{self.master_id}-S{len(self.agents)}"
        now, mono = self.clock.now(), self.clock.monotonic()
        known = self.agents.get(info.agent_id)
        total = ResourceBag.from_mesos(info.resources)
        if known is None:
            record = self.agents[info.agent_id] = AgentRecord(agent, total, now, mono)
            adopted = self._adopt_tasks(record, agent.reregister_task_infos(), now)
            log.info("agent_registered id=%s hostname=%s adopted_tasks=%d", info.agent_id, info.hostname, adopted)
            self.allocator.request()
            return
        if known.removal_timer is not None:
            known.removal_timer.cancel()
            known.removal_timer = None
        for offer_id in list(known.offer_ids):
            self.allocator.rescind(offer_id)
        known.handle, known.info, known.total = agent, info, total
        known.offer_base = known._offer_base()
        known.state, known.last_seen, known.reregistered_time = "active", mono, now
        known.unreachable_time = None
        reported = {(fid, status["task_id"]["value"]): status for fid, status in agent.reregister_tasks()}
        free = dict(total)
        for fid, task_id in list(known.task_ids):
            fw = self.frameworks.get(fid)
            task = fw.tasks.get(task_id) if fw else None
            if task is None:
                known.task_ids.discard((fid, task_id))
                known.executor_task_ids.discard((fid, task_id))
                continue
            status = reported.get((fid, task_id))
            charged = not task.terminal and task.state != "TASK_UNREACHABLE"
            if status is None:
                if task.state == "TASK_STAGING":        # launched, no status yet: still starting
                    free = subtract_roles(free, task.resources)
                elif not task.terminal:
                    self._task_vanished(fw, task, known, charged)
                continue
            if task.state == "TASK_UNREACHABLE":
                task.status_extra = None
            task.state = status.get("state", task.state)
            if not task.terminal:
                free = subtract_roles(free, task.resources)
            if charged != (not task.terminal):
                fw.charge(task.resources, -1 if charged else 1)
        known.free = free
        log.info("agent_reregistered id=%s tasks=%d", info.agent_id, len(reported))
        self.allocator.request()

    def _adopt_tasks(self, agent: AgentRecord, tasks: list[tuple[str, dict, dict]], now: float) -> int:
        """An agent this master never knew brings live tasks (the master was elected after they were launched):
        record each non-terminal one with its reported state, charge its framework (recovered, disconnected,
        when unknown: a SUBSCRIBE with its id re-attaches) and take its resources from the agent's free pool.
        Tasks of removed frameworks, already known task ids and unreadable resources are skipped."""
        adopted = 0
        executors: set[tuple[str, str]] = set()
        for fid, task_info, status in tasks:
            task_id = status["task_id"]["value"]
            state = status.get("state", "TASK_STAGING")
            if state in TERMINAL_STATES or fid in self.removed_frameworks:
                continue
            fw = self.frameworks.get(fid) or self._recover_framework(fid, now)
            if task_id in fw.tasks:
                continue
            executor = task_info.get("executor") or {}
            executor_id = (executor.get("executor_id") or {}).get("value", "")
            try:
                bags = ResourceBag.from_mesos(task_info.get("resources", []))
                if executor_id and (fid, executor_id) not in executors:
                    bags = add_roles(bags, ResourceBag.from_mesos(executor.get("resources", [])))
            except ResourceError:
                log.warning("adopt_skipped agent=%s task=%s (bad resources)", agent.agent_id, task_id)
                continue
            if executor_id:
                executors.add((fid, executor_id))
            role = next(iter(bags), "*")
            task = TaskRecord(task_id, fid, agent.agent_id, str(task_info.get("name", "")), executor_id, role,
                              bags, now)
            self.add_task(fw, task)
            task.state, task.uuid = state, status.get("uuid")
            task.timestamp = status.get("timestamp", now)
            fw.charge(bags, 1)
            agent.free = subtract_roles(agent.free, bags)
            adopted += 1
        return adopted

    def _recover_framework(self, framework_id: str, now: float) -> FrameworkRecord:
        """A framework known only from an agent's tasks: disconnected until it subscribes with this id."""
        fw = FrameworkRecord(framework_id, {"id": {"value": framework_id}}, now, self.options.max_completed_tasks)
        fw.unregistered_time = now
        self.frameworks[framework_id] = fw
        log.info("framework_recovered id=%s", framework_id)
        return fw

    def _task_vanished(self, fw, task, agent: AgentRecord, charged: bool) -> None:
        """A re-registering agent does not know a task any more: TASK_GONE (TASK_LOST), forgotten."""
        if charged:
            fw.charge(task.resources, -1)
        state = events.visible_state("TASK_GONE", fw.partition_aware)
        self.send_update(fw, events.master_update(
            task.task_id, state, now=self.clock.now(), message="Task is unknown to the re-registered agent",
            reason="REASON_SLAVE_RESTARTED", agent_id=agent.agent_id))
        task.state = state
        self._forget_task(fw, task, state)

    def agent_heartbeat(self, agent_id: str) -> None:
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        if agent.state != "active":
            self.register_agent(agent.handle)
            return
        agent.last_seen = self.clock.monotonic()

    def agent_exited(self, agent_id: str) -> None:
        agent = self.agents.get(agent_id)
        if agent is not None and agent.state == "active":
            self._mark_unreachable(agent, "agent exited")

    def status_update(self, agent_id: str, framework_id: str, status: dict) -> None:
        agent = self.agents.get(agent_id)
        if agent is None or agent.state != "active":
            return
        fw = self.frameworks.get(framework_id)
        if fw is None:
            log.debug("update_dropped framework=%s (unknown)", framework_id)
            return
        task = fw.tasks.get(status["task_id"]["value"])
        state = status.get("state", "")
        if task is not None and (task.uuid != status.get("uuid") or task.state != state):
            was_terminal = task.terminal
            task.state = state
            task.timestamp = status.get("timestamp", self.clock.now())
            task.uuid = status.get("uuid")
            extra = {k: status[k] for k in _EXTRA_KEYS if k in status}
            task.status_extra = extra or None
            if task.statuses is not None:
                task.statuses.append((state, task.timestamp))
            if task.terminal and not was_terminal:
                self.allocator.recover(fw.framework_id, task.agent_id, task.resources)
        if fw.sink is not None:
            if state == "TASK_KILLING" and not fw.has("TASK_KILLING_STATE"):
                return
            fw.sink.send({"type": "UPDATE", "update": {"status": status}})

    def executor_message(self, agent_id: str, framework_id: str, executor_id: str, data: bytes) -> None:
        fw = self.frameworks.get(framework_id)
        if fw is not None and fw.sink is not None:
            fw.sink.send({"type": "MESSAGE", "message": {
                "agent_id": {"value": agent_id}, "executor_id": {"value": executor_id},
                "data": base64.b64encode(data).decode("ascii")}})

    def executor_exited(self, agent_id: str, framework_id: str, executor_id: str, status: int) -> None:
        fw = self.frameworks.get(framework_id)
        if fw is not None and fw.sink is not None:
            fw.sink.send(events.failure_event(agent_id, executor_id, status))

    # ----- agent loss ------------------------------------------------------------------------
    def _check_agents(self) -> None:
        deadline = self.clock.monotonic() - self.options.agent_ping_timeout
        for agent in [a for a in self.agents.values() if a.state == "active" and a.last_seen < deadline]:
            self._mark_unreachable(agent, "health check timed out")

    def _mark_unreachable(self, agent: AgentRecord, why: str) -> None:
        now = self.clock.now()
        log.warning("agent_unreachable id=%s reason=%s", agent.agent_id, why)
        for offer_id in list(agent.offer_ids):
            self.allocator.rescind(offer_id)
        agent.state, agent.unreachable_time, agent.free = "unreachable", now, {}
        extra = events.unreachable_time(now)
        for fid, task_id in sorted(agent.task_ids):
            fw = self.frameworks.get(fid)
            task = fw.tasks.get(task_id) if fw else None
            if task is None or task.terminal:
                continue
            fw.charge(task.resources, -1)
            task.state, task.timestamp, task.status_extra = "TASK_UNREACHABLE", now, dict(extra)
            self.send_update(fw, events.master_update(
                task_id, events.visible_state("TASK_UNREACHABLE", fw.partition_aware), now=now,
                message=f"Agent {agent.info.hostname} is unreachable: {why}", reason="REASON_SLAVE_REMOVED",
                agent_id=agent.agent_id, extra=extra if fw.partition_aware else None))
        for fw in self.frameworks.values():
            self.send_update(fw, events.failure_event(agent.agent_id))
        agent.removal_timer = self.loop.call_later(self.options.agent_removal_timeout,
                                                   self._remove_agent, agent)

    def _remove_agent(self, agent: AgentRecord) -> None:
        agent.removal_timer = None
        if agent.state != "unreachable" or self.agents.get(agent.agent_id) is not agent:
            return
        now = self.clock.now()
        for fid, task_id in sorted(agent.task_ids):
            fw = self.frameworks.get(fid)
            task = fw.tasks.get(task_id) if fw else None
            if task is None:
                continue
            if task.state == "TASK_UNREACHABLE" and fw.partition_aware:
                self.send_update(fw, events.master_update(
                    task_id, "TASK_GONE", now=now, message=f"Agent {agent.agent_id} was removed",
                    reason="REASON_SLAVE_REMOVED", agent_id=agent.agent_id))
            task.state = "TASK_GONE" if task.state == "TASK_UNREACHABLE" else task.state
            self._forget_task(fw, task, "TASK_GONE")
        del self.agents[agent.agent_id]
        log.info("agent_removed id=%s", agent.agent_id)
