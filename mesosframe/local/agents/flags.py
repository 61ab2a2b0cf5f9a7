"""Parse an agent's `--resources` and `--attributes` flags (Mesos agent flag syntax) into Mesos JSON.

Resources: `name[(role)]:value` items separated by `;`, where value is a scalar (`4`, `0.5`), ranges
(`[31000-32000,33000-33010]`) or a set (`{a,b}`). Text starting with `[` is taken as a Mesos JSON list of
Resource objects instead. Unreserved resources get `role: "*"`; a `(role)` other than `*` gives a static
reservation (`role` plus `reservations: [{type: STATIC, role}]`). Scalars are rounded to 3 decimals and zero
scalars (`gpus:0`) are dropped, as Mesos does.

Attributes: `name:value` items separated by `;`; the value is SCALAR if it parses as a number, RANGES if it
looks like `[a-b]`, SET if it looks like `{a,b}`, and TEXT otherwise.

Both raise `AgentFlagError` (a `ConfigurationError`) that quotes the offending item.
"""
from __future__ import annotations

import json
import math
import re

from mesosframe.errors import ConfigurationError
from mesosframe.local.protocol import ranges_overlap

__all__ = ["AgentFlagError", "parse_resources", "parse_attributes"]

_ITEM = re.compile(r"^\s*(?P<name>[A-Za-z0-9_.\-/]+)\s*(?:\((?P<role>[^()]*)\))?\s*:(?P<value>.*)$", re.S)


class AgentFlagError(ConfigurationError):
    """An agent `--resources` or `--attributes` value that cannot be parsed."""


def parse_resources(text: str) -> list[dict]:
    """`"cpus:4;mem:4096;ports:[31000-32000]"` -> list of Mesos Resource JSON objects, in input order."""
    text = text.strip()
    if text.startswith("["):
        return _resources_from_json(text)
    resources: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for item in _items(text):
        match = _ITEM.match(item)
        if match is None:
            raise AgentFlagError(f"bad resource {item!r}: expected name[(role)]:value")
        name, value = match["name"], match["value"].strip()
        role = (match["role"] or "*").strip() or "*"
        if (name, role) in seen:
            raise AgentFlagError(f"resource {name!r} with role {role!r} is given twice")
        seen.add((name, role))
        resource = {"name": name, **_typed_value(value, f"resource {item!r}", allow_text=False), "role": role}
        if resource.get("scalar", {}).get("value", 1) == 0:
            continue                                     # Mesos drops empty resources (e.g. gpus:0)
        if role != "*":
            resource["reservations"] = [{"type": "STATIC", "role": role}]
        resources.append(resource)
    return resources


def parse_attributes(text: str) -> list[dict]:
    """`"rack:r1;zone:a;level:3"` -> list of Mesos Attribute JSON objects (TEXT, SCALAR, RANGES or SET)."""
    attributes: list[dict] = []
    seen: set[str] = set()
    for item in _items(text.strip()):
        name, sep, value = item.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise AgentFlagError(f"bad attribute {item!r}: expected name:value")
        if name in seen:
            raise AgentFlagError(f"attribute {name!r} is given twice")
        seen.add(name)
        attributes.append({"name": name, **_typed_value(value, f"attribute {item!r}", allow_text=True)})
    return attributes


def _items(text: str) -> list[str]:
    """Split on `;` that are not inside brackets or braces; drop empty items."""
    items, depth, current = [], 0, []
    for char in text:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == ";" and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item for item in items if item.strip()]


def _typed_value(value: str, what: str, *, allow_text: bool) -> dict:
    if value.startswith("["):
        return {"type": "RANGES", "ranges": {"range": _ranges(value, what)}}
    if value.startswith("{"):
        if not value.endswith("}"):
            raise AgentFlagError(f"bad {what}: a set must end with '}}'")
        members = [member.strip() for member in value[1:-1].split(",") if member.strip()]
        return {"type": "SET", "set": {"item": members}}
    try:
        number = float(value)
    except ValueError:
        if allow_text:
            return {"type": "TEXT", "text": {"value": value}}
        raise AgentFlagError(f"bad {what}: {value!r} is not a number, [ranges] or {{set}}") from None
    if not math.isfinite(number) or number < 0:
        raise AgentFlagError(f"bad {what}: a scalar must be finite and not negative")
    return {"type": "SCALAR", "scalar": {"value": round(number, 3)}}


def _ranges(value: str, what: str) -> list[dict]:
    if not value.endswith("]"):
        raise AgentFlagError(f"bad {what}: ranges must end with ']'")
    ranges = []
    for part in value[1:-1].split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            begin, end = int(low), int(high or low)
        except ValueError:
            raise AgentFlagError(f"bad {what}: {part!r} is not a range like 31000-32000") from None
        if begin > end or begin < 0:
            raise AgentFlagError(f"bad {what}: range {part!r} is empty or negative")
        ranges.append({"begin": begin, "end": end})
    if not ranges:
        raise AgentFlagError(f"bad {what}: no ranges given")
    ranges.sort(key=lambda r: r["begin"])
    for previous, current in zip(ranges, ranges[1:]):
        if current["begin"] <= previous["end"]:
            raise AgentFlagError(f"bad {what}: ranges overlap")
    return ranges


def _resources_from_json(text: str) -> list[dict]:
    try:
        resources = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AgentFlagError(f"resources JSON is invalid: {exc}") from None
    if not isinstance(resources, list):
        raise AgentFlagError("resources JSON must be a list of Resource objects")
    for resource in resources:
        if not isinstance(resource, dict) or "name" not in resource or "type" not in resource:
            raise AgentFlagError(f"resource {resource!r} needs at least 'name' and 'type'")
        resource.setdefault("role", "*")
        _check_json_values(resource)
    return resources


def _check_json_values(resource: dict) -> None:
    """Ranges and sets as Mesos's `Resources::validate` takes them (the master reads the agent's with it)."""
    name = resource["name"]
    try:
        if resource["type"] == "RANGES":
            spans = [(int(r["begin"]), int(r["end"])) for r in resource["ranges"]["range"]]
            if any(b > e or b < 0 for b, e in spans) or ranges_overlap(spans):
                raise AgentFlagError(f"resource {name!r}: ranges must not be inverted, negative or overlapping")
        elif resource["type"] == "SET":
            items = resource["set"]["item"]
            if len(set(items)) < len(items):
                raise AgentFlagError(f"resource {name!r}: set items are duplicated")
    except (KeyError, TypeError, ValueError) as exc:
        raise AgentFlagError(f"resource {name!r} is malformed: {exc}") from None
