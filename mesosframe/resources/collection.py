"""`Resources`: an immutable, hashable multiset of Mesos resources with `+`, `-`, `contains` and `find`."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from ..errors import MesosframeError
from .entry import (RANGES, SCALAR, UNRESERVED, Key, Reservation, Resource, ResourceFormatError, Value,
                    effective_role, emit_all, parse_entry, sort_key)
from .fixed import from_milli
from .pool import PORTS, ResourceRequest, take, usable_order
from .ranges import EMPTY_RANGES, Ranges

__all__ = ["Allocation", "InsufficientResourcesError", "ResourceError", "ResourceRequest", "Resources"]


class ResourceError(MesosframeError):
    """A resource algebra operation that cannot be done."""


class InsufficientResourcesError(ResourceError):
    """`a - b` where `a` does not contain `b`; `missing` names the first entry that is short."""

    def __init__(self, missing: str) -> None:
        super().__init__(f"not contained: {missing}")
        self.missing = missing


def _add_value(a: Value, b: Value) -> Value:
    if isinstance(a, int):
        return a + b  # type: ignore[operator]
    return a | b if isinstance(a, frozenset) else a + b  # type: ignore[operator]


def _covers(a: Value | None, b: Value) -> bool:
    if a is None:
        return False
    if isinstance(b, int):
        return a >= b  # type: ignore[operator]
    if isinstance(b, Ranges):
        return a.contains(b)  # type: ignore[union-attr]
    return b <= a  # type: ignore[operator]


class Resources:
    """Immutable, hashable resources. Entries with equal identity (name, type, reservations, allocation role,
    disk/revocable/shared/provider_id) are merged; empty entries are dropped. Scalars are exact thousandths."""

    __slots__ = ("_amounts", "_hash")

    def __init__(self, amounts: Mapping[Key, Value] | None = None) -> None:
        """Internal: build from identity keys to non-empty values; use `from_mesos` instead."""
        self._amounts: dict[Key, Value] = dict(amounts) if amounts else {}
        self._hash: int | None = None

    @classmethod
    def _owned(cls, amounts: dict[Key, Value]) -> Resources:
        result = cls.__new__(cls)
        result._amounts = amounts
        result._hash = None
        return result

    # --- Mesos JSON ---------------------------------------------------------------------------------------
    @classmethod
    def from_mesos(cls, resources: Iterable[dict]) -> Resources:
        """Parse Mesos Resource JSON (either reservation format). Raises `ResourceFormatError`."""
        if isinstance(resources, (str, bytes, dict)):
            raise ResourceFormatError("resources must be a list of objects")
        amounts: dict[Key, Value] = {}
        for i, raw in enumerate(resources):
            key, value = parse_entry(raw, f"[{i}]")
            if not value:
                continue
            old = amounts.get(key)
            amounts[key] = value if old is None else _add_value(old, value)
        return cls._owned(amounts)

    def to_mesos(self, *, refinement: bool = False, allocation_info: bool = True) -> list[dict]:
        """Mesos Resource JSON, in a deterministic order. `refinement=False` gives `role` (+ `reservation`),
        which cannot express refined (nested) reservations: those raise `ResourceFormatError`."""
        return emit_all(self._amounts, refinement, allocation_info)

    # --- algebra ------------------------------------------------------------------------------------------
    def __add__(self, other: Resources) -> Resources:
        if not isinstance(other, Resources):
            return NotImplemented
        if not other._amounts:
            return self
        amounts = dict(self._amounts)
        for key, value in other._amounts.items():
            old = amounts.get(key)
            amounts[key] = value if old is None else _add_value(old, value)
        return Resources._owned(amounts)

    def __sub__(self, other: Resources) -> Resources:
        """Raises `InsufficientResourcesError` unless `self.contains(other)`."""
        if not isinstance(other, Resources):
            return NotImplemented
        amounts = dict(self._amounts)
        for key, value in other._amounts.items():
            old = amounts.get(key)
            if not _covers(old, value):
                raise InsufficientResourcesError(f"{key[0]} (role {effective_role(key)})")
            rest = old - value  # type: ignore[operator]
            if rest:
                amounts[key] = rest
            else:
                del amounts[key]
        return Resources._owned(amounts)

    def contains(self, other: Resources) -> bool:
        """True if every entry of `other` is covered by the entry of equal identity in `self`."""
        mine = self._amounts
        return all(_covers(mine.get(key), value) for key, value in other._amounts.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Resources) and self._amounts == other._amounts

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._amounts.items()))
        return self._hash

    def __len__(self) -> int:
        return len(self._amounts)

    def __bool__(self) -> bool:
        return bool(self._amounts)

    def is_empty(self) -> bool:
        return not self._amounts

    def __iter__(self) -> Iterator[Resource]:
        for key in sorted(self._amounts, key=sort_key):
            name, kind, reservations, allocation_role, _extra = key
            yield Resource(name, kind, self._amounts[key], tuple(Reservation.from_key(r) for r in reservations),
                           allocation_role)

    def __repr__(self) -> str:
        parts = []
        for key in sorted(self._amounts, key=sort_key):
            value = self._amounts[key]
            shown = from_milli(value) if isinstance(value, int) else value
            role = effective_role(key)
            parts.append(f"{key[0]}{'' if role == UNRESERVED else '(' + role + ')'}:{shown}")
        return f"Resources({'; '.join(parts)})"

    def amounts(self) -> dict[Key, Value]:
        """A fresh copy of the internal map (identity key -> value), for `mesosframe.resources.pool`."""
        return dict(self._amounts)

    # --- queries ------------------------------------------------------------------------------------------
    def scalar(self, name: str, role: str | None = None) -> float:
        """Sum of the SCALAR entries called `name` (of effective role `role`, or all roles if None)."""
        return from_milli(sum(v for k, v in self._amounts.items()  # type: ignore[misc]
                              if k[0] == name and k[1] == SCALAR and (role is None or effective_role(k) == role)))

    @property
    def cpus(self) -> float:
        return self.scalar("cpus")

    @property
    def mem(self) -> float:
        return self.scalar("mem")

    @property
    def disk(self) -> float:
        return self.scalar("disk")

    @property
    def gpus(self) -> float:
        return self.scalar("gpus")

    @property
    def ports(self) -> Ranges:
        """All RANGES entries called "ports", merged."""
        result = EMPTY_RANGES
        for key, value in self._amounts.items():
            if key[0] == PORTS and key[1] == RANGES:
                result = result + value  # type: ignore[operator]
        return result

    @property
    def names(self) -> frozenset[str]:
        return frozenset(key[0] for key in self._amounts)

    def for_role(self, role: str) -> Resources:
        """Entries usable by `role`: reserved for it (effective role), or unreserved."""
        return Resources._owned({k: v for k, v in self._amounts.items() if effective_role(k) in (role, UNRESERVED)})

    def unreserved(self) -> Resources:
        return Resources._owned({k: v for k, v in self._amounts.items() if not k[2]})

    def find(self, request: ResourceRequest) -> Allocation | None:
        """Concrete resources for `request` (reserved for its role first, then unreserved; ports lowest
        first), contained in `self`; None if they are not there. Deterministic."""
        result = take(self._amounts, usable_order(self._amounts, request.role), request, commit=False)
        if isinstance(result, str):
            return None
        taken, ports = result
        return Allocation(Resources._owned(taken), ports)

    def shortfall(self, request: ResourceRequest) -> tuple[str, ...]:
        """What is missing for `request`: "role", then names of needs that cannot be met. Empty iff `find`
        succeeds."""
        order = usable_order(self._amounts, request.role)
        if order.empty:
            return ("role",) if request.needs or request.wants_ports else ()
        missing = []
        for name, milli in request.needs:
            if isinstance(take(self._amounts, order, ResourceRequest(scalars=((name, milli / 1000),),
                                                                     role=request.role), False), str):
                missing.append(name)
        if request.wants_ports and isinstance(
                take(self._amounts, order, ResourceRequest(port_count=request.port_count, ports=request.ports,
                                                           role=request.role), False), str):
            missing.append(PORTS)
        return tuple(missing)


@dataclass(frozen=True, slots=True)
class Allocation:
    """Resources found for a request; `ports` are the fixed ports in request order, then picked ones ascending."""
    resources: Resources
    ports: tuple[int, ...] = ()
