"""Taking a request's resources out of a mutable pool of amounts. Shared by `Resources.find` and placement.

A pool is `amounts: dict[Key, Value]` plus, per role, a preference order `{name: [key, ...]}` listing the
entries that role may use: those reserved for it first, then unreserved ones (`usable_order`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

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


def usable_order(keys: Iterable[Key], role: str, allocation_role: str | None = None) -> dict[str, list[Key]]:
    """Per resource name, the keys `role` may use: reserved for `role` first, then unreserved; each part
    in sorted key order. Entries allocated (MULTI_ROLE offers) to a role other than `role` are left out,
    except that a "*" request may use unreserved entries allocated to any role."""
    reserved: dict[str, list[Key]] = {}
    unreserved: dict[str, list[Key]] = {}
    for key in sorted(keys, key=sort_key):
        allocated = key[3] if key[3] is not None else allocation_role
        if allocated is not None and allocated != role and role != UNRESERVED:
            continue
        owner = effective_role(key)
        if owner == role and role != UNRESERVED:
            reserved.setdefault(key[0], []).append(key)
        elif owner == UNRESERVED:
            unreserved.setdefault(key[0], []).append(key)
    for name, keys_ in unreserved.items():
        reserved.setdefault(name, []).extend(keys_)
    return reserved


def take(amounts: dict[Key, Value], order: Mapping[str, list[Key]], request: ResourceRequest,
         commit: bool = True) -> tuple[dict[Key, Value], tuple[int, ...]] | str:
    """Take `request` out of `amounts` following `order`. Returns (taken entries, ports: fixed ones in request
    order, then picked ones ascending), or the name of the first thing missing ("role", "cpus", ..., "ports").
    `amounts` is changed only on success and only if `commit`. An empty request always succeeds."""
    if not order and (request.needs or request.port_count or request.ports):
        return ROLE
    taken: dict[Key, Value] = {}
    rests: dict[Key, Value] = {}
    for name, need in request.needs:
        left = need
        for key in order.get(name, ()):
            have = amounts.get(key)
            if not have or key[1] != SCALAR:
                continue
            part = have if have < left else left  # type: ignore[operator]
            taken[key] = part
            rests[key] = have - part  # type: ignore[operator]
            left -= part  # type: ignore[operator]
            if not left:
                break
        if left:
            return name
    ports: tuple[int, ...] = ()
    if request.port_count or request.ports:
        found = _take_ports(amounts, order.get(PORTS, ()), request, taken, rests)
        if found is None:
            return PORTS
        ports = found
    if commit:
        for key, rest in rests.items():
            if rest:
                amounts[key] = rest
            else:
                del amounts[key]
    return taken, ports


def _take_ports(amounts: Mapping[Key, Value], keys: Iterable[Key], request: ResourceRequest,
                taken: dict[Key, Value], rests: dict[Key, Value]) -> tuple[int, ...] | None:
    """Fixed ports first, then the lowest free ones, reserved entries before unreserved. On success, adds the
    port entries to `taken` and `rests` and returns the port numbers (fixed, then picked); else None."""
    keys = [k for k in keys if k[1] == RANGES and amounts.get(k)]
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
        available: Ranges = amounts[key]  # type: ignore[assignment]
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
            taken[key] = part
            rests[key] = available
    if left:
        return None
    if sources > 1:
        picked.sort()
    return request.ports + tuple(picked)
