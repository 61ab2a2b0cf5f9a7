"""Pure offer matching and placement (Marathon's constraints, placement policies, "why not" reasons).

Public API (the contract the core codes against):

    Constraint.parse(raw: Sequence[str], path: str = "constraints[0]") -> Constraint
        Marathon's `[field, operator, value?]`. Operators UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER,
        IS. Field: "hostname"/"@hostname", "@region", "@zone" or an agent attribute name. Bad input raises
        `ValidationError` with `.path` (e.g. "constraints[2][2]"), with Marathon's messages.
    Constraint.parse_all(raws, path="constraints") -> tuple[Constraint, ...]
    constraint.accepts(agent: Agent, placed: Sequence[Agent]) -> bool
        Marathon semantics; `placed` are the agents of the group's instances already placed (running,
        staging, or placed earlier in the same `place` call), one entry per instance.
    constraint.reason -> str        # "constraint:<field>:<OP>", the NoMatch reason key

    Agent(agent_id, hostname, attributes: Mapping[str, str] = {}, region=None, zone=None)
        Attributes are already formatted as Marathon compares them (`format_attribute`).
        Agent.from_offer(offer_json) / Agent.from_info(agent_id, hostname, attributes_json, domain=None)
    format_attribute(attribute_json) -> str   # TEXT as is, SCALAR "0.###" HALF_EVEN, RANGES "[a-b,c-d]", SET "{a,b}"
    OfferView(offer_id, agent: Agent, resources: Resources, allocation_role: str | None = None)
        OfferView.from_mesos(offer_json)
    TaskRequest(key: str, group: str, needs: ResourceRequest, constraints: tuple[Constraint, ...] = ())
    PlacedInstance(group: str, agent: Agent)       # an existing instance, for constraints and Spread

    PlacementPolicy (ABC): rank(offer: OfferView, load: Load) -> tuple, a pure function (results may be
        cached); lower ranks are tried first, ties by offer order. Load(free_cpus, free_mem, group_on_agent, tasks_on_agent). If `dynamic` is False the ranks
        are computed once per call, before any placement (group_on_agent is then 0), and that order is
        kept; otherwise an offer is re-ranked per group after every placement, and its rank must never
        decrease as tasks are placed.
    FirstFit()  offer order.   BinPack()  least free cpus, then mem, first (fullest agent first, sticky).
    Spread()    fewest instances of this group on the agent, then fewest tasks, then most free (dynamic).

    place(requests: Sequence[TaskRequest], offers: Sequence[OfferView],
          existing: Iterable[PlacedInstance] = (), policy: PlacementPolicy | None = None) -> PlacementResult
        policy None means FirstFit(). Requests are handled in the given order; several tasks may land on
        one offer. Constraints see the existing instances plus those placed earlier in the same call.
        Deterministic; O(requests x offers) at worst, and near O(requests + offers) when requests of a
        group share a shape (offers rejected for a shape's resources or for a monotone constraint are not
        re-tried). Shapes with a GROUP_BY constraint under a static policy resume at the offer they last
        used and wrap around.
    PlacementResult:
        assignments: tuple[Assignment, ...]        in request order
        unplaced: Mapping[str, NoMatch]            request key -> reasons
        unused_offer_ids: tuple[str, ...]          offers with no assignment: decline them
        remaining: Mapping[str, Resources]         offer id -> what is left of it
    Assignment(key, offer_id, agent_id, hostname, resources: Resources, ports: tuple[int, ...])  (NamedTuple)
    NoMatch(key, group, reasons: Mapping[str, int], offers: int)
        reasons: offers rejected per reason ("role", "cpus", "mem", "disk", "gpus", "ports",
        "<scalar name>", "constraint:<field>:<OP>"); each offer counted once, under the first reason
        found (order: role, constraints, then resources), as things stood when the request failed;
        sum(reasons.values()) == offers.
"""
from __future__ import annotations

from .constraints import Constraint, Operator
from .offers import Agent, OfferView, PlacedInstance, TaskRequest, format_attribute
from .policies import BinPack, FirstFit, Load, PlacementPolicy, Spread
from .placement import Assignment, NoMatch, PlacementResult, place

__all__ = [
    "Agent",
    "Assignment",
    "BinPack",
    "Constraint",
    "FirstFit",
    "Load",
    "NoMatch",
    "OfferView",
    "Operator",
    "PlacedInstance",
    "PlacementPolicy",
    "PlacementResult",
    "Spread",
    "TaskRequest",
    "format_attribute",
    "place",
]
