"""`place`: match task requests to offers, honouring constraints, and explain every request left unplaced.

How it stays fast: requests with the same group, needs and constraints share a *shape*. An offer that a shape
cannot use because of its resources, its role or a monotone constraint (all but GROUP_BY) can never become
usable later in the call (offers only shrink, placed instances only grow), so it is dropped from that shape's
candidates for good. An offer with fewer cpus left than the smallest request is dropped for every shape.
Reasons are worked out only for a request that fails, by checking every offer once; a shape that has run out
of candidates keeps that answer for its later requests, which then fail in O(1).
Dynamic policies (Spread): entries are (rank, index, agent version). Each shape reads the shared sorted order of
ranks for a group with no instances (`ranking.FreshOrder`) from a cursor, merged with a small lazy heap of its
own, instead of ranking every offer again. Every entry is a lower bound (ranks never decrease); it is exact
while its agent's version (placements on it) is unchanged and, for a shared entry, the group has no instance
on the agent. An inexact entry that comes first is re-ranked into the shape's heap. Only the most recently used
shapes keep their cursor and heap; an older one starts again from the shared order if it is used again.
The hot path allocates little: offers keep their amounts in thousandths, a role's usable entries are worked out
once per offer (`Order`), and only the placed task's own resources are built.
"""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import ValidationError
from ..resources import Resources
from ..resources.pool import Order, take, usable_order
from .constraints import FieldStats
from .offers import Agent, OfferView, PlacedInstance, TaskRequest
from .policies import FirstFit, PlacementPolicy
from .ranking import FreshOrder, rank_function


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


_new_tuple = tuple.__new__   # builds an Assignment without NamedTuple's Python-level __new__
_HEAPS_KEPT = 8              # dynamic shapes whose heaps are kept; older ones are rebuilt when used again
_GONE = ("", True)           # a verdict: permanently unusable, no reason needed (only `explain` needs reasons)


class _Slot:
    """An offer being filled: its remaining amounts (thousandths), per-role usable orders and free cpus/mem."""
    __slots__ = ("index", "offer", "agent", "agent_no", "amounts", "keys", "orders", "used", "free_cpus",
                 "free_mem")

    def __init__(self, index: int, offer: OfferView, agent_no: int) -> None:
        self.index = index
        self.offer = offer
        self.agent = offer.agent
        self.agent_no = agent_no
        self.amounts = offer.resources.amounts()
        self.keys = tuple(self.amounts)   # as offered: a role's usable order never depends on what was taken
        self.orders: dict[str, Order] = {}
        self.used = False
        self.free_cpus = self.free("cpus")  # thousandths, all roles
        self.free_mem = self.free("mem")

    def order(self, role: str) -> Order:
        order = self.orders.get(role)
        if order is None:
            order = self.orders[role] = usable_order(self.keys, role, self.offer.allocation_role)
        return order

    def free(self, name: str) -> int:
        return sum(v for k, v in self.amounts.items() if k[0] == name and k[1] == "SCALAR")


class _Group:
    """Instances of one group: per-field value counts (built lazily) and per-agent counts (by agent number)."""
    __slots__ = ("existing", "stats", "on_agent")

    def __init__(self) -> None:
        self.existing: list[Agent] = []
        self.stats: dict[str, FieldStats] = {}
        self.on_agent: dict[int, int] = {}

    def field_stats(self, name: str) -> FieldStats:
        stats = self.stats.get(name)
        if stats is None:
            stats = self.stats[name] = FieldStats()
            for agent in self.existing:
                stats.add(agent.read(name))
        return stats

    def add(self, agent: Agent, agent_no: int) -> None:
        self.existing.append(agent)
        for name, stats in self.stats.items():
            stats.add(agent.read(name))
        self.on_agent[agent_no] = self.on_agent.get(agent_no, 0) + 1


class _Shape:
    """Candidate offers of one (group, needs, constraints) shape, in policy order, and what checking an
    offer for it needs: (accepts_value, field, stats, reason, monotone) per constraint. Static policies: a
    shared `order` of slot indexes with `alive` flags. Dynamic ones: the shared `order` of fresh entries read
    from `cursor`, and `heap`, the shape's own entries (None while the shape is not among the recent ones)."""
    __slots__ = ("needs", "role", "wants", "checks", "order", "alive", "head", "cursor", "monotone", "cpus", "mem",
                 "heap", "explained")

    def __init__(self, request: TaskRequest, group: _Group) -> None:
        needs = request.needs
        self.needs = needs
        self.role = needs.role
        self.wants = bool(needs.needs or needs.wants_ports)
        self.checks = tuple((c.accepts_value, c.field, group.field_stats(c.field), c.reason, c.monotone)
                            for c in request.constraints)
        self.monotone = all(c.monotone for c in request.constraints)
        amounts = dict(needs.needs)
        self.cpus = amounts.get("cpus", 0)
        self.mem = amounts.get("mem", 0)
        self.cursor = 0
        self.order: list = []
        self.alive = bytearray()
        self.head = 0
        self.heap: list[tuple] | None = None
        self.explained: dict[str, int] | None = None


class _Placer:
    def __init__(self, requests: Sequence[TaskRequest], offers: Sequence[OfferView],
                 existing: Iterable[PlacedInstance], policy: PlacementPolicy) -> None:
        existing = list(existing)
        numbers: dict[str, int] = {}   # agent id -> agent number: per-agent counts live in lists
        self.slots = [_Slot(i, offer, numbers.setdefault(offer.agent.agent_id, len(numbers)))
                      for i, offer in enumerate(offers)]
        instance_numbers = [numbers.setdefault(i.agent.agent_id, len(numbers)) for i in existing]
        self.agent_slots: list[list[int]] = [[] for _ in numbers]
        for slot in self.slots:
            self.agent_slots[slot.agent_no].append(slot.index)
        self.dynamic = policy.dynamic
        self.rank = rank_function(policy)
        self.groups: dict[str, _Group] = {}
        self.tasks: list[int] = [0] * len(numbers)      # per agent number: instances of all groups
        self.versions: list[int] = [0] * len(numbers)   # per agent number: placements in this call
        for instance, agent_no in zip(existing, instance_numbers):
            self.group(instance.group).add(instance.agent, agent_no)
            self.tasks[agent_no] += 1
        self.fresh = FreshOrder(self.slots, self.rank, self.tasks, self.versions, self.agent_slots)
        self.shapes: dict[tuple, _Shape] = {}
        self.last: tuple = (None, None, None)   # (request, its shape, its group): the next request often shares them
        self.static_order: list[int] | None = None
        self.heaps: dict[_Shape, None] = {}   # dynamic shapes that hold a heap, least recently used first
        # Offers too small for every request (by cpus) are dead for all shapes; `head` skips them in order.
        # An empty offer is dead too, unless some request needs nothing at all.
        needs = {id(r.needs): r.needs for r in requests}.values()   # requests of a shape share one object
        self.min_cpus = min((dict(n.needs).get("cpus", 0) for n in needs), default=0)
        self.all_want = all(n.needs or n.wants_ports for n in needs)
        self.dead = bytearray(len(self.slots))
        self.head = 0

    def group(self, name: str) -> _Group:
        group = self.groups.get(name)
        if group is None:
            group = self.groups[name] = _Group()
        return group

    def shape(self, request: TaskRequest, group: _Group) -> _Shape:
        key = (request.group, request.needs, request.constraints)
        shape = self.shapes.get(key)
        if shape is None:
            shape = self.shapes[key] = _Shape(request, group)
            if not self.dynamic:
                if self.static_order is None:  # ranked once per call, before any placement
                    slots, tasks, rank = self.slots, self.tasks, self.rank
                    self.static_order = sorted(range(len(slots)),
                                               key=lambda i: (rank(slots[i], 0, tasks[slots[i].agent_no]), i))
                shape.order = self.static_order
                shape.alive = bytearray(b"\x01") * len(self.slots)
        if self.dynamic:
            self.heaps.pop(shape, None)
            self.heaps[shape] = None          # most recently used last
            if shape.heap is None:
                self.build_heap(shape)
            if len(self.heaps) > _HEAPS_KEPT:
                oldest = next(iter(self.heaps))
                del self.heaps[oldest]
                oldest.heap, oldest.order = None, []
        return shape

    def build_heap(self, shape: _Shape) -> None:
        """Start a dynamic shape from the current shared order of fresh ranks, with an empty heap. (A heap
        dropped to save memory is rebuilt the same way: the offers it had dropped for good are simply rejected
        again.)"""
        shape.order = self.fresh.current()
        shape.cursor = 0
        shape.heap = []

    @staticmethod
    def check(slot: _Slot, shape: _Shape, commit: bool) -> tuple:
        """((taken, ports),) if the offer takes the shape's request (resources committed if `commit`), else
        (reason, permanent). Reasons are checked in the documented order: role, constraints, resources."""
        order = slot.orders.get(shape.role)
        if order is None:
            order = slot.order(shape.role)
        if order.empty and shape.wants:
            return ("role", True)
        if shape.checks:
            read = slot.agent.read
            for accepts_value, field, stats, reason, monotone in shape.checks:
                if not accepts_value(read(field), stats):
                    return (reason, monotone)
        result = take(slot.amounts, order, shape.needs, commit)
        if result.__class__ is str:
            return (result, True)
        return (result,)

    def explain(self, shape: _Shape) -> dict[str, int]:
        """Offers rejected per reason for the shape's request, checking every offer now."""
        reasons: dict[str, int] = {}
        for slot in self.slots:
            reason = self.check(slot, shape, False)[0]
            if isinstance(reason, str):
                reasons[reason] = reasons.get(reason, 0) + 1
            else:  # pragma: no cover - only if the scan missed an offer that fits
                reasons["unexplained"] = reasons.get("unexplained", 0) + 1
        return reasons

    def place_one(self, request: TaskRequest) -> Assignment | NoMatch:
        last_request, shape, group = self.last
        if last_request is None or request.needs is not last_request.needs or \
                request.constraints is not last_request.constraints or request.group != last_request.group:
            group = self.group(request.group)
            shape = self.shape(request, group)
            self.last = (request, shape, group)
        if shape.explained is not None:
            return NoMatch(request.key, request.group, shape.explained, len(self.slots))
        found = self._scan_heap(shape, group) if self.dynamic else self._scan_static(shape)
        if found is None:
            reasons = self.explain(shape)
            if shape.monotone:
                shape.explained = reasons
            return NoMatch(request.key, request.group, reasons, len(self.slots))
        slot, (taken, ports) = found
        slot.used = True
        slot.free_cpus -= shape.cpus   # `take` takes exactly what is needed of each scalar
        slot.free_mem -= shape.mem
        if slot.free_cpus < self.min_cpus or (self.all_want and not slot.amounts):
            self.dead[slot.index] = 1
        agent, agent_no = slot.agent, slot.agent_no
        group.add(agent, agent_no)
        self.tasks[agent_no] += 1
        self.versions[agent_no] += 1
        if self.dynamic:
            self.fresh.touch(agent_no)
        return _new_tuple(Assignment, (request.key, slot.offer.offer_id, agent.agent_id, agent.hostname,
                                       Resources._owned(taken), ports))

    def _scan_static(self, shape: _Shape) -> tuple | None:
        """First acceptable offer in policy order. Shapes with a non-monotone constraint (GROUP_BY) resume
        at the offer they last used and wrap around, instead of re-trying the same rejected offers."""
        order, alive, slots, dead, check = shape.order, shape.alive, self.slots, self.dead, self.check
        cpus, mem = shape.cpus, shape.mem
        head = self.head
        while head < len(order) and dead[order[head]]:
            head += 1
        self.head = head
        if shape.head < head:
            shape.head = head
        start = shape.head if shape.monotone else max(shape.cursor, shape.head)
        positions = range(start, len(order)) if start == shape.head else \
            itertools.chain(range(start, len(order)), range(shape.head, start))
        for i in positions:
            index = order[i]
            if alive[index]:
                slot = slots[index]
                if dead[index] or slot.free_cpus < cpus or slot.free_mem < mem:  # quick, exact answers
                    alive[index] = 0
                else:
                    verdict = check(slot, shape, True)
                    if len(verdict) == 1:
                        shape.cursor = i
                        return slot, verdict[0]
                    if verdict[1]:
                        alive[index] = 0
            if i == shape.head and not alive[index]:
                shape.head = i + 1
        return None

    def _scan_heap(self, shape: _Shape, group: _Group) -> tuple | None:
        """Lowest (rank, index) acceptable offer: the smaller of the shared order's entry at the cursor and the
        top of the shape's heap, until one is exact and accepted. An inexact entry is re-ranked into the heap;
        one rejected for good is dropped; one rejected for now goes back into the heap after the scan."""
        order, heap, slots, versions, tasks, on_agent, rank, dead = \
            shape.order, shape.heap, self.slots, self.versions, self.tasks, group.on_agent, self.rank, self.dead
        cursor, end = shape.cursor, len(order)
        deferred = []
        found = None
        while True:
            if cursor < end:
                entry = order[cursor]
                shared = not heap or entry < heap[0]
                if not shared:
                    entry = heap[0]
            elif heap:
                entry, shared = heap[0], False
            else:
                break
            index = entry[1]
            slot = slots[index]
            agent_no = slot.agent_no
            version = versions[agent_no]
            if entry[2] != version or (shared and agent_no in on_agent):
                current = (rank(slot, on_agent.get(agent_no, 0), tasks[agent_no]), index, version)
                if shared:
                    heapq.heappush(heap, current)
                    cursor += 1
                else:
                    heapq.heapreplace(heap, current)
                continue
            if dead[index] or slot.free_cpus < shape.cpus or slot.free_mem < shape.mem:
                verdict = _GONE
            else:
                verdict = self.check(slot, shape, True)
            if len(verdict) == 1:
                found = slot, verdict[0]
                break
            if shared:
                cursor += 1
            else:
                heapq.heappop(heap)
            if not verdict[1]:
                deferred.append(entry)
        shape.cursor = cursor
        for entry in deferred:
            heapq.heappush(heap, entry)
        return found


def place(requests: Sequence[TaskRequest], offers: Sequence[OfferView], existing: Iterable[PlacedInstance] = (),
          policy: PlacementPolicy | None = None) -> PlacementResult:
    """Place `requests` (in order) on `offers`; see the package docstring for the contract.
    Raises `ValidationError` if two requests share a key."""
    requests = list(requests)
    placer = _Placer(requests, offers, existing, policy or FirstFit())
    assignments: list[Assignment] = []
    unplaced: dict[str, NoMatch] = {}
    keys = [request.key for request in requests]
    if len(set(keys)) != len(keys):
        seen: set[str] = set()
        for i, key in enumerate(keys):
            if key in seen:
                raise ValidationError(f"duplicate request key {key!r}", f"requests[{i}].key")
            seen.add(key)
    place_one, append = placer.place_one, assignments.append
    for request in requests:
        outcome = place_one(request)
        if outcome.__class__ is Assignment:
            append(outcome)  # type: ignore[arg-type]
        else:
            unplaced[request.key] = outcome  # type: ignore[assignment]
    remaining = {s.offer.offer_id: Resources._owned(s.amounts) if s.used else s.offer.resources for s in placer.slots}
    unused = tuple(s.offer.offer_id for s in placer.slots if not s.used)
    return PlacementResult(tuple(assignments), unplaced, unused, remaining)
