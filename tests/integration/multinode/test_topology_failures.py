"""Failures on the multi-node topology (root only): a cut agent link and a killed leading master, seen by a
PARTITION_AWARE pymesos framework running in a host of its own (`framework_proc.py`)."""
from __future__ import annotations

import json
import pathlib
import time

import pytest

from mesosframe.testing.topology import TopologySpec, wait_until

TOPOLOGY_SPEC = TopologySpec(longrun=0, cron=0)
FRAMEWORK = str(pathlib.Path(__file__).with_name("framework_proc.py"))
LOST = {"TASK_UNREACHABLE", "TASK_LOST", "TASK_GONE", "TASK_FAILED", "TASK_ERROR", "TASK_DROPPED", "TASK_UNKNOWN"}


class FrameworkLog:
    """The JSON events a framework process printed (its node's log also holds pymesos's own lines)."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path

    def events(self, kind: str | None = None) -> list[dict]:
        out = []
        for line in self.path.read_text(errors="replace").splitlines():
            if line.startswith('{"event"'):
                event = json.loads(line)
                if kind is None or event["event"] == kind:
                    out.append(event)
        return out

    def running(self) -> dict[str, str]:
        """task -> hostname of tasks whose latest update is TASK_RUNNING."""
        latest: dict[str, dict] = {}
        for event in self.events("update"):
            latest[event["task"]] = event
        return {t: e["hostname"] for t, e in latest.items() if e["state"] == "TASK_RUNNING"}

    def states(self, task: str) -> list[str]:
        return [e["state"] for e in self.events("update") if e["task"] == task]


def start_framework(top, node: str, *args: str) -> FrameworkLog:
    top.spawn(node, [FRAMEWORK, "--master", top.zk_url, *args])
    return FrameworkLog(top.log_path(node))


def node_of(top, ip: str) -> str:
    return next(name for name in top.agents if top.ip(name) == ip)


def test_cut_agent_tasks_become_unreachable_are_replaced_and_stale_copies_killed(topology):
    top = topology
    fw = start_framework(top, "fw1", "--instances", "2", "--unique-hostname")
    first = wait_until(lambda: len(fw.running()) == 2 and fw.running(), 30, "2 tasks running")
    assert len(set(first.values())) == 2                          # UNIQUE hostname on the real placement
    victim_task, victim_ip = sorted(first.items())[0]
    victim = node_of(top, victim_ip)
    top.hosts[victim].link_down()
    try:
        wait_until(lambda: "TASK_UNREACHABLE" in fw.states(victim_task), 30, f"{victim_task} unreachable")
        replaced = wait_until(lambda: len(fw.running()) == 2 and victim_task not in fw.running() and fw.running(),
                              30, "a replacement running elsewhere")
        assert victim_ip not in replaced.values() and len(set(replaced.values())) == 2
    finally:
        top.hosts[victim].link_up()
    wait_until(lambda: [e for e in fw.events("kill_stale") if e["task"] == victim_task], 40,
               f"the stale {victim_task} killed after the link came back")
    wait_until(lambda: fw.states(victim_task)[-1] == "TASK_KILLED", 30, f"{victim_task} TASK_KILLED")
    assert fw.running() == replaced                               # nothing doubled, nothing lost
    wait_until(lambda: len(top.master_state()["slaves"]) == 3, 30, "the cut agent active again")
    top.kill("fw1")


@pytest.fixture(scope="module")
def master_failover(topology):
    """Run a framework with 3 tasks, SIGKILL the leading master, follow the failover; restart the old
    master as a standby afterwards."""
    top = topology
    fw = start_framework(top, "fw2", "--instances", "3")
    before = wait_until(lambda: len(fw.running()) == 3 and fw.running(), 30, "3 tasks running")
    framework_id = fw.events("subscribed")[0]["framework_id"]
    old = top.leading_master()
    killed_at = time.time()
    top.kill(old)
    new = wait_until(lambda: (leader := top.leading_master()) not in (None, old) and leader, 30, "a new leader")
    wait_until(lambda: [e for e in fw.events("resubscribed") if e["master"].startswith(top.ip(new))], 30,
               "the framework resubscribed to the new leader")
    wait_until(lambda: len(top.master_state()["slaves"]) == 3, 30, "all agents re-registered with the new leader")
    time.sleep(3.0)                                               # a few implicit reconciliations
    state = top.master_state()
    top.start_master(old)
    yield {"log": fw, "before": before, "framework_id": framework_id, "old": old, "new": new, "state": state,
           "killed_at": killed_at}
    top.kill("fw2")


def test_killed_master_frameworks_and_agents_follow_the_new_leader(master_failover, topology):
    state = master_failover["state"]
    assert master_failover["new"] != master_failover["old"]
    assert [f["id"] for f in state["frameworks"] if f["name"] == "keep-running"
            and f["connected"]].count(master_failover["framework_id"]) == 1      # resubscribed, same id
    assert sorted(s["hostname"] for s in state["slaves"]) == sorted(topology.ip(a) for a in topology.agents)


def test_killed_master_loses_no_task(master_failover):
    fw, before = master_failover["log"], master_failover["before"]
    after = [e for e in fw.events("update") if e["time"] >= master_failover["killed_at"]]
    assert not [e for e in after if e["task"] in before and e["state"] in LOST]
    tasks = [t for f in master_failover["state"]["frameworks"] if f["id"] == master_failover["framework_id"]
             for t in f["tasks"] if t["state"] == "TASK_RUNNING"]           # fw1's tasks are adopted too
    assert sorted(t["id"] for t in tasks) == sorted(before)
