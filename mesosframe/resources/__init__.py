"""Pure, immutable resource algebra over Mesos Resource JSON (no I/O, no clocks, no pymesos).

Public API (the contract the core codes against):

    Resources.from_mesos(resources: Iterable[dict]) -> Resources
        Parse a list of Mesos `Resource` JSON objects, in either reservation format: pre-refinement
        (`role` + singular `reservation`) or refinement (`reservations[]`), with optional `allocation_info`.
        Entries with the same identity (name, type, reservations, allocation role, disk/revocable/shared)
        are merged. Raises `ResourceFormatError` (a `ValidationError`; `.path` like "[3].scalar.value").
    Resources.to_mesos(*, refinement: bool = False, allocation_info: bool = True) -> list[dict]
        Mesos JSON. `refinement=False` emits `role` (+ `reservation` for a dynamic reservation);
        `refinement=True` emits only `reservations[]`. `allocation_info=False` strips it.
        `Resources.from_mesos(r.to_mesos(...)) == r` for every option combination.
    a + b, a - b                    # `-` raises InsufficientResourcesError unless a.contains(b)
    a.contains(b) -> bool           # every entry of b is covered by a same-identity entry of a
    a.find(request: ResourceRequest) -> Allocation | None
        Concrete resources satisfying `request` for `request.role`: reserved for that role first, then
        unreserved ("*"). Ports: fixed ports must all be available; `port_count` more are picked, lowest
        first. The result's `resources` are always contained in `a`. Deterministic.
    a.shortfall(request) -> tuple[str, ...]
        Names of what `a` lacks for `request` ("role", "cpus", "mem", "disk", "gpus", "ports", or another
        scalar's name), in that order; empty iff `find` succeeds.
    a.scalar(name, role: str | None = None) -> float   # role None = all roles
    a.cpus, a.mem, a.disk, a.gpus -> float;  a.ports -> Ranges;  a.names -> frozenset[str]
    a.for_role(role) -> Resources   # entries usable by role: reserved for it, or unreserved
    a.unreserved() -> Resources;  a.is_empty();  len(a);  iter(a) -> Resource entries;  hash(a);  a == b

    ResourceRequest(cpus=0.0, mem=0.0, disk=0.0, gpus=0.0, port_count=0, ports=(), role="*", scalars=())
        `ports` are fixed port numbers; `port_count` is how many more to pick; `scalars` are extra
        (name, amount) pairs. Amounts are rounded to thousandths as Mesos does.
    Allocation(resources: Resources, ports: tuple[int, ...])
        `ports` are the fixed ports (in request order) followed by the picked ones (ascending).
    Ranges.of([(begin, end), ...]) / Ranges.from_ports([p, ...]); + - contains, len (number of values),
        iteration over (begin, end) pairs, pick(n, exclude=None) -> Ranges | None (lowest n values),
        split_lowest(n) -> (lowest n, rest), values() -> ascending integers.
    Resource   one entry: name, kind ("SCALAR"|"RANGES"|"SET"), value (int thousandths | Ranges | frozenset),
        reservations (tuple[Reservation, ...]), allocation_role (str | None), role (effective role).
    Reservation(type: "STATIC"|"DYNAMIC", role: str, principal: str | None = None, labels: tuple = ())
    to_milli(x: float) -> int; from_milli(m: int) -> float   (Mesos fixed point: 3 decimals)

Errors: ResourceError(MesosframeError) > InsufficientResourcesError; ResourceFormatError(ValidationError).
"""
from __future__ import annotations

from .fixed import from_milli, to_milli
from .ranges import Ranges
from .entry import Reservation, Resource, ResourceFormatError
from .collection import (
    Allocation,
    InsufficientResourcesError,
    ResourceError,
    ResourceRequest,
    Resources,
)

__all__ = [
    "Allocation",
    "InsufficientResourcesError",
    "Ranges",
    "Reservation",
    "Resource",
    "ResourceError",
    "ResourceFormatError",
    "ResourceRequest",
    "Resources",
    "from_milli",
    "to_milli",
]
