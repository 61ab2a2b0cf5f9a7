"""Taking a request's resources out of a mutable pool of amounts. Shared by `Resources.find` and placement.

A pool is `amounts: dict[Key, Value]` plus, per role, a preference order `{name: [key, ...]}` listing the
entries that role may use: those reserved for it first, then unreserved ones (`usable_order`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from .entry import RANGES, SCALAR, UNRESERVED, Key, Value, effective_role, sort_key
from .fixed import to_milli
from .ranges import EMPTY_RANGES, Ranges

PORTS = "ports"
ROLE = "role"
_STANDARD = ("cpus", "mem", "disk", "gpus")


@dataclass(frozen=True, slots=True)
class ResourceRequest:
    """What one task needs. Amounts are rounded to thousandths; `ports` are fixed port numbers and
    `port_count` is how many more ports to pick; `scalars` are extra (name, amount) pairs."""
    cpus: float = 0.0
    mem: float = 0.0
    disk: float = 0.0
    gpus: float = 0.0
    port_count: int = 0
    ports: tuple[int, ...] = ()
    role: str = UNRESERVED
    scalars: tuple[tuple[str, float], ...] = ()
    needs: tuple[tuple[str, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        amounts = [(n, to_milli(getattr(self, n))) for n in _STANDARD]
        amounts += [(n, to_milli(a)) for n, a in self.scalars]
        for name, milli in amounts:
            if milli < 0:
                raise ValueError(f"negative amount for {name}")
        if self.port_count < 0:
            raise ValueError("negative port_count")
        if len(set(self.ports)) != len(self.ports):
            raise ValueError("duplicate fixed ports")
        object.__setattr__(self, "needs", tuple((n, m) for n, m in amounts if m > 0))

    @property
    def wants_ports(self) -> bool:
        return bool(self.port_count or self.ports)


class Order(NamedTuple):
    """What one role may use of a pool, in preference order (reserved for the role first, then unreserved)."""
    scalars: dict[str, tuple[Key, ...]]   # per resource name, its SCALAR keys
    ports: tuple[Key, ...]                # the RANGES keys named "ports"
    empty: bool                           # True if the role may use nothing at all (of any kind)


def usable_order(keys: Iterable[Key], role: str, allocation_role: str | None = None) -> Order:
    """The keys `role` may use: reserved for `role` first, then unreserved; each part in sorted key order.
    Entries allocated (MULTI_ROLE offers) to a role other than `role` are left out, except that a "*" request
    may use unreserved entries allocated to any role."""
    reserved: list[Key] = []
    unreserved: list[Key] = []
    for key in sorted(keys, key=sort_key):
        allocated = key[3] if key[3] is not None else allocation_role
        if allocated is not None and allocated != role and role != UNRESERVED:
            continue
        owner = effective_role(key)
        if owner == role and role != UNRESERVED:
            reserved.append(key)
        elif owner == UNRESERVED:
            unreserved.append(key)
    scalars: dict[str, list[Key]] = {}
    ports: list[Key] = []
    for key in reserved + unreserved:
        if key[1] == SCALAR:
            scalars.setdefault(key[0], []).append(key)
        elif key[1] == RANGES and key[0] == PORTS:
            ports.append(key)
    return Order({name: tuple(k) for name, k in scalars.items()}, tuple(ports), not (reserved or unreserved))


def take(amounts: dict[Key, Value], order: Order, request: ResourceRequest,
         commit: bool = True) -> tuple[dict[Key, Value], tuple[int, ...]] | str:
    """Take `request` out of `amounts` following `order`. Returns (taken entries, ports: fixed ones in request
    order, then picked ones ascending), or the name of the first thing missing ("role", "cpus", ..., "ports").
    `amounts` is changed only on success and only if `commit`. An empty request always succeeds."""
    wants_ports = request.port_count or request.ports
    if order.empty and (request.needs or wants_ports):
        return ROLE
    taken: dict[Key, Value] = {}
    scalars = order.scalars
    get = amounts.get
    for name, need in request.needs:
        keys = scalars.get(name)
        if not keys:
            return name
        if len(keys) == 1:  # the common case: one entry of that name
            if get(keys[0], 0) < need:  # type: ignore[operator]
                return name
            taken[keys[0]] = need
            continue
        left = need
        for key in keys:
            have = get(key)
            if not have:
                continue
            part = have if have < left else left  # type: ignore[operator]
            taken[key] = part
            left -= part  # type: ignore[operator]
            if not left:
                break
        if left:
            return name
    ports: tuple[int, ...] = ()
    port_parts: list[tuple[Key, Ranges, Ranges]] = []   # (key, taken part, rest)
    if wants_ports:
        found = _take_ports(amounts, order.ports, request, port_parts)
        if found is None:
            return PORTS
        ports = found
    if commit:
        for key, part in taken.items():
            rest = amounts[key] - part  # type: ignore[operator]
            if rest:
                amounts[key] = rest
            else:
                del amounts[key]
        for key, _, rest in port_parts:
            if rest:
                amounts[key] = rest
            else:
                del amounts[key]
    for key, part, _ in port_parts:
        taken[key] = part
    return taken, ports


def _take_ports(amounts: Mapping[Key, Value], keys: tuple[Key, ...], request: ResourceRequest,
                parts: list[tuple[Key, Ranges, Ranges]]) -> tuple[int, ...] | None:
    """Fixed ports first, then the lowest free ones, reserved entries before unreserved. On success, appends
    (key, part taken, rest) per entry used to `parts` and returns the port numbers (fixed, then picked);
    else None."""
    count = request.port_count
    if not request.ports and len(keys) == 1:  # the common case: pick from the one ports entry
        key = keys[0]
        available: Ranges | None = amounts.get(key)  # type: ignore[assignment]
        if available is None or available._size < count:
            return None
        chosen, rest = available.split_lowest(count)
        parts.append((key, chosen, rest))
        intervals = chosen._intervals
        if len(intervals) == 1:
            return tuple(range(intervals[0][0], intervals[0][1] + 1))
        return tuple(chosen.values())
    keys = tuple(k for k in keys if amounts.get(k))
    fixed: dict[Key, list[int]] = {}
    for port in request.ports:
        for key in keys:
            if port in amounts[key]:  # type: ignore[operator]
                fixed.setdefault(key, []).append(port)
                break
        else:
            return None
    left = request.port_count
    picked: list[int] = []
    sources = 0
    for key in keys:
        if not left and not fixed:
            break
        available = amounts[key]  # type: ignore[assignment]
        if key in fixed:
            part = Ranges.from_ports(fixed[key])   # distinct: ResourceRequest refuses duplicate ports
            available = available - part
        else:
            part = EMPTY_RANGES
        if left and available:
            chosen, available = available.split_lowest(min(left, len(available)))
            for begin, end in chosen.intervals:
                picked.extend(range(begin, end + 1))
            left -= len(chosen)
            sources += 1
            part = part + chosen
        if part:
            parts.append((key, part, available))
    if left:
        return None
    if sources > 1:
        picked.sort()
    return request.ports + tuple(picked)
