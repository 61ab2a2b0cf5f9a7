"""`GET /version` and `GET /master/state` bodies, with a Mesos 1.11 master's field names (pure reads)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from mesosframe.local.master.events import MASTER_CAPABILITIES, VERSION
from mesosframe.local.master.records import AgentRecord, FrameworkRecord, TaskRecord
from mesosframe.local.master.resources import ResourceBag

if TYPE_CHECKING:
    from mesosframe.local.master.core import Master

BUILD_DATE = "2026-11-26 00:00:00"
BUILD_TIME = 1795651200.0
AGENT_CAPABILITIES = ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT", "AGENT_DRAINING"]


def version_json() -> dict:
    return {"version": VERSION, "build_date": BUILD_DATE, "build_time": BUILD_TIME, "build_user": ""}


def _flat(bags: dict[str, ResourceBag]) -> dict:
    total = ResourceBag()
    for bag in bags.values():
        total = total + bag
    return total.summary()


def _scalars(values: dict[str, int]) -> dict:
    out = {"disk": 0.0, "mem": 0.0, "gpus": 0.0, "cpus": 0.0}
    for name, value in values.items():
        out[name] = max(value, 0) / 1000
    return out


def _task(task: TaskRecord) -> dict:
    statuses = [{"state": s, "timestamp": t} for s, t in (task.statuses or [])]
    if not statuses:
        statuses = [{"state": task.state, "timestamp": task.timestamp}]
    return {"id": task.task_id, "name": task.name, "framework_id": task.framework_id,
            "executor_id": task.executor_id, "slave_id": task.agent_id, "state": task.state,
            "resources": _flat(task.resources), "role": task.role, "statuses": statuses}


def _agent(master: "Master", agent: AgentRecord) -> dict:
    info = agent.info
    offered = ResourceBag()
    for offer_id in agent.offer_ids:
        for bag in master.offers[offer_id].resources.values():
            offered = offered + bag
    used_total = ResourceBag()
    for fid, task_id in agent.task_ids:
        fw = master.frameworks.get(fid)
        task = fw.tasks.get(task_id) if fw else None
        if task is not None and not task.terminal:
            for bag in task.resources.values():
                used_total = used_total + bag
    reserved = {role: bag.summary() for role, bag in agent.total.items() if role != "*"}
    return {"id": agent.agent_id, "hostname": info.hostname, "port": info.port or 5051,
            "attributes": {a["name"]: _attribute_value(a) for a in info.attributes},
            "pid": f"slave(1)@{info.hostname}:{info.port or 5051}",
            "registered_time": agent.registered_time,
            **({"reregistered_time": agent.reregistered_time} if agent.reregistered_time else {}),
            "resources": _flat(agent.total), "used_resources": _strip_ranges(used_total.summary()),
            "offered_resources": _strip_ranges(offered.summary()), "reserved_resources": reserved,
            "unreserved_resources": agent.total.get("*", ResourceBag()).summary(),
            "active": agent.state == "active", "deactivated": False, "version": VERSION,
            "capabilities": list(AGENT_CAPABILITIES)}


def _strip_ranges(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if not isinstance(v, str)} if summary else summary


def _attribute_value(attr: dict):
    kind = attr.get("type")
    if kind == "SCALAR":
        return attr["scalar"]["value"]
    if kind == "TEXT":
        return attr["text"]["value"]
    if kind == "RANGES":
        return "[" + ", ".join(f"{r['begin']}-{r['end']}" for r in attr["ranges"].get("range", [])) + "]"
    return "{" + ", ".join(attr.get("set", {}).get("item", [])) + "}"


def _framework(master: "Master", fw: FrameworkRecord) -> dict:
    info = fw.info
    live = [t for t in fw.tasks.values() if t.state != "TASK_UNREACHABLE"]
    offered: dict[str, int] = {}
    for offer_id in fw.offer_ids:
        for bag in master.offers[offer_id].resources.values():
            for name, value in bag.scalars.items():
                offered[name] = offered.get(name, 0) + value
    used = {k: v - offered.get(k, 0) for k, v in fw.allocated.items()}
    out = {"id": fw.framework_id, "name": info.get("name", ""), "used_resources": _scalars(used),
           "offered_resources": _scalars(offered),
           "capabilities": sorted(fw.capabilities), "hostname": info.get("hostname", ""),
           "webui_url": info.get("webui_url", ""), "active": fw.active, "connected": fw.connected,
           "recovered": False, "user": info.get("user", ""),
           "failover_timeout": float(info.get("failover_timeout", 0.0)),
           "checkpoint": bool(info.get("checkpoint", False)), "registered_time": fw.registered_time,
           "resources": _scalars(fw.allocated), "reregistered_time": fw.reregistered_time,
           "tasks": [_task(t) for t in live],
           "unreachable_tasks": [_task(t) for t in fw.tasks.values() if t.state == "TASK_UNREACHABLE"],
           "completed_tasks": [_task(t) for t in fw.completed],
           "offers": [{"id": o, "framework_id": fw.framework_id,
                       "slave_id": master.offers[o].agent_id,
                       "resources": _flat(master.offers[o].resources)} for o in fw.offer_ids],
           "executors": [], "offer_constraints": {}}
    if fw.unregistered_time is not None:
        out["unregistered_time"] = fw.unregistered_time
    if "MULTI_ROLE" in fw.capabilities:
        out["roles"] = list(fw.roles)
    else:
        out["role"] = fw.roles[0]
    if info.get("principal"):
        out["principal"] = info["principal"]
    return out


def master_state(master: "Master") -> dict:
    """The `/master/state` document."""
    opts = master.options
    pid = f"master@{opts.hostname}:{opts.port}"
    agents = list(master.agents.values())
    out = {**version_json(), "start_time": master.start_time, "id": master.master_id, "pid": pid,
           "hostname": opts.hostname, "capabilities": list(MASTER_CAPABILITIES),
           "activated_slaves": float(sum(a.state == "active" for a in agents)),
           "deactivated_slaves": 0.0,
           "unreachable_slaves": float(sum(a.state == "unreachable" for a in agents)),
           "log_dir": "", "flags": {"hostname": opts.hostname, "port": str(opts.port),
                                    "agent_ping_timeout": f"{opts.agent_ping_timeout:g}secs",
                                    "allocation_interval": f"{opts.allocation_interval:g}secs"},
           "slaves": [_agent(master, a) for a in agents if a.state == "active"],
           "recovered_slaves": [],
           "frameworks": [_framework(master, f) for f in master.frameworks.values()],
           "completed_frameworks": [_framework(master, f) for f in master.completed_frameworks],
           "orphan_tasks": [], "unregistered_frameworks": []}
    if master.elected_time is not None and master.leading:
        out["elected_time"] = master.elected_time
    if master.leading:
        out["leader"] = pid
        out["leader_info"] = {"id": master.master_id, "pid": pid, "port": opts.port,
                              "hostname": opts.hostname}
    elif master.leader is not None:
        host, port = master.leader
        out["leader"] = f"master@{host}:{port}"
    return out
