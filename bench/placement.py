"""Placement benchmark: 10,000 pending tasks on 1,000 offers, with constraints.

The floor, measured in the same run, is the unavoidable wire work around one placement round: decoding the
OFFERS event (json.loads, as pymesos decodes events) and encoding the ACCEPT calls with their TaskInfos
(json.dumps, as pymesos's driver encodes every call it sends). mesosframe's own driver encodes its calls with
orjson (`mesosframe.jsoncodec`), about ten times faster; the ratio against that smaller floor is printed too, so
that neither hides the other. The measured work is
building the offer views from that JSON, `place`, and turning each assignment's resources back into Mesos JSON
(assembling the rest of each TaskInfo is the core's builder's work and is timed in neither). Floor and work
are measured back to back in each run, in CPU time of this (single-threaded) process, with the garbage
collector on and set as a framework process sets it once started (`mesosframe.heap.settle_heap`; pass
`--collector default` for CPython's defaults). Each policy gets one untimed warm-up run, and every run starts
from a freshly collected heap (untimed), so that collections fall at the same points in every run; the median
of the per-run ratios is reported. All of this damps the noise of a shared machine.
Run: `python -m bench.placement [--policy firstfit|binpack|spread|all] [--repeat N] [--collector C]`.
Goal: ratio <= 2 (against the pymesos floor).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time

from mesosframe.heap import settle_heap
from mesosframe.jsoncodec import encode
from mesosframe.matching import BinPack, Constraint, FirstFit, OfferView, Spread, TaskRequest, place
from mesosframe.resources import ResourceRequest

AGENTS = 1000
TASKS = 10_000
RACKS = 20
GROUPS = 100
POLICIES = {"firstfit": FirstFit, "binpack": BinPack, "spread": Spread}


def offers_event(agents: int = AGENTS) -> str:
    """The OFFERS event JSON: one offer per agent, 16 cpus, 64 GiB, 1000 ports, a rack and a zone attribute."""
    offers = []
    for i in range(agents):
        offers.append({
            "id": {"value": f"m1-O{i}"}, "framework_id": {"value": "m1-0000"},
            "agent_id": {"value": f"m1-S{i}"}, "hostname": f"agent-{i:04d}.example",
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 16.0}, "role": "*"},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": 65536.0}, "role": "*"},
                {"name": "disk", "type": "SCALAR", "scalar": {"value": 400000.0}, "role": "*"},
                {"name": "ports", "type": "RANGES", "role": "*",
                 "ranges": {"range": [{"begin": 31000, "end": 31999}]}},
            ],
            "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": f"r{i % RACKS}"}},
                           {"name": "zone", "type": "TEXT", "text": {"value": f"z{i % 3}"}}],
        })
    return json.dumps({"type": "OFFERS", "offers": {"offers": offers}})


def requests(tasks: int = TASKS, groups: int = GROUPS) -> list[TaskRequest]:
    """`groups` apps of tasks/groups instances each; a quarter have UNIQUE hostname (10 instances), a quarter
    MAX_PER rack, a quarter GROUP_BY rack, the rest none."""
    per_group = tasks // groups
    result = []
    for g in range(groups):
        kind = g % 4
        if kind == 0:
            constraints, count = (Constraint.parse(["hostname", "UNIQUE"]),), per_group
        elif kind == 1:
            constraints, count = (Constraint.parse(["rack", "MAX_PER", "10"]),), per_group
        elif kind == 2:
            constraints, count = (Constraint.parse(["rack", "GROUP_BY", str(RACKS)]),), per_group
        else:
            constraints, count = (), per_group
        needs = ResourceRequest(cpus=0.5 + (g % 3) * 0.25, mem=256.0 * (1 + g % 4), disk=100.0, port_count=2)
        result += [TaskRequest(f"app{g}.{n}", f"/app{g}", needs, constraints) for n in range(count)]
    return result


def task_info(assignment, resources: list[dict]) -> dict:
    """A TaskInfo as the core's builder would make it."""
    return {"name": assignment.key, "task_id": {"value": assignment.key}, "agent_id": {"value": assignment.agent_id},
            "resources": resources, "command": {"value": "sleep 1000", "shell": True},
            "discovery": {"visibility": "FRAMEWORK", "name": assignment.key,
                          "ports": {"ports": [{"number": p, "protocol": "tcp"} for p in assignment.ports]}}}


def accept_bodies(infos_by_offer: dict[str, list[dict]], dumps=json.dumps) -> list:
    return [dumps({"framework_id": {"value": "m1-0000"}, "type": "ACCEPT",
                   "accept": {"offer_ids": [{"value": offer_id}],
                              "operations": [{"type": "LAUNCH", "launch": {"task_infos": infos}}],
                              "filters": {"refuse_seconds": 5.0}}})
            for offer_id, infos in infos_by_offer.items()]


def run_once(event: str, pending: list[TaskRequest], policy) -> tuple[float, float, int, float]:
    """(floor seconds, work seconds, tasks placed, floor seconds with mesosframe's encoder) for one round."""
    t0 = time.process_time()
    decoded = json.loads(event)                                              # floor: decode OFFERS
    t1 = time.process_time()
    views = [OfferView.from_mesos(o) for o in decoded["offers"]["offers"]]   # work: offer views,
    result = place(pending, views, (), policy)                               # placement,
    resources = [a.resources.to_mesos() for a in result.assignments]         # and resources back to JSON
    t2 = time.process_time()
    infos: dict[str, list[dict]] = {}                                        # (the core's TaskInfo builder)
    for assignment, resource_json in zip(result.assignments, resources):
        infos.setdefault(assignment.offer_id, []).append(task_info(assignment, resource_json))
    t3 = time.process_time()
    accept_bodies(infos)                                                     # floor: encode ACCEPTs
    t4 = time.process_time()
    accept_bodies(infos, encode)                                             # (as mesosframe's driver does)
    t5 = time.process_time()
    return (t1 - t0) + (t4 - t3), t2 - t1, len(result.assignments), (t1 - t0) + (t5 - t4)


def measure(event: str, pending: list[TaskRequest], name: str,
            repeat: int) -> list[tuple[float, float, int, float]]:
    """`repeat` timed runs of policy `name` after one untimed warm-up; each starts from a collected heap."""
    run_once(event, pending, POLICIES[name]())
    runs = []
    for _ in range(repeat):
        gc.collect()
        runs.append(run_once(event, pending, POLICIES[name]()))
    return runs


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark; returns the median ratio (work / floor, per run) for each policy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", choices=[*POLICIES, "all"], default="all")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--collector", choices=["process", "default"], default="process",
                        help="the garbage collector as settle_heap sets it (process) or CPython's defaults")
    args = parser.parse_args(argv)
    if args.collector == "process":
        settle_heap()                     # as a framework process does once started
    event = offers_event()
    pending = requests()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(pending)} tasks in {GROUPS} groups on {AGENTS} offers; load average {load:.2f} "
          f"on {os.cpu_count()} cpus; garbage collector thresholds {gc.get_threshold()}", flush=True)
    ratios = {}
    for name in (POLICIES if args.policy == "all" else [args.policy]):
        runs = measure(event, pending, name, args.repeat)
        for attempt, (floor, work, placed, own) in enumerate(runs, 1):
            print(f"{name} run {attempt}: floor {floor * 1000:.1f} ms, work {work * 1000:.1f} ms, "
                  f"ratio {work / floor:.2f}, placed {placed}/{len(pending)}; with orjson's encoding the floor "
                  f"is {own * 1000:.1f} ms, ratio {work / own:.2f}", flush=True)
        per_run = [work / floor for floor, work, _, _ in runs]
        per_run_own = [work / own for _, work, _, own in runs]
        ratios[name] = statistics.median(per_run)
        print(f"{name}: median ratio {ratios[name]:.2f} (min {min(per_run):.2f}, max {max(per_run):.2f}; "
              f"median floor {statistics.median(r[0] for r in runs) * 1000:.0f} ms, "
              f"median work {statistics.median(r[1] for r in runs) * 1000:.0f} ms; goal <= 2); against the floor "
              f"as mesosframe encodes (orjson): {statistics.median(per_run_own):.2f} (median floor "
              f"{statistics.median(r[3] for r in runs) * 1000:.0f} ms)", flush=True)
    return ratios


if __name__ == "__main__":
    main()
