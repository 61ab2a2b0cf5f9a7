"""Unreachable instances (PURE), by the app's `unreachableStrategy`.

An instance unreachable for `inactiveAfterSeconds` becomes UnreachableInactive and gets a replacement; after
`expungeAfterSeconds` it is expunged (forgotten; if it comes back it is killed). With the strategy
"disabled", unreachable instances are kept and never replaced.
"""
from __future__ import annotations

import enum

from schedulers.longrun.spec import UnreachableStrategy


class UnreachableAction(enum.Enum):
    WAIT = "wait"          # still within inactiveAfterSeconds, or the strategy is disabled
    REPLACE = "replace"    # inactive: launch a replacement, keep the record
    EXPUNGE = "expunge"    # forget the instance; kill it if it reappears


def unreachable_action(since: float, now: float, strategy: UnreachableStrategy | str) -> UnreachableAction:
    """What to do about an instance unreachable since `since`."""
    if not isinstance(strategy, UnreachableStrategy):
        return UnreachableAction.WAIT
    gone_for = now - since
    if gone_for >= strategy.expungeAfterSeconds:
        return UnreachableAction.EXPUNGE
    if gone_for >= strategy.inactiveAfterSeconds:
        return UnreachableAction.REPLACE
    return UnreachableAction.WAIT


def next_unreachable_deadline(since: float, now: float, strategy: UnreachableStrategy | str) -> float | None:
    """When `unreachable_action` next changes its answer (for a timer), or None if it never will."""
    if not isinstance(strategy, UnreachableStrategy):
        return None
    for at in (since + strategy.inactiveAfterSeconds, since + strategy.expungeAfterSeconds):
        if at > now:
            return at
    return None
