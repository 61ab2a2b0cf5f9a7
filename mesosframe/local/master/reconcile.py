"""Task reconciliation (`Master::reconcile` semantics), implicit and explicit."""
from __future__ import annotations

from typing import TYPE_CHECKING

from mesosframe.local.master.events import master_update, reconcile_update, unreachable_time, visible_state
from mesosframe.local.master.records import FrameworkRecord

if TYPE_CHECKING:
    from mesosframe.local.master.core import Master


def reconcile(master: "Master", fw: FrameworkRecord, tasks: list[dict]) -> None:
    """Send UPDATEs (SOURCE_MASTER, REASON_RECONCILIATION, no uuid) for `tasks`, or for every known
    task (including terminal ones whose terminal update is not yet acknowledged) when it is empty.
    During the re-registration grace after election (`master.recovering`), a task on an agent that has not
    re-registered gets no answer: its agent may still bring it back."""
    now = master.clock.now()
    pa = fw.partition_aware
    if not tasks:
        for task in list(fw.tasks.values()):
            master.send_update(fw, reconcile_update(task, pa, now))
        return
    for entry in tasks:
        task_id = entry["task_id"]["value"]
        agent_id = (entry.get("agent_id") or {}).get("value")
        task = fw.tasks.get(task_id)
        if task is not None:
            master.send_update(fw, reconcile_update(task, pa, now))
            continue
        agent = master.agents.get(agent_id) if agent_id else None
        if agent is None and master.recovering:
            continue
        if agent is not None and agent.state == "active":
            state, message, extra = "TASK_GONE", "Reconciliation: Task is unknown to the agent", None
        elif agent is not None:
            state, message = "TASK_UNREACHABLE", "Reconciliation: Task is unreachable"
            extra = unreachable_time(agent.unreachable_time or now)
        else:
            state, message, extra = "TASK_UNKNOWN", "Reconciliation: Task is unknown", None
        master.send_update(fw, master_update(task_id, visible_state(state, pa), now=now, message=message,
                                             reason="REASON_RECONCILIATION", agent_id=agent_id,
                                             extra=extra))
