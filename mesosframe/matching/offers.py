"""Views of offers and agents as matching sees them, and the task requests to place."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ..errors import ValidationError
from ..resources import ResourceRequest, Resources
from .constraints import HOSTNAME_FIELDS, Constraint

_THOUSANDTH = Decimal("0.001")


def format_scalar(value: float) -> str:
    """A number as Marathon formats scalar attributes: pattern "0.###", HALF_EVEN on the exact double."""
    text = format(Decimal(value).quantize(_THOUSANDTH, rounding=ROUND_HALF_EVEN), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_attribute(attribute: Mapping[str, Any]) -> str:
    """An Attribute JSON's value as Marathon compares it: TEXT as is, SCALAR "0.###", RANGES "[a-b,c-d]"
    (sorted by begin), SET "{a,b}" (sorted)."""
    kind = attribute.get("type", "TEXT")
    if kind == "SCALAR":
        return format_scalar(float(attribute["scalar"]["value"]))
    if kind == "RANGES":
        pairs = sorted((int(r["begin"]), int(r["end"])) for r in attribute["ranges"].get("range", []))
        return "[" + ",".join(f"{b}-{e}" for b, e in pairs) + "]"
    if kind == "SET":
        return "{" + ",".join(sorted(str(i) for i in attribute["set"].get("item", []))) + "}"
    return str(attribute["text"]["value"])


def format_attributes(attributes: list[Mapping[str, Any]] | None) -> dict[str, str]:
    """Name -> formatted value; for a repeated name the first one wins (as Marathon's `find`)."""
    result: dict[str, str] = {}
    for attribute in attributes or ():
        name = attribute.get("name")
        if isinstance(name, str) and name not in result:
            try:
                result[name] = format_attribute(attribute)
            except (KeyError, TypeError, ValueError):
                raise ValidationError("malformed attribute", f"attributes.{name}") from None
    return result


@dataclass(frozen=True, eq=True, slots=True)
class Agent:
    """An agent as constraints see it. `attributes` are already formatted (`format_attribute`)."""
    agent_id: str
    hostname: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    region: str | None = None
    zone: str | None = None

    def __hash__(self) -> int:
        return hash((self.agent_id, self.hostname))

    @classmethod
    def from_info(cls, agent_id: str, hostname: str, attributes: list[Mapping[str, Any]] | None = None,
                  domain: Mapping[str, Any] | None = None) -> Agent:
        """From Mesos JSON parts: Attribute list and DomainInfo (`fault_domain.region.name`, `.zone.name`)."""
        fault = (domain or {}).get("fault_domain") or {}
        region = (fault.get("region") or {}).get("name")
        zone = (fault.get("zone") or {}).get("name")
        return cls(agent_id, hostname, format_attributes(attributes), region, zone)

    @classmethod
    def from_offer(cls, offer: Mapping[str, Any]) -> Agent:
        return cls.from_info(offer["agent_id"]["value"], offer["hostname"], offer.get("attributes"),
                             offer.get("domain"))

    def read(self, name: str) -> str | None:
        """The value of a constraint field: hostname, "@region", "@zone" or an attribute (None if absent)."""
        if name in HOSTNAME_FIELDS:
            return self.hostname
        if name == "@region":
            return self.region
        if name == "@zone":
            return self.zone
        return self.attributes.get(name)


@dataclass(frozen=True, slots=True)
class OfferView:
    """One offer: its id, agent, resources and (MULTI_ROLE) allocation role."""
    offer_id: str
    agent: Agent
    resources: Resources
    allocation_role: str | None = None

    @classmethod
    def from_mesos(cls, offer: Mapping[str, Any]) -> OfferView:
        """From Offer JSON. Raises `ValidationError` (resources: `ResourceFormatError`) if malformed."""
        try:
            offer_id = offer["id"]["value"]
            agent = Agent.from_offer(offer)
        except (KeyError, TypeError):
            raise ValidationError("an offer needs id, agent_id and hostname", "offer") from None
        allocation = offer.get("allocation_info") or {}
        return cls(offer_id, agent, Resources.from_mesos(offer.get("resources") or []), allocation.get("role"))

    @property
    def agent_id(self) -> str:
        return self.agent.agent_id

    @property
    def hostname(self) -> str:
        return self.agent.hostname


@dataclass(frozen=True, slots=True)
class TaskRequest:
    """A task to place: `key` identifies it in the result, `group` (app/job id) scopes its constraints."""
    key: str
    group: str
    needs: ResourceRequest
    constraints: tuple[Constraint, ...] = ()


@dataclass(frozen=True, slots=True)
class PlacedInstance:
    """An instance of `group` already running or staging on `agent` (counted by constraints and Spread)."""
    group: str
    agent: Agent
