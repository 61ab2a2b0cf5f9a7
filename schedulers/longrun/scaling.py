"""Scale-down victim selection (PURE), in Marathon's order.

1. instances named explicitly (e.g. `DELETE /v2/apps/x/tasks/<id>?scale=true`);
2. then, one at a time, from the most crowded value of each GROUP_BY field, so the spread stays even;
3. within that, by state: unreachable before staging before starting before running;
4. ties broken by `killSelection`: YOUNGEST_FIRST kills the latest started, OLDEST_FIRST the earliest.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, Mapping, Sequence

KillSelection = Literal["YOUNGEST_FIRST", "OLDEST_FIRST"]
STATE_RANK = {"TASK_UNREACHABLE": 0, "TASK_UNKNOWN": 0, "TASK_STAGING": 1, "TASK_STARTING": 2, "TASK_RUNNING": 3}


@dataclass(frozen=True)
class Candidate:
    """An instance that may be killed: `attributes` holds `hostname` and agent attributes."""

    id: str
    state: str
    started_at: float
    attributes: Mapping[str, str] = field(default_factory=dict)


def select_victims(candidates: Sequence[Candidate], count: int, kill_selection: KillSelection = "YOUNGEST_FIRST",
                   group_by: Sequence[str] = (), named: Sequence[str] = ()) -> list[str]:
    """The ids of `count` instances to kill, in kill order (fewer if there are fewer candidates)."""
    if count <= 0:
        return []
    by_id = {c.id: c for c in candidates}
    victims = [i for i in dict.fromkeys(named) if i in by_id][:count]
    pool = [c for c in candidates if c.id not in set(victims)]
    while len(victims) < count and pool:
        narrowed = pool
        for name in group_by:
            narrowed = _most_crowded(narrowed, pool, name)
        chosen = min(narrowed, key=lambda c: _order(c, kill_selection))
        victims.append(chosen.id)
        pool = [c for c in pool if c.id != chosen.id]
    return victims


def _most_crowded(narrowed: list[Candidate], pool: list[Candidate], name: str) -> list[Candidate]:
    counts = Counter(c.attributes.get(name) for c in pool)
    top = max(counts[c.attributes.get(name)] for c in narrowed)
    return [c for c in narrowed if counts[c.attributes.get(name)] == top]


def _order(c: Candidate, kill_selection: KillSelection) -> tuple:
    age = -c.started_at if kill_selection == "YOUNGEST_FIRST" else c.started_at
    return (STATE_RANK.get(c.state, 3), age, c.id)
