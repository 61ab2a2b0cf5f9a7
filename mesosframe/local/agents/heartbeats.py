"""Agent heartbeats: one timer per (loop, master, interval) for any number of agents.

A cluster may hold 10,000 simulated agents; giving each its own timer would fill the loop's heap. Agents
`join` a shared `HeartbeatPool` instead; its single timer calls `MasterPort.agent_heartbeat(agent_id)` for
every member each `interval` seconds. Pools are created lazily and dropped when their last member leaves.
"""
from __future__ import annotations

import logging
from typing import Any

from mesosframe.local.protocol import MasterPort

log = logging.getLogger("mesosframe.local.agents.heartbeats")

__all__ = ["HeartbeatPool"]


class HeartbeatPool:
    """Beats for a set of agent ids on one loop towards one master. Use `join` and `leave`."""

    __slots__ = ("_key", "_loop", "_master", "_interval", "_members", "_timer")
    _pools: dict[tuple[int, int, float], HeartbeatPool] = {}

    def __init__(self, key: tuple[int, int, float], loop: Any, master: MasterPort, interval: float) -> None:
        self._key = key
        self._loop = loop
        self._master = master
        self._interval = interval
        self._members: dict[str, None] = {}
        self._timer: Any = None

    @classmethod
    def join(cls, loop: Any, master: MasterPort, interval: float, agent_id: str) -> None:
        """Start beating for `agent_id` (idempotent). The first beat comes within `interval` seconds."""
        if interval <= 0:
            raise ValueError(f"heartbeat_interval must be positive, got {interval!r}")
        key = (id(loop), id(master), float(interval))
        pool = cls._pools.get(key)
        if pool is None:
            pool = cls._pools[key] = cls(key, loop, master, float(interval))
        pool._members[agent_id] = None
        if pool._timer is None:
            pool._timer = loop.call_later(pool._interval, pool._beat)

    @classmethod
    def leave(cls, loop: Any, master: MasterPort, interval: float, agent_id: str) -> None:
        """Stop beating for `agent_id` (no-op if it is not a member)."""
        pool = cls._pools.get((id(loop), id(master), float(interval)))
        if pool is None:
            return
        pool._members.pop(agent_id, None)
        if not pool._members:
            if pool._timer is not None:
                pool._timer.cancel()
            del cls._pools[pool._key]

    @classmethod
    def is_member(cls, loop: Any, master: MasterPort, interval: float, agent_id: str) -> bool:
        pool = cls._pools.get((id(loop), id(master), float(interval)))
        return pool is not None and agent_id in pool._members

    def _beat(self) -> None:
        self._timer = self._loop.call_later(self._interval, self._beat)
        for agent_id in list(self._members):
            try:
                self._master.agent_heartbeat(agent_id)
            except Exception:  # one failing call must not silence the other agents
                log.exception("heartbeat_failed agent=%s", agent_id)
