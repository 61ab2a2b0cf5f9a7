"""One Mesos Resource entry: its identity (name, type, reservations, allocation role, other fields) and value.

Identity keys are plain tuples so that dictionaries of them are fast:
    (name, kind, reservations, allocation_role, extra)
where `reservations` is a tuple of reservation tuples `(type, role, principal, labels)`, outermost first, and
`extra` is a tuple of `(field, canonical_json)` for fields kept verbatim (disk, revocable, shared, provider_id).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Union

from ..errors import ValidationError
from .fixed import from_milli, to_milli
from .ranges import Ranges

Value = Union[int, Ranges, frozenset]
ReservationKey = tuple[str, str, "str | None", tuple]
Key = tuple[str, str, tuple, "str | None", tuple]

SCALAR, RANGES, SET = "SCALAR", "RANGES", "SET"
STATIC, DYNAMIC = "STATIC", "DYNAMIC"
UNRESERVED = "*"
_KINDS = (SCALAR, RANGES, SET)
_VERBATIM_FIELDS = ("disk", "revocable", "shared", "provider_id")


class ResourceFormatError(ValidationError):
    """Resource JSON that cannot be parsed; `.path` names the offending field, e.g. "[2].scalar.value"."""


@dataclass(frozen=True, slots=True)
class Reservation:
    """One reservation level: STATIC (agent flag) or DYNAMIC (RESERVE operation) for `role`."""
    type: str
    role: str
    principal: str | None = None
    labels: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_key(cls, key: ReservationKey) -> Reservation:
        return cls(*key)

    def key(self) -> ReservationKey:
        return (self.type, self.role, self.principal, self.labels)


@dataclass(frozen=True, slots=True)
class Resource:
    """A view of one entry of a `Resources` value (not used by the algebra itself)."""
    name: str
    kind: str
    value: Value
    reservations: tuple[Reservation, ...] = ()
    allocation_role: str | None = None

    @property
    def role(self) -> str:
        """The effective role: the innermost reservation's role, or "*" when unreserved."""
        return self.reservations[-1].role if self.reservations else UNRESERVED

    @property
    def scalar(self) -> float:
        """The value of a SCALAR entry as a float."""
        return from_milli(self.value)  # type: ignore[arg-type]


@lru_cache(maxsize=8192)
def sort_key(key: Key) -> tuple:
    """A total order on identity keys (they may hold None), used for deterministic output."""
    name, kind, reservations, allocation_role, extra = key
    return (name, kind, len(reservations), repr(reservations), allocation_role or "", extra)


@lru_cache(maxsize=4096)
def sorted_keys(keys: tuple[Key, ...]) -> tuple[Key, ...]:
    """`keys` in `sort_key` order (cached: the same few key sets recur for every task)."""
    return tuple(sorted(keys, key=sort_key))


def effective_role(key: Key) -> str:
    reservations = key[2]
    return reservations[-1][1] if reservations else UNRESERVED


def _labels(raw: Any, path: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not isinstance(raw.get("labels", []), list):
        raise ResourceFormatError("labels must be {\"labels\": [...]}", path)
    try:
        return tuple((str(item["key"]), str(item.get("value", ""))) for item in raw.get("labels", []))
    except (KeyError, TypeError, AttributeError):
        raise ResourceFormatError("each label needs a key", path) from None


def _reservations(raw: dict, path: str) -> tuple[ReservationKey, ...]:
    refined = raw.get("reservations")
    if refined:
        if not isinstance(refined, list):
            raise ResourceFormatError("reservations must be a list", f"{path}.reservations")
        result = []
        for i, item in enumerate(refined):
            where = f"{path}.reservations[{i}]"
            if not isinstance(item, dict) or not isinstance(item.get("role"), str):
                raise ResourceFormatError("a reservation needs a role", where)
            kind = item.get("type", DYNAMIC if item.get("principal") or item.get("labels") else STATIC)
            if kind not in (STATIC, DYNAMIC):
                raise ResourceFormatError(f"unknown reservation type {kind!r}", f"{where}.type")
            result.append((kind, item["role"], item.get("principal"), _labels(item.get("labels"), f"{where}.labels")))
        return tuple(result)
    role = raw.get("role", UNRESERVED)
    if not isinstance(role, str) or not role:
        raise ResourceFormatError("role must be a non-empty string", f"{path}.role")
    if role == UNRESERVED:
        if raw.get("reservation"):
            raise ResourceFormatError("an unreserved resource cannot have a reservation", f"{path}.reservation")
        return ()
    info = raw.get("reservation")
    if info is None:
        return ((STATIC, role, None, ()),)
    if not isinstance(info, dict):
        raise ResourceFormatError("reservation must be an object", f"{path}.reservation")
    return ((DYNAMIC, role, info.get("principal"), _labels(info.get("labels"), f"{path}.reservation.labels")),)


_SLOW_FIELDS = frozenset({"reservations", "reservation", "allocation_info", *_VERBATIM_FIELDS})


def parse_entry(raw: Any, path: str) -> tuple[Key, Value]:
    """Parse one Resource JSON object into its identity key and value."""
    if raw.__class__ is dict and raw.get("role", UNRESERVED) == UNRESERVED and _SLOW_FIELDS.isdisjoint(raw):
        name = raw.get("name")
        scalar = raw.get("scalar") if raw.get("type", SCALAR) == SCALAR else None
        number = scalar.get("value") if scalar.__class__ is dict else None
        if name and name.__class__ is str and number.__class__ is float and 0 <= number < 1e15:
            return _plain_key(name, SCALAR), to_milli(number)   # the common case: a plain unreserved scalar
    if not isinstance(raw, dict):
        raise ResourceFormatError("a resource must be an object", path)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ResourceFormatError("name must be a non-empty string", f"{path}.name")
    kind = raw.get("type", SCALAR)
    if kind not in _KINDS:
        raise ResourceFormatError(f"unknown type {kind!r}", f"{path}.type")
    value: Value
    try:
        if kind == SCALAR:
            number = raw["scalar"]["value"]
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0:
                raise ResourceFormatError("must be a non-negative number", f"{path}.scalar.value")
            value = to_milli(number)
        elif kind == RANGES:
            pairs = [(int(r["begin"]), int(r["end"])) for r in raw["ranges"].get("range", [])]
            value = Ranges.of(pairs)
        else:
            value = frozenset(str(item) for item in raw["set"].get("item", []))
    except ResourceFormatError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ResourceFormatError(f"bad {kind.lower()} value ({exc})", f"{path}.{kind.lower()}") from None
    allocation = raw.get("allocation_info")
    allocation_role = allocation.get("role") if isinstance(allocation, dict) else None
    extra = tuple((f, json.dumps(raw[f], sort_keys=True, separators=(",", ":")))
                  for f in _VERBATIM_FIELDS if f in raw)
    reservations = _reservations(raw, path)
    if not reservations and allocation_role is None and not extra:
        return _plain_key(name, kind), value
    return (name, kind, reservations, allocation_role, extra), value


_PLAIN_KEYS: dict[str, dict[str, Key]] = {SCALAR: {}, RANGES: {}, SET: {}}
_PLAIN_KEYS_MAX = 1024


def _plain_key(name: str, kind: str) -> Key:
    """The identity key of an unreserved, unallocated entry, shared by every offer that has one (fewer
    objects, and the hot loops of matching touch the same few keys), for up to `_PLAIN_KEYS_MAX` names."""
    keys = _PLAIN_KEYS[kind]
    key = keys.get(name)
    if key is None:
        key = (name, kind, (), None, ())
        if len(keys) < _PLAIN_KEYS_MAX:
            keys[name] = key
    return key


def emit_entry(key: Key, value: Value, refinement: bool, allocation_info: bool) -> dict:
    """Mesos JSON for one entry, in the pre-refinement (`role`/`reservation`) or refinement format."""
    kind = key[1]
    if kind == SCALAR:
        value_field, value_json = "scalar", {"value": value / 1000}  # type: ignore[operator]
    elif kind == RANGES:
        pairs = value.intervals  # type: ignore[union-attr]
        value_field, value_json = "ranges", {"range": [{"begin": b, "end": e} for b, e in pairs]}
    else:
        value_field, value_json = "set", {"item": sorted(value)}  # type: ignore[arg-type]
    flat = _flat_identity(key, refinement, allocation_info)
    out = flat if flat is not None else _identity(key, refinement, allocation_info)
    out[value_field] = value_json
    return out


@lru_cache(maxsize=4096)
def emit_plan(keys: tuple[Key, ...], refinement: bool, allocation_info: bool) -> tuple[tuple[Key, str, Any], ...]:
    """How to emit a set of entries: (key, kind, identity template or None), in `sort_key` order. Cached: the
    same few key sets recur for every task. A template holds the identity fields of an unreserved entry
    without nested objects, to be copied; None means the entry needs `emit_entry`."""
    return tuple((key, key[1], _flat_identity(key, refinement, allocation_info)) for key in sorted_keys(keys))


def emit_all(amounts: dict[Key, Value], refinement: bool, allocation_info: bool) -> list[dict]:
    """Mesos JSON for every entry of `amounts`, in `sort_key` order; fresh objects throughout."""
    result = []
    for key, kind, template in emit_plan(tuple(amounts), refinement, allocation_info):
        value = amounts[key]
        if template is None:
            result.append(emit_entry(key, value, refinement, allocation_info))
            continue
        out = template.copy()
        if kind == SCALAR:
            out["scalar"] = {"value": value / 1000}  # type: ignore[operator]
        elif kind == RANGES:
            out["ranges"] = {"range": [{"begin": b, "end": e} for b, e in value.intervals]}  # type: ignore[union-attr]
        else:
            out["set"] = {"item": sorted(value)}  # type: ignore[arg-type]
        result.append(out)
    return result


def _flat_identity(key: Key, refinement: bool, allocation_info: bool) -> dict | None:
    """The identity fields of an unreserved entry without nested objects (a template to copy), or None when
    the entry needs `_identity`."""
    name, kind, reservations, allocation_role, extra = key
    if reservations or extra or (allocation_info and allocation_role is not None):
        return None
    return {"name": name, "type": kind} if refinement else {"name": name, "type": kind, "role": UNRESERVED}


def _identity(key: Key, refinement: bool, allocation_info: bool) -> dict:
    """The identity fields of any entry, as fresh JSON objects."""
    name, kind, reservations, allocation_role, extra = key
    out: dict[str, Any] = {"name": name, "type": kind}
    if refinement:
        if reservations:
            out["reservations"] = [_emit_reservation(r, True) for r in reservations]
    else:
        if len(reservations) > 1:
            raise ResourceFormatError("refined reservations need the refinement format", name)
        out["role"] = reservations[0][1] if reservations else UNRESERVED
        if reservations and reservations[0][0] == DYNAMIC:
            out["reservation"] = _emit_reservation(reservations[0], False)
    if allocation_info and allocation_role is not None:
        out["allocation_info"] = {"role": allocation_role}
    for field_name, text in extra:
        out[field_name] = json.loads(text)
    return out


def _emit_reservation(reservation: ReservationKey, refinement: bool) -> dict:
    kind, role, principal, labels = reservation
    out: dict[str, Any] = {"type": kind, "role": role} if refinement else {}
    if principal is not None:
        out["principal"] = principal
    if labels:
        out["labels"] = {"labels": [{"key": k, "value": v} for k, v in labels]}
    return out
