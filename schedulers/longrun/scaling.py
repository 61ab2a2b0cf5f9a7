"""Scale-down victim selection (PURE), in Marathon's order.

1. instances named explicitly (e.g. `DELETE /v2/apps/x/tasks/<id>?scale=true`);
2. then, one at a time, from the most crowded value of each GROUP_BY field, so the spread stays even;
3. within that, by state: unreachable before staging before starting before running;
4. ties broken by `killSelection`: YOUNGEST_FIRST kills the latest started, OLDEST_FIRST the earliest.
"""
from __future__ import annotations

from collections import Counter
from types import MappingProxyType
from typing import Literal, Mapping, NamedTuple, Sequence

KillSelection = Literal["YOUNGEST_FIRST", "OLDEST_FIRST"]
STATE_RANK = {"TASK_UNREACHABLE": 0, "TASK_UNKNOWN": 0, "TASK_STAGING": 1, "TASK_STARTING": 2, "TASK_RUNNING": 3}


class Candidate(NamedTuple):
    """An instance that may be killed: `attributes` holds `hostname` and agent attributes. (A named tuple: every
    restart step makes one per old instance.)"""

    id: str
    state: str
    started_at: float
    attributes: Mapping[str, str] = MappingProxyType({})


def select_victims(candidates: Sequence[Candidate], count: int, kill_selection: KillSelection = "YOUNGEST_FIRST",
                   group_by: Sequence[str] = (), named: Sequence[str] = ()) -> list[str]:
    """The ids of `count` instances to kill, in kill order (fewer if there are fewer candidates).

    Candidate ids are unique. Cost: O(n log n + count * buckets * len(group_by)), where a bucket is a distinct
    combination of GROUP_BY values, so ordering all of a large app's instances stays cheap."""
    if count <= 0:
        return []
    by_id = {c.id: c for c in candidates}
    victims = [i for i in dict.fromkeys(named) if i in by_id][:count]
    chosen = set(victims)
    ordered = sorted((c for c in candidates if c.id not in chosen), key=lambda c: _order(c, kill_selection))
    if not group_by:
        return victims + [c.id for c in ordered[:count - len(victims)]]
    buckets: dict[tuple, list[Candidate]] = {}
    for candidate in reversed(ordered):
        buckets.setdefault(tuple(candidate.attributes.get(n) for n in group_by), []).append(candidate)
    crowd: list[Counter] = [Counter() for _ in group_by]     # per GROUP_BY field: value -> instances in the pool
    for key, members in buckets.items():
        for field_counts, value in zip(crowd, key):
            field_counts[value] += len(members)
    while len(victims) < count and buckets:
        narrowed = list(buckets)
        for index, field_counts in enumerate(crowd):      # the most crowded value of each field in turn
            top = max(field_counts[key[index]] for key in narrowed)
            narrowed = [key for key in narrowed if field_counts[key[index]] == top]
        key = min(narrowed, key=lambda k: _order(buckets[k][-1], kill_selection))
        victims.append(buckets[key].pop().id)       # each bucket is kept in reverse kill order
        if not buckets[key]:
            del buckets[key]
        for field_counts, value in zip(crowd, key):
            field_counts[value] -= 1
    return victims


def _order(c: Candidate, kill_selection: KillSelection) -> tuple:
    age = -c.started_at if kill_selection == "YOUNGEST_FIRST" else c.started_at
    return (STATE_RANK.get(c.state, 3), age, c.id)
