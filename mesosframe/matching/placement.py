"""`place`: match task requests to offers, honouring constraints, and explain every request left unplaced.

How it stays fast: requests with the same group, needs and constraints share a *shape*. An offer that a shape
cannot use because of its resources, its role or a monotone constraint (all but GROUP_BY) can never become
usable later in the call (offers only shrink, placed instances only grow), so it is dropped from that shape's
candidates for good. An offer with fewer cpus left than the smallest request is dropped for every shape.
Reasons are worked out only for a request that fails, by checking every offer once; a shape that has run out
of candidates keeps that answer for its later requests, which then fail in O(1).
"""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import ValidationError
from ..resources import Resources
from ..resources.pool import take, usable_order
from .constraints import FieldStats
from .offers import Agent, OfferView, PlacedInstance, TaskRequest
from .policies import FirstFit, Load, PlacementPolicy


class Assignment(NamedTuple):
    """Request `key` goes to `offer_id`, using exactly `resources`; `ports` as in `Allocation.ports`.
    (A NamedTuple rather than a dataclass: one is made per placed task, and this is cheaper.)"""
    key: str
    offer_id: str
    agent_id: str
    hostname: str
    resources: Resources
    ports: tuple[int, ...] = ()


@dataclass(frozen=True)
class NoMatch:
    """Why request `key` was not placed: offers rejected per reason (each offer once; sums to `offers`)."""
    key: str
    group: str
    reasons: Mapping[str, int]
    offers: int


@dataclass(frozen=True)
class PlacementResult:
    assignments: tuple[Assignment, ...]
    unplaced: Mapping[str, NoMatch]
    unused_offer_ids: tuple[str, ...]
    remaining: Mapping[str, Resources]


class _Slot:
    """An offer being filled: its remaining amounts and per-role preference orders."""
    __slots__ = ("index", "offer", "agent", "amounts", "orders", "used", "free_cpus", "free_mem")

    def __init__(self, index: int, offer: OfferView) -> None:
        self.index = index
        self.offer = offer
        self.agent = offer.agent
        self.amounts = offer.resources.amounts()
        self.orders: dict[str, dict] = {}
        self.used = False
        self.free_cpus = self.free("cpus")  # thousandths, all roles
        self.free_mem = self.free("mem")

    def consume(self, taken: Mapping) -> None:
        """Note what a placement took (the amounts themselves are already reduced by `take`)."""
        self.used = True
        for key, part in taken.items():
            if key[0] == "cpus" and key[1] == "SCALAR":
                self.free_cpus -= part
            elif key[0] == "mem" and key[1] == "SCALAR":
                self.free_mem -= part

    def order(self, role: str) -> dict:
        order = self.orders.get(role)
        if order is None:
            order = self.orders[role] = usable_order(self.amounts, role, self.offer.allocation_role)
        return order

    def free(self, name: str) -> int:
        return sum(v for k, v in self.amounts.items() if k[0] == name and k[1] == "SCALAR")


class _Group:
    """Instances of one group: per-field value counts (built lazily) and per-agent counts."""
    __slots__ = ("existing", "stats", "on_agent")

    def __init__(self) -> None:
        self.existing: list[Agent] = []
        self.stats: dict[str, FieldStats] = {}
        self.on_agent: dict[str, int] = {}

    def field_stats(self, name: str) -> FieldStats:
        stats = self.stats.get(name)
        if stats is None:
            stats = self.stats[name] = FieldStats()
            for agent in self.existing:
                stats.add(agent.read(name))
        return stats

    def add(self, agent: Agent) -> None:
        self.existing.append(agent)
        for name, stats in self.stats.items():
            stats.add(agent.read(name))
        self.on_agent[agent.agent_id] = self.on_agent.get(agent.agent_id, 0) + 1


class _Shape:
    """Candidate offers of one (group, needs, constraints) shape, in policy order."""
    __slots__ = ("order", "alive", "head", "cursor", "monotone", "cpus", "heap", "explained")

    def __init__(self, request: TaskRequest) -> None:
        self.monotone = all(c.monotone for c in request.constraints)
        self.cpus = dict(request.needs.needs).get("cpus", 0)
        self.cursor = 0
        self.order: list[int] = []
        self.alive = bytearray()
        self.head = 0
        self.heap: list[tuple[tuple, int]] = []
        self.explained: dict[str, int] | None = None


class _Placer:
    def __init__(self, requests: Sequence[TaskRequest], offers: Sequence[OfferView],
                 existing: Iterable[PlacedInstance], policy: PlacementPolicy) -> None:
        self.slots = [_Slot(i, offer) for i, offer in enumerate(offers)]
        self.policy = policy
        self.first_fit = type(policy) is FirstFit
        self.groups: dict[str, _Group] = {}
        self.tasks_on_agent: dict[str, int] = {}
        for instance in existing:
            self.group(instance.group).add(instance.agent)
            agent_id = instance.agent.agent_id
            self.tasks_on_agent[agent_id] = self.tasks_on_agent.get(agent_id, 0) + 1
        self.shapes: dict[tuple, _Shape] = {}
        self.last: tuple[TaskRequest | None, _Shape | None] = (None, None)
        self.static_order: list[int] | None = None
        self.agent_versions: dict[str, int] = {}        # placements per agent in this call
        self.fresh_ranks: list[tuple[int, tuple] | None] = [None] * len(self.slots)
        # Offers too small for every request (by cpus) are dead for all shapes; `head` skips them in order.
        self.min_cpus = min((dict(r.needs.needs).get("cpus", 0) for r in requests), default=0)
        self.dead = bytearray(len(self.slots))
        self.head = 0

    def group(self, name: str) -> _Group:
        group = self.groups.get(name)
        if group is None:
            group = self.groups[name] = _Group()
        return group

    def rank(self, slot: _Slot, group: _Group | None) -> tuple:
        agent_id = slot.agent.agent_id
        load = Load(slot.free_cpus / 1000, slot.free_mem / 1000, group.on_agent.get(agent_id, 0) if group else 0,
                    self.tasks_on_agent.get(agent_id, 0))
        return (self.policy.rank(slot.offer, load), slot.index)

    def shape(self, request: TaskRequest, group: _Group) -> _Shape:
        last_request, last_shape = self.last
        if last_request is not None and request.needs is last_request.needs and \
                request.constraints is last_request.constraints and request.group == last_request.group:
            return last_shape  # type: ignore[return-value]
        key = (request.group, request.needs, request.constraints)
        shape = self.shapes.get(key)
        if shape is None:
            shape = self.shapes[key] = _Shape(request)
            if self.policy.dynamic:
                shape.heap = self.ranked(group)
                heapq.heapify(shape.heap)
            else:
                if self.static_order is None:  # ranked once per call, before any placement
                    indexes = range(len(self.slots))
                    self.static_order = list(indexes) if self.first_fit else sorted(
                        indexes, key=lambda i: self.rank(self.slots[i], None))
                shape.order = self.static_order
                shape.alive = bytearray(b"\x01") * len(self.slots)
        self.last = (request, shape)
        return shape

    def ranked(self, group: _Group) -> list[tuple[tuple, int]]:
        """(rank, index) of every offer for `group`. Groups with no instances yet all see the same ranks, so
        those are cached per offer until a task lands on its agent (ranks are pure functions of the load)."""
        if group.on_agent or group.existing:
            return [(self.rank(slot, group), slot.index) for slot in self.slots]
        result = []
        versions, cache = self.agent_versions, self.fresh_ranks
        for slot in self.slots:
            version = versions.get(slot.agent.agent_id, 0)
            cached = cache[slot.index]
            if cached is None or cached[0] != version:
                cached = cache[slot.index] = (version, self.rank(slot, None))
            result.append((cached[1], slot.index))
        return result

    @staticmethod
    def check(slot: _Slot, request: TaskRequest, group: _Group, commit: bool) -> tuple:
        """((taken, ports),) if the offer takes the request (resources committed if `commit`), else
        (reason, permanent). Reasons are checked in the documented order: role, constraints, resources."""
        role = request.needs.role
        order = slot.orders.get(role)
        if order is None:
            order = slot.order(role)
        if not order and (request.needs.needs or request.needs.wants_ports):
            return ("role", True)
        agent = slot.agent
        for constraint in request.constraints:
            if not constraint.accepts_value(agent.read(constraint.field), group.field_stats(constraint.field)):
                return (constraint.reason, constraint.monotone)
        result = take(slot.amounts, order, request.needs, commit)
        if isinstance(result, str):
            return (result, True)
        return (result,)

    def explain(self, request: TaskRequest, group: _Group) -> dict[str, int]:
        """Offers rejected per reason for `request`, checking every offer now."""
        reasons: dict[str, int] = {}
        for slot in self.slots:
            reason = self.check(slot, request, group, False)[0]
            if isinstance(reason, str):
                reasons[reason] = reasons.get(reason, 0) + 1
            else:  # pragma: no cover - only if the scan missed an offer that fits
                reasons["unexplained"] = reasons.get("unexplained", 0) + 1
        return reasons

    def place_one(self, request: TaskRequest) -> Assignment | NoMatch:
        group = self.group(request.group)
        shape = self.shape(request, group)
        if shape.explained is not None:
            return NoMatch(request.key, request.group, shape.explained, len(self.slots))
        found = self._scan_heap(shape, request, group) if self.policy.dynamic else \
            self._scan_static(shape, request, group)
        if found is None:
            reasons = self.explain(request, group)
            if shape.monotone:
                shape.explained = reasons
            return NoMatch(request.key, request.group, reasons, len(self.slots))
        slot, (taken, ports) = found
        slot.consume(taken)
        if slot.free_cpus < self.min_cpus or not slot.amounts:
            self.dead[slot.index] = 1
        agent = slot.agent
        group.add(agent)
        self.tasks_on_agent[agent.agent_id] = self.tasks_on_agent.get(agent.agent_id, 0) + 1
        self.agent_versions[agent.agent_id] = self.agent_versions.get(agent.agent_id, 0) + 1
        return Assignment(request.key, slot.offer.offer_id, agent.agent_id, agent.hostname, Resources(taken), ports)

    def _usable(self, slot: _Slot, shape: _Shape, request: TaskRequest, group: _Group) -> tuple:
        if self.dead[slot.index]:
            return ("", True)
        if slot.free_cpus < shape.cpus:   # a quick, exact answer
            return ("cpus", True)
        return self.check(slot, request, group, True)

    def _scan_static(self, shape: _Shape, request: TaskRequest, group: _Group) -> tuple | None:
        """First acceptable offer in policy order. Shapes with a non-monotone constraint (GROUP_BY) resume
        at the offer they last used and wrap around, instead of re-trying the same rejected offers."""
        order, alive, slots, dead = shape.order, shape.alive, self.slots, self.dead
        while self.head < len(order) and dead[order[self.head]]:
            self.head += 1
        if shape.head < self.head:
            shape.head = self.head
        start = shape.head if shape.monotone else max(shape.cursor, shape.head)
        for i in itertools.chain(range(start, len(order)), range(shape.head, start)):
            index = order[i]
            if alive[index]:
                verdict = self._usable(slots[index], shape, request, group)
                if len(verdict) == 1:
                    shape.cursor = i
                    return slots[index], verdict[0]
                if verdict[1]:
                    alive[index] = 0
            if i == shape.head and not alive[index]:
                shape.head = i + 1
        return None

    def _scan_heap(self, shape: _Shape, request: TaskRequest, group: _Group) -> tuple | None:
        heap, slots = shape.heap, self.slots
        deferred = []
        found = None
        while heap:
            rank, index = heap[0]
            current = self.rank(slots[index], group)
            if current != rank:
                heapq.heapreplace(heap, (current, index))
                continue
            verdict = self._usable(slots[index], shape, request, group)
            if len(verdict) == 1:
                found = slots[index], verdict[0]
                break
            heapq.heappop(heap)
            if not verdict[1]:
                deferred.append((rank, index))
        for entry in deferred:
            heapq.heappush(heap, entry)
        return found


def place(requests: Sequence[TaskRequest], offers: Sequence[OfferView], existing: Iterable[PlacedInstance] = (),
          policy: PlacementPolicy | None = None) -> PlacementResult:
    """Place `requests` (in order) on `offers`; see the package docstring for the contract.
    Raises `ValidationError` if two requests share a key."""
    placer = _Placer(requests, offers, existing, policy or FirstFit())
    assignments: list[Assignment] = []
    unplaced: dict[str, NoMatch] = {}
    seen: set[str] = set()
    for i, request in enumerate(requests):
        if request.key in seen:
            raise ValidationError(f"duplicate request key {request.key!r}", f"requests[{i}].key")
        seen.add(request.key)
        outcome = placer.place_one(request)
        if isinstance(outcome, Assignment):
            assignments.append(outcome)
        else:
            unplaced[request.key] = outcome
    remaining = {s.offer.offer_id: Resources(s.amounts) if s.used else s.offer.resources for s in placer.slots}
    unused = tuple(s.offer.offer_id for s in placer.slots if not s.used)
    return PlacementResult(tuple(assignments), unplaced, unused, remaining)
