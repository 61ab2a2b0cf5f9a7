"""Marathon placement constraints `[field, operator, value?]`, with Marathon's exact semantics.

Semantics (Marathon `mesosphere.mesos.Constraints`): the offer's field value is the agent's hostname
("hostname"/"@hostname"), fault-domain region ("@region") or zone ("@zone"), or the first agent attribute with
that name, formatted as a string (`format_attribute`). Placed instances of the same group are read the same way;
an instance whose agent lacks the field has the value None.
- Offer without the field: only UNLIKE accepts.
- UNIQUE: no placed instance has the offer's value.
- CLUSTER v: the offer's value equals v. CLUSTER without a value: accept if nothing is placed yet, else the
  value must equal the *first* placed instance's value.
- GROUP_BY [n]: group the placed instances by value (None is a group too). Accept if the offer's value is not
  a group yet; otherwise only if there are at least n groups and the offer's group is a smallest one.
- LIKE / UNLIKE re: whole-string regex match (Java `String.matches`) / its negation.
- MAX_PER n: fewer than n placed instances share the offer's value.
- IS v: the offer's value equals v.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from ..errors import ValidationError

if TYPE_CHECKING:
    from .offers import Agent


class Operator(str, Enum):
    UNIQUE = "UNIQUE"
    CLUSTER = "CLUSTER"
    GROUP_BY = "GROUP_BY"
    LIKE = "LIKE"
    UNLIKE = "UNLIKE"
    MAX_PER = "MAX_PER"
    IS = "IS"


_ILLEGAL_OPERATOR = ("Constraint operator must be one of the following "
                     "UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS")
HOSTNAME_FIELDS = ("hostname", "@hostname")
# Operators whose rejection of an offer cannot turn into acceptance as more instances are placed.
_MONOTONE = frozenset({Operator.UNIQUE, Operator.CLUSTER, Operator.LIKE, Operator.UNLIKE, Operator.MAX_PER,
                       Operator.IS})


def _int_value(value: str) -> int | None:
    try:
        return int(value.strip()) if value.strip().lstrip("+-").isdigit() else None
    except ValueError:  # pragma: no cover - isdigit guards this
        return None


class FieldStats:
    """The placed instances of one group, counted by their value of one field (None = field missing)."""

    __slots__ = ("counts", "first", "placed", "_min")

    def __init__(self) -> None:
        self.counts: dict[str | None, int] = {}
        self.first: str | None = None
        self.placed = 0
        self._min: int | None = None

    def add(self, value: str | None) -> None:
        if not self.placed:
            self.first = value
        self.placed += 1
        self.counts[value] = self.counts.get(value, 0) + 1
        self._min = None

    def smallest(self) -> int:
        if self._min is None:
            self._min = min(self.counts.values()) if self.counts else 0
        return self._min


@dataclass(frozen=True)
class Constraint:
    """One parsed constraint. Build with `Constraint.parse`; `reason` is its NoMatch reason key."""
    field: str
    operator: Operator
    value: str | None = None
    _pattern: re.Pattern | None = field(default=None, compare=False, repr=False)
    _number: int = field(default=0, compare=False, repr=False)

    @classmethod
    def parse(cls, raw: Sequence[str], path: str = "constraints[0]") -> Constraint:
        """Parse `[field, operator, value?]`; raises `ValidationError` (Marathon's messages) with `.path`."""
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
            raise ValidationError("Each constraint must have either 2 or 3 fields", path)
        if len(raw) < 2 or len(raw) > 3:
            raise ValidationError("Each constraint must have either 2 or 3 fields", path)
        if not all(isinstance(part, str) for part in raw):
            raise ValidationError("Constraint fields must be strings", path)
        name, op_text = raw[0], raw[1]
        value = raw[2] if len(raw) == 3 else None
        if not name:
            raise ValidationError("Missing field and operator", f"{path}[0]")
        try:
            operator = Operator(op_text)
        except ValueError:
            raise ValidationError(_ILLEGAL_OPERATOR, f"{path}[1]") from None
        vpath = f"{path}[2]"
        pattern, number = None, 0
        if operator is Operator.UNIQUE and value is not None:
            raise ValidationError("Value specified but not used", vpath)
        if operator is Operator.GROUP_BY and value is not None:
            parsed = _int_value(value)
            if parsed is None:
                raise ValidationError("Value was specified but is not a number", vpath)
            number = max(0, parsed)
        if operator is Operator.MAX_PER:
            parsed = _int_value(value) if value is not None else None
            if parsed is None:
                raise ValidationError("Value was not specified or is not a number", vpath)
            number = parsed
        if operator in (Operator.LIKE, Operator.UNLIKE):
            if not value:
                raise ValidationError("A regular expression value must be provided", vpath)
            try:
                pattern = re.compile(value)
            except (re.error, OverflowError, RecursionError):   # also a repeat count or nesting Python cannot hold
                raise ValidationError(f"'{value}' is not a valid regular expression", vpath) from None
        if operator is Operator.IS and not value:
            raise ValidationError("Missing value", vpath)
        if operator is Operator.CLUSTER and value == "":
            value = None
        return cls(name, operator, value, pattern, number)

    @classmethod
    def parse_all(cls, raws: Sequence[Sequence[str]], path: str = "constraints") -> tuple[Constraint, ...]:
        if isinstance(raws, (str, bytes)) or not isinstance(raws, Sequence):
            raise ValidationError("constraints must be a list", path)
        return tuple(cls.parse(raw, f"{path}[{i}]") for i, raw in enumerate(raws))

    def to_json(self) -> list[str]:
        return [self.field, self.operator.value] + ([self.value] if self.value is not None else [])

    @property
    def reason(self) -> str:
        return f"constraint:{self.field}:{self.operator.value}"

    @property
    def monotone(self) -> bool:
        """True if an offer this rejects stays rejected while more instances of the group are placed."""
        return self.operator in _MONOTONE

    def read(self, agent: Agent) -> str | None:
        """The agent's value of this constraint's field, as Marathon compares it."""
        return agent.read(self.field)

    def accepts(self, agent: Agent, placed: Sequence[Agent]) -> bool:
        """Marathon's verdict for an offer from `agent`, given the agents of the group's placed instances."""
        stats = FieldStats()
        for other in placed:
            stats.add(other.read(self.field))
        return self.accepts_value(agent.read(self.field), stats)

    def accepts_value(self, value: str | None, stats: FieldStats) -> bool:
        """The verdict for an offer whose field value is `value`, with placed instances counted in `stats`."""
        op = self.operator
        if value is None:
            return op is Operator.UNLIKE
        if op is Operator.UNIQUE:
            return value not in stats.counts
        if op is Operator.MAX_PER:
            return stats.counts.get(value, 0) < self._number
        if op is Operator.LIKE:
            return self._pattern.fullmatch(value) is not None  # type: ignore[union-attr]
        if op is Operator.UNLIKE:
            return self._pattern.fullmatch(value) is None  # type: ignore[union-attr]
        if op is Operator.IS:
            return value == self.value
        if op is Operator.CLUSTER:
            if self.value is not None:
                return value == self.value
            return not stats.placed or stats.first == value
        count = stats.counts.get(value)  # GROUP_BY
        if count is None:
            return True
        return len(stats.counts) >= self._number and count == stats.smallest()
