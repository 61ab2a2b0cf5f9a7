"""A compact resource bag for the local master's bookkeeping (one role at a time).

Scalars are kept in thousandths (integers, as Mesos rounds to 3 decimals), ranges as sorted disjoint
`(begin, end)` tuples, sets as frozensets. `ResourceBag.from_mesos` reads Mesos Resource JSON lists;
`to_mesos` writes them back in the non-RESERVATION_REFINEMENT format (`role` on each resource).
This is deliberately small and independent of `mesosframe.resources`, so the master stays self-contained.
"""
from __future__ import annotations

from mesosframe.errors import ValidationError
from mesosframe.local.protocol import ranges_overlap

_SCALAR_ORDER = ("cpus", "gpus", "mem", "disk")


MAX_UINT64 = 2**64 - 1          # Value.Range bounds are uint64


class ResourceError(ValidationError):
    """A Resource JSON list that cannot be read."""


def _merge_ranges(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for begin, end in sorted(ranges):
        if out and begin <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([begin, end])
    return tuple((b, e) for b, e in out)


def _subtract_ranges(have: tuple[tuple[int, int], ...], take: tuple[tuple[int, int], ...]):
    result = list(have)
    for tb, te in take:
        nxt = []
        for b, e in result:
            if te < b or tb > e:
                nxt.append((b, e))
                continue
            if b < tb:
                nxt.append((b, tb - 1))
            if te < e:
                nxt.append((te + 1, e))
        result = nxt
    return tuple(result)


def _ranges_contain(have: tuple[tuple[int, int], ...], want: tuple[tuple[int, int], ...]) -> bool:
    return all(any(b <= wb and we <= e for b, e in have) for wb, we in want)


class ResourceBag:
    """Resources of one role. Immutable in use: operators return new bags."""

    __slots__ = ("scalars", "ranges", "sets", "_json")

    def __init__(self, scalars: dict[str, int] | None = None,
                 ranges: dict[str, tuple[tuple[int, int], ...]] | None = None,
                 sets: dict[str, frozenset[str]] | None = None) -> None:
        self.scalars = scalars or {}
        self.ranges = ranges or {}
        self.sets = sets or {}
        self._json: tuple | None = None      # (role, allocation_role, JSON) of the last to_mesos()

    @classmethod
    def from_mesos(cls, resources: list[dict]) -> dict[str, "ResourceBag"]:
        """Group a Resource JSON list by role ("*" when unreserved). Raises ResourceError.
        One pass: entries of a name and role are summed (scalars), merged (ranges) or united (sets)."""
        parts: dict[str, tuple[dict, dict, dict]] = {}      # role -> (scalars, ranges as lists, sets)
        for res in resources:
            if not isinstance(res, dict) or not isinstance(res.get("name"), str):
                raise ResourceError("Resource must have a 'name'")
            role = resource_role(res)
            part = parts.get(role)
            if part is None:
                part = parts[role] = ({}, {}, {})
            name, kind, value = cls._read(res)
            if kind == "SCALAR":
                part[0][name] = part[0].get(name, 0) + value
            elif kind == "RANGES":
                part[1].setdefault(name, []).extend(value)
            else:
                part[2][name] = part[2].get(name, frozenset()) | value
        return {role: cls(scalars, {name: _merge_ranges(spans) for name, spans in ranges.items()}, sets)
                for role, (scalars, ranges, sets) in parts.items()}

    @staticmethod
    def _read(res: dict) -> tuple[str, str, object]:
        """(name, type, value) of one Resource JSON: thousandths, a list of (begin, end), or a frozenset."""
        name, kind = res["name"], res.get("type", "SCALAR")
        try:
            if kind == "SCALAR":
                value = float(res["scalar"]["value"])
                if value < 0:
                    raise ResourceError(f"Negative value in resource {name}")
                return name, kind, round(value * 1000)
            if kind == "RANGES":
                spans = [(int(r["begin"]), int(r["end"])) for r in res["ranges"].get("range", [])]
                if any(b > e or b < 0 or e > MAX_UINT64 for b, e in spans):
                    raise ResourceError(f"Invalid range in resource {name}")
                if len(spans) > 1 and ranges_overlap(spans):     # as Mesos: not necessarily coalesced
                    raise ResourceError(f"Invalid ranges resource {name}: overlapping ranges")
                return name, kind, spans
            if kind == "SET":
                items = res["set"].get("item", [])
                if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                    raise ResourceError(f"Invalid set in resource {name}: items are strings")
                value = frozenset(items)
                if len(value) < len(items):
                    raise ResourceError(f"Invalid set resource {name}: duplicated elements")
                return name, kind, value
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:   # OverflowError: inf
            raise ResourceError(f"Invalid resource {name}: {exc}") from exc
        raise ResourceError(f"Unknown resource type {kind!r} of {name}")

    def __add__(self, other: "ResourceBag") -> "ResourceBag":
        scalars = dict(self.scalars)
        for k, v in other.scalars.items():
            scalars[k] = scalars.get(k, 0) + v
        ranges = dict(self.ranges)
        for k, v in other.ranges.items():
            ranges[k] = _merge_ranges(list(ranges.get(k, ())) + list(v))
        sets = dict(self.sets)
        for k, v in other.sets.items():
            sets[k] = sets.get(k, frozenset()) | v
        return ResourceBag(scalars, ranges, sets)

    def __sub__(self, other: "ResourceBag") -> "ResourceBag":
        """Difference; the caller checks `contains` first (values never go below zero)."""
        scalars = dict(self.scalars)
        for k, v in other.scalars.items():
            left = scalars.get(k, 0) - v
            if left > 0:
                scalars[k] = left
            else:
                scalars.pop(k, None)
        ranges = dict(self.ranges)
        for k, v in other.ranges.items():
            left = _subtract_ranges(ranges.get(k, ()), v)
            if left:
                ranges[k] = left
            else:
                ranges.pop(k, None)
        sets = dict(self.sets)
        for k, v in other.sets.items():
            left = sets.get(k, frozenset()) - v
            if left:
                sets[k] = left
            else:
                sets.pop(k, None)
        return ResourceBag(scalars, ranges, sets)

    def contains(self, other: "ResourceBag") -> bool:
        """True when every resource of `other` fits in this bag."""
        if any(self.scalars.get(k, 0) < v for k, v in other.scalars.items()):
            return False
        if any(not _ranges_contain(self.ranges.get(k, ()), v) for k, v in other.ranges.items()):
            return False
        return all(v <= self.sets.get(k, frozenset()) for k, v in other.sets.items())

    def __bool__(self) -> bool:
        return bool(self.scalars or self.ranges or self.sets)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ResourceBag) and (self.scalars, self.ranges, self.sets) == (
            other.scalars, other.ranges, other.sets)

    def __repr__(self) -> str:
        return f"ResourceBag({self.describe()})"

    def scalar(self, name: str) -> float:
        return self.scalars.get(name, 0) / 1000

    def describe(self) -> str:
        """Mesos's text form, e.g. `cpus:0.1; mem:32; ports:[31000-31005]`."""
        parts = [f"{k}:{v / 1000:g}" for k, v in self.scalars.items()]
        parts += [f"{k}:[{', '.join(f'{b}-{e}' for b, e in v)}]" for k, v in self.ranges.items()]
        parts += [f"{k}:{{{', '.join(sorted(v))}}}" for k, v in self.sets.items()]
        return "; ".join(parts)

    def to_mesos(self, role: str = "*", allocation_role: str | None = None) -> list[dict]:
        """Resource JSON in the order Mesos offers them (ranges, then scalars, then sets).

        The result is cached on the bag (bags are never changed in place): treat it as read-only."""
        cached = self._json
        if cached is not None and cached[0] == role and cached[1] == allocation_role:
            return cached[2]
        out: list[dict] = []
        extra = {"role": role}
        if role != "*":
            extra["reservation"] = {}
        if allocation_role is not None:
            extra["allocation_info"] = {"role": allocation_role}
        for name, spans in self.ranges.items():
            out.append({"name": name, "type": "RANGES",
                        "ranges": {"range": [{"begin": b, "end": e} for b, e in spans]}, **extra})
        for name in sorted(self.scalars, key=_scalar_key):
            out.append({"name": name, "type": "SCALAR",
                        "scalar": {"value": self.scalars[name] / 1000}, **extra})
        for name, items in self.sets.items():
            out.append({"name": name, "type": "SET", "set": {"item": sorted(items)}, **extra})
        self._json = (role, allocation_role, out)
        return out

    def summary(self) -> dict:
        """The operator endpoints' flat form: `{"cpus": 2.0, ..., "ports": "[31000-32000]"}`."""
        out: dict = {"disk": 0.0, "mem": 0.0, "gpus": 0.0, "cpus": 0.0}
        for name, value in self.scalars.items():
            out[name] = value / 1000
        for name, spans in self.ranges.items():
            out[name] = "[" + ", ".join(f"{b}-{e}" for b, e in spans) + "]"
        for name, items in self.sets.items():
            out[name] = "{" + ", ".join(sorted(items)) + "}"
        return out


def _scalar_key(name: str) -> tuple[int, str]:
    return (_SCALAR_ORDER.index(name) if name in _SCALAR_ORDER else len(_SCALAR_ORDER), name)


def resource_role(res: dict) -> str:
    """The role a Resource JSON is reserved for: last of `reservations`, else `role`, else "*". Raises
    ResourceError when that is not a string."""
    reservations = res.get("reservations")
    try:
        role = reservations[-1].get("role", "*") if reservations else (res.get("role") or "*")
    except (AttributeError, KeyError, TypeError) as exc:
        raise ResourceError(f"Invalid reservations in resource {res.get('name')}: {exc}") from exc
    if not isinstance(role, str):
        raise ResourceError(f"Invalid role in resource {res.get('name')}")
    return role


def add_roles(a: dict[str, ResourceBag], b: dict[str, ResourceBag]) -> dict[str, ResourceBag]:
    out = dict(a)
    for role, bag in b.items():
        out[role] = out[role] + bag if role in out else bag
    return out


def subtract_roles(a: dict[str, ResourceBag], b: dict[str, ResourceBag]) -> dict[str, ResourceBag]:
    out = dict(a)
    for role, bag in b.items():
        if role in out:
            left = out[role] - bag
            if left:
                out[role] = left
            else:
                del out[role]
    return out


def roles_contain(a: dict[str, ResourceBag], b: dict[str, ResourceBag]) -> bool:
    return all(role in a and a[role].contains(bag) for role, bag in b.items() if bag)
