"""Offer cycle of the local master: build and encode one OFFERS event for every agent.

Measured: one allocation pass (DRF ordering, filters, offer records, Mesos JSON, RecordIO encoding) over
N simulated agents for one framework. Baseline, in the same run: just json-encoding those same offers into
RecordIO. Goals: <= 100 ms for 1,000 agents and ratio <= 3.
Run: `python bench/local_offers.py [--agents 1000 10000] [--repeat 5]`.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from mesosframe.core.clock import SystemClock
from mesosframe.local.master import Master, MasterOptions, record
from mesosframe.local.protocol import AgentHandle, AgentInfo

RESOURCES = [
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 16.0}},
    {"name": "mem", "type": "SCALAR", "scalar": {"value": 65536.0}},
    {"name": "disk", "type": "SCALAR", "scalar": {"value": 400000.0}},
    {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 32000}]}},
]


class IdleAgent(AgentHandle):
    """An agent that only exists to be offered."""

    def __init__(self, info: AgentInfo) -> None:
        self.info = info

    def launch_tasks(self, framework, tasks, executor=None): ...
    def kill_task(self, framework_id, task_id, kill_policy=None): ...
    def acknowledge(self, framework_id, task_id, uuid): ...
    def shutdown_framework(self, framework_id): ...
    def shutdown_executor(self, framework_id, executor_id): ...
    def framework_message(self, framework_id, executor_id, data): ...
    def reregister_tasks(self): return []
    def stop(self): ...


class EncodingSink:
    """Encodes every event as the HTTP stream would, and keeps the last OFFERS event."""

    def __init__(self) -> None:
        self.offers_event = None
        self.bytes = 0

    def send(self, event: dict) -> None:
        self.bytes += len(record(event))
        if event["type"] == "OFFERS":
            self.offers_event = event

    def close(self) -> None: ...


def setup(agents: int):
    loop = asyncio.new_event_loop()
    master = Master(MasterOptions(), loop=loop, clock=SystemClock(), master_id="bench")
    for i in range(agents):
        info = AgentInfo(agent_id=f"bench-S{i}", hostname=f"agent-{i:05d}.example", port=5051,
                         resources=RESOURCES,
                         attributes=[{"name": "rack", "type": "TEXT", "text": {"value": f"r{i % 20}"}}])
        master.register_agent(IdleAgent(info))
    sink = EncodingSink()
    master.subscribe({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "b", "name": "b"}}}, sink)
    return loop, master, sink


def cycle(master: Master, sink: EncodingSink) -> float:
    """One allocation pass (timed), then rescind everything so the next pass starts equal."""
    start = time.perf_counter()
    made = master.allocator.allocate()
    elapsed = time.perf_counter() - start
    assert made == len(master.agents), (made, len(master.agents))
    for offer_id in list(master.offers):
        master.allocator.rescind(offer_id, notify=False)
    master.allocator._pending = True      # the pass is driven by hand here, not by the loop
    return elapsed


def run(agents: int, repeat: int) -> dict:
    loop, master, sink = setup(agents)
    times = [cycle(master, sink) for _ in range(repeat)]
    event = sink.offers_event
    encode = []
    for _ in range(repeat):
        start = time.perf_counter()
        record(event)
        encode.append(time.perf_counter() - start)
    loop.close()
    measured, baseline = statistics.median(times), statistics.median(encode)
    return {"agents": agents, "ms": measured * 1000, "baseline_ms": baseline * 1000,
            "ratio": measured / baseline}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for agents in args.agents:
        print(f"local_offers: {agents} agents, {args.repeat} passes ...", flush=True)
        r = run(agents, args.repeat)
        goal = "  (goal <= 100 ms, ratio <= 3)" if agents == 1000 else ""
        print(f"local_offers: agents={r['agents']} pass={r['ms']:.1f} ms json-encode baseline="
              f"{r['baseline_ms']:.1f} ms ratio={r['ratio']:.2f}{goal}", flush=True)


if __name__ == "__main__":
    main()
