"""One offer round, PURE: pending demand + offers -> ACCEPTs (with TaskInfos), DECLINEs and no-match reasons.

`order_wants` shares offers among plugins: higher `priority` first; within a priority, plugins take turns
by lowest dominant share (DRF over cpus and mem, counting their running tasks and what this round has
given them so far). `plan_round` then calls `mesosframe.matching.place` once with the ordered requests
(several tasks may land on one offer), builds TaskInfos with `tasks.builder`, and declines every offer
that gets nothing. Every offer in the input is answered exactly once: accepted or declined.
"""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Mapping, Sequence

from mesosframe import calls
from mesosframe.core.effects import AcceptOffer, DeclineOffers
from mesosframe.core.plugin import Demand
from mesosframe.errors import ValidationError
from mesosframe.matching import (Agent, Constraint, FirstFit, NoMatch, OfferView, PlacedInstance,
                                 PlacementPolicy, TaskRequest, place)
from mesosframe.resources import ResourceRequest
from mesosframe.tasks.builder import TaskInfoTemplate, build_task_group, validate
from mesosframe.tasks.spec import TaskGroupSpec, TaskSpec


@dataclass(frozen=True)
class Want:
    """One pending demand of one plugin."""
    plugin: str
    priority: int
    demand: Demand

    @property
    def ref(self) -> str:
        return f"{self.plugin}/{self.demand.key}"

    @property
    def group(self) -> str:
        spec = self.demand.spec
        return f"{self.plugin}/{self.demand.group or spec.name}"

    def due(self, now: float) -> bool:
        """True when its launch may be sent at `now` (no `not_before`, or that time has come)."""
        return self.demand.not_before is None or self.demand.not_before <= now


@dataclass(frozen=True)
class Launch:
    """A task (or group) placed on an offer: persist its record(s), then ACCEPT. `ports`: the host ports it
    was given; `attributes`: its agent's (as constraints read them)."""
    want: Want
    task_ids: tuple[str, ...]
    offer_id: str
    agent_id: str
    hostname: str
    operation: dict
    ports: tuple[int, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass
class RoundPlan:
    launches: list[Launch] = field(default_factory=list)
    accepts: list[AcceptOffer] = field(default_factory=list)
    decline: DeclineOffers | None = None
    unplaced: dict[str, NoMatch] = field(default_factory=dict)
    invalid: dict[str, ValidationError] = field(default_factory=dict)
    capped: bool = False     # demand was left over only because of `max_per_offer`
    malformed: dict[str, ValidationError] = field(default_factory=dict)   # offer id -> why it was unreadable


def placement_spec(spec: TaskSpec | TaskGroupSpec) -> TaskSpec:
    return spec.total() if isinstance(spec, TaskGroupSpec) else spec


def check_spec(spec: TaskSpec | TaskGroupSpec) -> None:
    """Validate a spec (or a group's specs) and its constraints; raises ValidationError."""
    if isinstance(spec, TaskGroupSpec):
        if not spec.tasks:
            raise ValidationError("a task group needs at least one task", "tasks")
        for i, task in enumerate(spec.tasks):
            validate(task, f"tasks[{i}]")
    else:
        validate(spec)
    constraints_of(placement_spec(spec))


def constraints_of(spec: TaskSpec) -> tuple[Constraint, ...]:
    """The spec's constraints as `Constraint`s (raw Marathon lists are parsed)."""
    out = []
    for i, item in enumerate(spec.constraints):
        out.append(item if isinstance(item, Constraint) else Constraint.parse(list(item), f"constraints[{i}]"))
    return tuple(out)


class _PerSpec:
    """What depends only on a demand's spec, worked out once per spec object in a round (the instances of one
    app share theirs): its validation, its resource request with its constraints, and its TaskInfo template."""

    def __init__(self) -> None:
        self._errors: dict[int, ValidationError | None] = {}
        self._needs: dict[int, tuple[ResourceRequest, tuple[Constraint, ...]]] = {}
        self._templates: dict[int, TaskInfoTemplate] = {}

    def template(self, spec: TaskSpec) -> TaskInfoTemplate:
        """The TaskInfo template of a spec `check` passed."""
        template = self._templates.get(id(spec))
        if template is None:
            template = self._templates[id(spec)] = TaskInfoTemplate(spec, validated=True)
        return template

    def check(self, want: Want) -> None:
        """Validate a demand (key, then its spec's part once per spec); raises ValidationError."""
        want.demand.check(want.plugin)
        spec = want.demand.spec
        if id(spec) not in self._errors:
            try:
                check_spec(spec)
                self._errors[id(spec)] = None
            except ValidationError as exc:
                self._errors[id(spec)] = exc
        error = self._errors[id(spec)]
        if error is not None:
            raise error

    def request(self, want: Want) -> TaskRequest:
        spec = want.demand.spec
        cached = self._needs.get(id(spec))
        if cached is None:
            total = placement_spec(spec)
            needs = ResourceRequest(cpus=total.cpus, mem=total.mem, disk=total.disk, gpus=total.gpus,
                                    port_count=total.ports, role=total.role)
            cached = self._needs[id(spec)] = (needs, constraints_of(total))
        return TaskRequest(want.ref, want.group, *cached)


def dominant_share(cpus: float, mem: float, total_cpus: float, total_mem: float) -> float:
    return max(cpus / total_cpus if total_cpus else 0.0, mem / total_mem if total_mem else 0.0)


def order_wants(wants: Sequence[Want], usage: Mapping[str, tuple[float, float]],
                totals: tuple[float, float]) -> list[Want]:
    """Priority first (higher first), then DRF turns among plugins of equal priority; stable per plugin."""
    by_priority: dict[int, dict[str, deque[Want]]] = defaultdict(lambda: defaultdict(deque))
    for want in wants:
        by_priority[want.priority][want.plugin].append(want)
    ordered: list[Want] = []
    for priority in sorted(by_priority, reverse=True):
        queues = by_priority[priority]
        used = {p: list(usage.get(p, (0.0, 0.0))) for p in queues}
        while queues:
            plugin = min(queues, key=lambda p: (dominant_share(*used[p], *totals), p))
            want = queues[plugin].popleft()
            ordered.append(want)
            spec = placement_spec(want.demand.spec)
            used[plugin][0] += spec.cpus
            used[plugin][1] += spec.mem
            if not queues[plugin]:
                del queues[plugin]
    return ordered


def plan_round(offers: Sequence[dict], wants: Sequence[Want], *, existing: Iterable[PlacedInstance] = (),
               usage: Mapping[str, tuple[float, float]] | None = None, policy: PlacementPolicy | None = None,
               framework_id: str, refuse_seconds: float, new_id: Callable[[str], str],
               max_per_offer: int | None = None) -> RoundPlan:
    """Place `wants` on `offers`. `new_id(prefix)` mints a task/executor id (the only impure input).

    At most `max_per_offer` launches go on one offer (huge ACCEPTs stall masters), and only the first
    `max_per_offer x len(offers)` wants are considered; demand left over for that reason stays pending
    (not "unplaced"), the offers are accepted with refuse_seconds 0 so that what remains of them can come
    back, and `plan.capped` is set (the engine then revives, so that it comes back at once).
    """
    plan = RoundPlan()
    views = _readable(offers, plan.malformed)
    per_spec = _PerSpec()     # the wants keep their specs alive for the round, so ids are not reused
    valid: list[Want] = []
    for want in wants:
        try:
            per_spec.check(want)
            valid.append(want)
        except ValidationError as exc:
            plan.invalid[want.ref] = exc
    totals = (sum(v.resources.cpus for v in views), sum(v.resources.mem for v in views))
    ordered = order_wants(valid, usage or {}, totals)
    more_demand = max_per_offer is not None and len(ordered) > max_per_offer * len(views)
    if more_demand:
        ordered = ordered[: max_per_offer * len(views)]   # the rest cannot be launched this round anyway
    by_ref = {w.ref: w for w in ordered}
    operations: dict[str, list[dict]] = defaultdict(list)
    task_ids: dict[str, list[str]] = defaultdict(list)
    capped: set[str] = set()
    placed = list(existing)
    pending, available = ordered, views
    # Placement may put more than `max_per_offer` tasks on one offer; what is cut off is placed again on
    # the offers that still have room (with what is left of them), so no offer is declined while demand
    # that fits it waits.
    first_pass = True
    while pending and available:
        result = place([per_spec.request(w) for w in pending], available, placed, policy or FirstFit())
        if first_pass:   # later passes see fewer offers: their misses are not "why it is not placed"
            plan.unplaced.update(result.unplaced)
            first_pass = False
        agents = {v.offer_id: v.agent for v in available}
        cut: list[Want] = []
        for a in result.assignments:
            want = by_ref[a.key]
            if max_per_offer is not None and len(task_ids[a.offer_id]) >= max_per_offer:
                capped.add(a.offer_id)
                cut.append(want)
                continue
            try:
                launch = _launch(want, a.offer_id, agents[a.offer_id], a.resources.to_mesos(), a.ports,
                                 framework_id, new_id, per_spec)
            except ValidationError as exc:
                plan.invalid[want.ref] = exc
                continue
            plan.launches.append(launch)
            operations[a.offer_id].append(launch.operation)
            task_ids[a.offer_id].extend(launch.task_ids)
            placed.append(PlacedInstance(want.group, agents[a.offer_id]))
        pending = cut
        available = [replace(v, resources=result.remaining[v.offer_id]) for v in available
                     if v.offer_id not in capped and v.offer_id in result.remaining]
    more_demand = more_demand or bool(pending)
    plan.capped = more_demand
    unused = [*plan.malformed, *(v.offer_id for v in views if v.offer_id not in operations)]
    refuse = {oid: 0.0 if (more_demand or oid in capped) else refuse_seconds for oid in operations}
    plan.accepts = [AcceptOffer(oid, tuple(ops), refuse[oid], tuple(task_ids[oid]))
                    for oid, ops in operations.items()]
    if unused:
        plan.decline = DeclineOffers(tuple(unused), refuse_seconds)
    return plan


# What reading an offer no Mesos agent would make can raise (odd JSON types, Decimal's refusals, overflows).
UNREADABLE = (ValidationError, ValueError, TypeError, KeyError, AttributeError, ArithmeticError)


def _readable(offers: Sequence[dict], malformed: dict[str, ValidationError]) -> list[OfferView]:
    """The offers as views; one that cannot be read (resources or attributes no Mesos agent offers, such as a
    scalar without finite thousandths) goes into `malformed` by id instead of failing the round (it is declined).
    Offers have string ids (`OfferRounds` drops those that do not)."""
    views = []
    for offer in offers:
        try:
            views.append(OfferView.from_mesos(offer))
        except UNREADABLE as exc:
            malformed[offer["id"]["value"]] = exc if isinstance(exc, ValidationError) else \
                ValidationError(f"unreadable offer: {type(exc).__name__}: {exc}", "offer")
    return views


def _launch(want: Want, offer_id: str, agent: Agent, resources: list[dict], ports: Sequence[int],
            framework_id: str, new_id: Callable[[str], str], per_spec: _PerSpec) -> Launch:
    spec = want.demand.spec
    prefix = f"{want.plugin}.{want.demand.key}"
    where = {"offer_id": offer_id, "agent_id": agent.agent_id, "hostname": agent.hostname, "ports": tuple(ports),
             "attributes": agent.attributes}
    if isinstance(spec, TaskGroupSpec):
        ids = tuple(new_id(f"{prefix}.{t.name}") for t in spec.tasks)
        executor, infos = build_task_group(spec, ids, new_id(f"{prefix}.executor"), framework_id, agent.agent_id,
                                           ports=ports)
        return Launch(want, ids, operation=calls.launch_group(executor, infos), **where)
    task_id = new_id(prefix)
    info = per_spec.template(spec).build(task_id, agent.agent_id, resources, ports)
    return Launch(want, (task_id,), operation=calls.launch([info]), **where)
