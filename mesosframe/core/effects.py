"""Effects: what pure handlers ask the core loop to do. Frozen value types, no behaviour.

The loop applies one batch in phase order: every `PERSIST` effect, then every `DRIVER` effect (in the
order given), then every `ACK` effect, then `NOTIFY` effects (plugin callbacks). A status update is thus
acknowledged only after its consequence is stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PERSIST, DRIVER, ACK, NOTIFY = 0, 1, 2, 3


@dataclass(frozen=True)
class Effect:
    phase = NOTIFY


# --- persist ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PutRecord(Effect):
    """Store `value` under `key` (the loop tracks versions)."""
    key: str
    value: dict[str, Any]
    phase = PERSIST


@dataclass(frozen=True)
class DeleteRecord(Effect):
    key: str
    phase = PERSIST


# --- driver ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AcceptOffer(Effect):
    """ACCEPT one offer with LAUNCH / LAUNCH_GROUP operations (Mesos JSON); unused resources are refused."""
    offer_id: str
    operations: tuple[dict, ...]
    refuse_seconds: float
    task_ids: tuple[str, ...] = ()
    phase = DRIVER


@dataclass(frozen=True)
class PrepareAccept(Effect):
    """An ACCEPT staged until later (`core.staging`): the driver may encode it now, so that sending `accept` (the
    same offer, the same operations object) at its time costs only the write."""
    accept: AcceptOffer
    phase = DRIVER


@dataclass(frozen=True)
class DeclineOffers(Effect):
    offer_ids: tuple[str, ...]
    refuse_seconds: float
    phase = DRIVER


@dataclass(frozen=True)
class KillTask(Effect):
    task_id: str
    agent_id: str | None = None
    phase = DRIVER


@dataclass(frozen=True)
class Reconcile(Effect):
    """Explicit reconciliation of `tasks` ((task_id, agent_id or None) pairs); empty means implicit."""
    tasks: tuple[tuple[str, str | None], ...] = ()
    phase = DRIVER


@dataclass(frozen=True)
class Revive(Effect):
    roles: tuple[str, ...] = ()
    phase = DRIVER


@dataclass(frozen=True)
class Suppress(Effect):
    roles: tuple[str, ...] = ()
    phase = DRIVER


# --- ack -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Acknowledge(Effect):
    agent_id: str
    task_id: str
    uuid: str
    phase = ACK


# --- notify ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskEnded(Effect):
    """A task reached a terminal state (told to its plugin)."""
    task_id: str
    plugin: str
    state: str
    phase = NOTIFY


@dataclass(frozen=True)
class Notify(Effect):
    """Call `plugins[plugin].<method>(*args)` after the batch's persist, driver and ack effects."""
    plugin: str
    method: str
    args: tuple = ()
    phase = NOTIFY


@dataclass(frozen=True)
class ResolveCommand(Effect):
    """Complete the Future of command `command_id` with `result` (or `error`)."""
    command_id: int
    result: Any = None
    error: BaseException | None = field(default=None, compare=False)
    phase = NOTIFY


def in_phase_order(effects: list[Effect]) -> list[Effect]:
    """A stable sort of `effects` by phase: persist, driver, ack, notify."""
    return sorted(effects, key=lambda e: e.phase)
