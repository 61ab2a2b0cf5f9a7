"""Builders of scheduler events and master-generated status updates, in Mesos's JSON shapes (pure)."""
from __future__ import annotations

import ipaddress
import socket

from mesosframe.local.master.records import PARTITION_STATES, TaskRecord

VERSION = "1.11.0"
MASTER_CAPABILITIES = ("AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2")


def ip_as_uint32(ip: str) -> int:
    """An IPv4 address as Mesos stores it in MasterInfo.ip: the network-order bytes read as a host uint32."""
    try:
        packed = ipaddress.IPv4Address(ip).packed
    except ValueError:
        packed = socket.inet_aton(socket.gethostbyname(ip))
    return int.from_bytes(packed, "little")


def master_info(master_id: str, hostname: str, ip: str, port: int, *, for_zookeeper: bool = False) -> dict:
    """MasterInfo JSON. In events the v1 API cannot name QUOTA_V2 and a real master emits `{}` for it."""
    caps = [{"type": c} for c in MASTER_CAPABILITIES]
    if not for_zookeeper:
        caps[-1] = {}
    return {"address": {"hostname": hostname, "ip": ip, "port": port}, "capabilities": caps,
            "hostname": hostname, "id": master_id, "ip": ip_as_uint32(ip),
            "pid": f"master@{ip}:{port}", "port": port, "version": VERSION}


def visible_state(state: str, partition_aware: bool) -> str:
    """What a framework without PARTITION_AWARE sees instead of the partition states."""
    if not partition_aware and state in PARTITION_STATES:
        return "TASK_LOST"
    return state


def master_update(task_id: str, state: str, *, now: float, message: str, reason: str,
                  agent_id: str | None = None, extra: dict | None = None) -> dict:
    """A master-generated UPDATE event: SOURCE_MASTER, no uuid (nothing to acknowledge)."""
    status: dict = {"task_id": {"value": task_id}, "state": state, "message": message,
                    "source": "SOURCE_MASTER", "reason": reason, "timestamp": now}
    if agent_id is not None:
        status["agent_id"] = {"value": agent_id}
    if extra:
        status.update(extra)
    return {"type": "UPDATE", "update": {"status": status}}


def reconcile_update(task: TaskRecord, partition_aware: bool, now: float) -> dict:
    """The reply to reconciliation for a known task: its latest state."""
    return master_update(task.task_id, visible_state(task.state, partition_aware), now=now,
                         message="Reconciliation: Latest task state", reason="REASON_RECONCILIATION",
                         agent_id=task.agent_id, extra=task.status_extra)


def unreachable_time(seconds: float) -> dict:
    return {"unreachable_time": {"nanoseconds": int(seconds * 1e9)}}


HEARTBEAT = {"type": "HEARTBEAT"}


def error_event(message: str) -> dict:
    return {"type": "ERROR", "error": {"message": message}}


def rescind_event(offer_id: str) -> dict:
    return {"type": "RESCIND", "rescind": {"offer_id": {"value": offer_id}}}


def failure_event(agent_id: str, executor_id: str | None = None, status: int | None = None) -> dict:
    body: dict = {"agent_id": {"value": agent_id}}
    if executor_id is not None:
        body["executor_id"] = {"value": executor_id}
    if status is not None:
        body["status"] = status
    return {"type": "FAILURE", "failure": body}
