"""A small PARTITION_AWARE framework (pymesos) for the topology tests; runs in a host of its own.

    python framework_proc.py --master zk://10.213.x.11:2181/mesos --instances 2 [--unique-hostname]

It keeps `instances` slots running `sleep` tasks. A slot whose task becomes unreachable, lost or terminal
gets a replacement; a TASK_RUNNING from a task that is no longer its slot's (a stale copy after a healed
partition) is killed. It reconciles implicitly every second and explicitly after every (re)subscription.
Every event is one JSON line on stdout: {"event": "subscribed"|"resubscribed"|"launch"|"update"|"kill_stale", ...}.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time

from pymesos import MesosSchedulerDriver, Scheduler

REPLACE_STATES = {"TASK_UNREACHABLE", "TASK_LOST", "TASK_GONE", "TASK_FAILED", "TASK_ERROR", "TASK_DROPPED",
                  "TASK_FINISHED", "TASK_KILLED", "TASK_UNKNOWN"}


def emit(event: str, **fields) -> None:
    print(json.dumps({"event": event, "time": time.time(), **fields}), flush=True)


class KeepRunning(Scheduler):
    def __init__(self, instances: int, unique: bool) -> None:
        self.lock = threading.Lock()
        self.unique = unique
        self.current: dict[str, str] = {}            # slot -> task id
        self.pending = [f"s{i}" for i in range(instances)]
        self.hosts: dict[str, str] = {}              # task id -> hostname
        self.agents: dict[str, str] = {}             # task id -> agent id
        self.generation = 0

    def registered(self, driver, framework_id, master_info) -> None:
        emit("subscribed", framework_id=framework_id["value"],
             master=f"{master_info['hostname']}:{master_info['port']}")

    def reregistered(self, driver, master_info) -> None:
        emit("resubscribed", master=f"{master_info['hostname']}:{master_info['port']}")
        with self.lock:
            known = [{"task_id": {"value": t}, "agent_id": {"value": self.agents[t]}} for t in self.current.values()]
        if known:
            driver.reconcileTasks(known)

    def resourceOffers(self, driver, offers) -> None:
        with self.lock:
            for offer in offers:
                used = {self.hosts[t] for t in self.current.values()}
                tasks = []
                while self.pending and not (self.unique and offer["hostname"] in used):
                    slot = self.pending.pop(0)
                    self.generation += 1
                    task_id = f"{slot}.{self.generation}"
                    self.current[slot] = task_id
                    self.hosts[task_id], self.agents[task_id] = offer["hostname"], offer["agent_id"]["value"]
                    used.add(offer["hostname"])
                    tasks.append({"task_id": {"value": task_id}, "agent_id": offer["agent_id"], "name": task_id,
                                  "command": {"value": "sleep 600", "shell": True},
                                  "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                                                {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}]})
                    emit("launch", task=task_id, slot=slot, hostname=offer["hostname"])
                if tasks:
                    driver.launchTasks(offer["id"], tasks)
                else:
                    driver.declineOffer(offer["id"], filters={"refuse_seconds": 1})

    def statusUpdate(self, driver, update) -> None:
        task_id, state = update["task_id"]["value"], update["state"]
        slot = task_id.split(".")[0]
        emit("update", task=task_id, state=state, hostname=self.hosts.get(task_id),
             reason=update.get("reason"), source=update.get("source"))
        with self.lock:
            is_current = self.current.get(slot) == task_id
            if state == "TASK_RUNNING" and not is_current:
                emit("kill_stale", task=task_id, hostname=self.hosts.get(task_id))
                driver.killTask({"value": task_id})
            elif state in REPLACE_STATES and is_current:
                del self.current[slot]
                self.pending.append(slot)
                driver.reviveOffers()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--master", required=True)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--unique-hostname", action="store_true")
    args = parser.parse_args()
    framework = {"user": "root", "name": "keep-running", "failover_timeout": 300.0, "checkpoint": True,
                 "capabilities": [{"type": "PARTITION_AWARE"}]}
    scheduler = KeepRunning(args.instances, args.unique_hostname)
    driver = MesosSchedulerDriver(scheduler, framework, args.master, use_addict=True)
    driver.start()

    def reconcile_forever() -> None:
        while True:
            time.sleep(1.0)
            try:
                driver.reconcileTasks([])
            except Exception as exc:   # not subscribed right now: try again next second
                emit("reconcile_failed", error=str(exc))

    threading.Thread(target=reconcile_forever, daemon=True).start()
    driver.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
