"""MesosLongrunService driven by hand: a fake core (context + synchronous submit) and a FakeClock."""
from __future__ import annotations

import itertools
import time
from concurrent.futures import Future
from dataclasses import replace

import pytest

from mesosframe.core.clock import FakeClock
from mesosframe.errors import NotLeaderError
from mesosframe.matching import NoMatch
from mesosframe.model.task import TaskRecord
from schedulers.longrun.mesos import KILL_RETRY_SECONDS, MesosLongrunService
from schedulers.longrun.spec import parse_app


class FakeContext:
    def __init__(self, records=None):
        self.records = records if records is not None else {}
        self.killed: list[str] = []
        self.wakes = 0

    def load(self, name):
        return self.records.get(name)

    def save(self, name, value):
        self.records[name] = value

    def kill(self, task_id):
        self.killed.append(task_id)

    def tasks(self):
        return []

    def wake(self):
        self.wakes += 1


class FakeFramework:
    framework_id = "fw-1"

    def submit(self, fn):
        future = Future()
        try:
            future.set_result(fn(self))
        except Exception as exc:
            future.set_exception(exc)
        return future


class Harness:
    def __init__(self, records=None, tasks=(), **options):
        self.clock = FakeClock(1000.0)
        self.service = MesosLongrunService(self.clock, **options)
        self.context = FakeContext(records)
        self.service.plugin.attach(self.context)
        self.service.bind(FakeFramework())
        self.service.plugin.recover(list(tasks))
        self.ids = itertools.count()
        self.records: dict[str, TaskRecord] = {}

    def launch(self, agent="a1"):
        out = []
        for demand in self.service.plugin.demand(self.clock.now()):
            record = TaskRecord(task_id=f"longrun.{demand.key}.{next(self.ids)}", plugin="longrun",
                                name=demand.spec.name, key=demand.key, agent_id=agent, hostname="h1")
            self.records[record.task_id] = record
            self.service.plugin.on_launched(record, self.clock.now())
            out.append(record)
        return out

    def status(self, task_id, state, healthy=None):
        record = replace(self.records[task_id], state=state, healthy=healthy)
        self.records[task_id] = record
        self.service.plugin.on_status(record, self.clock.now())

    def run_all(self, healthy=True):
        for record in self.launch():
            self.status(record.task_id, "RUNNING", healthy)
        self.service.tick()

    def kills_done(self):
        for task_id in list(self.context.killed):
            if task_id in self.service.state.tasks:
                self.status(task_id, "KILLED")
        self.service.tick()


def web(instances=2, **extra):
    return parse_app({"id": "/web", "cmd": "serve", "instances": instances, "cpus": 0.1, "mem": 16,
                      "healthChecks": [{"protocol": "MESOS_TCP", "portIndex": 0}], **extra})


def test_deploy_launches_one_demand_per_instance_and_finishes_when_healthy():
    h = Harness()
    h.service.create_app(web(3))
    demands = h.service.plugin.demand(h.clock.now())
    assert len({d.key for d in demands}) == 3 and demands[0].spec.command == "serve"
    assert {d.group for d in demands} == {"web"}
    for record in h.launch():
        h.status(record.task_id, "RUNNING", healthy=None)
    h.service.tick()
    assert h.service.deployments() != [], "running but not yet healthy is not done"
    for task_id in list(h.records):
        h.status(task_id, "RUNNING", healthy=True)
    h.service.tick()
    assert h.service.deployments() == []
    assert h.service.plugin.demand(h.clock.now()) == []
    assert "apps" in h.context.records and h.context.records["deployments"]["deployments"] == []


def test_rolling_restart_starts_one_then_kills_one():
    h = Harness()
    h.service.create_app(web(2, upgradeStrategy={"minimumHealthCapacity": 1.0, "maximumOverCapacity": 0.0}))
    h.run_all()
    old = set(h.service.state.tasks)
    h.service.restart_app("/web")
    h.service.tick()
    first = h.launch()
    assert len(first) == 1 and h.context.killed == []
    h.status(first[0].task_id, "RUNNING", True)
    h.service.tick()
    assert len(h.context.killed) == 1 and h.context.killed[0] in old
    for _ in range(4):
        h.kills_done()
        h.run_all()
    assert h.service.deployments() == []
    assert set(h.service.state.tasks).isdisjoint(old) and len(h.service.state.tasks) == 2


def test_a_failed_task_delays_its_replacement():
    h = Harness()
    h.service.create_app(web(1, healthChecks=[], backoffSeconds=10.0))
    h.run_all()
    (task_id,) = h.service.state.tasks
    h.status(task_id, "FAILED")
    h.service.tick()
    assert h.service.plugin.demand(h.clock.now()) == []
    (entry,) = h.service.queue()
    assert entry["count"] == 1 and entry["delay"]["timeLeftSeconds"] == pytest.approx(10.0)
    h.clock.advance(10.5)
    assert len(h.service.plugin.demand(h.clock.now())) == 1


def test_unknown_running_task_is_killed_and_queue_shows_offer_reasons():
    h = Harness()
    h.service.plugin.on_status(TaskRecord(task_id="stray", plugin="longrun", name="x", key="zzz", state="RUNNING"),
                               h.clock.now())
    assert h.context.killed == ["stray"]
    h.service.create_app(web(2))
    (first, _) = h.service.plugin.demand(h.clock.now())
    h.service.plugin.on_no_match(first.key, NoMatch(first.key, "web", {"cpus": 3, "constraint:hostname:UNIQUE": 1}, 4),
                                 h.clock.now())
    (entry,) = h.service.queue()
    summary = entry["processedOffersSummary"]
    assert summary["processedOffersCount"] == 4
    assert {r["reason"]: r["declined"] for r in summary["rejectSummaryLastOffers"]} == \
        {"cpus": 3, "constraint:hostname:UNIQUE": 1}


def test_a_new_leader_rebuilds_instances_and_resumes_the_deployment():
    h = Harness()
    h.service.create_app(web(2, upgradeStrategy={"minimumHealthCapacity": 1.0, "maximumOverCapacity": 0.0}))
    h.run_all()
    h.service.restart_app("/web")
    h.service.tick()
    h.launch()
    stored = dict(h.context.records)
    records = list(h.records.values()) + [TaskRecord(task_id="orphan", plugin="longrun", name="gone",
                                                     key="gone@v@1", state="RUNNING")]
    successor = Harness(records=stored, tasks=records)
    service = successor.service
    assert service.leading and [d["id"] for d in service.deployments()] == [d["id"] for d in h.service.deployments()]
    assert len(service.state.tasks) == 3 and successor.context.killed == ["orphan"]
    new_version = service.app("/web").versionInfo.lastConfigChangeAt
    assert sum(t.config_version == new_version for t in service.state.tasks.values()) == 1
    successor.records = {r.task_id: r for r in records if r.task_id != "orphan"}
    for task_id in list(successor.records):
        successor.status(task_id, "RUNNING", True)
    for _ in range(6):
        successor.service.tick()
        successor.kills_done()
        successor.run_all()
    assert service.deployments() == []
    assert {t.config_version for t in service.state.tasks.values()} == {new_version}


def test_unreachable_instances_are_replaced_then_expunged():
    h = Harness()
    h.service.create_app(web(1, healthChecks=[], unreachableStrategy={"inactiveAfterSeconds": 5,
                                                                      "expungeAfterSeconds": 20}))
    h.run_all()
    (task_id,) = h.service.state.tasks
    h.status(task_id, "UNREACHABLE")
    h.service.tick()
    assert h.service.plugin.demand(h.clock.now()) == []
    h.clock.advance(6)
    h.service.tick()
    assert len(h.launch()) == 1
    h.clock.advance(15)
    h.service.tick()
    assert task_id not in h.service.state.tasks and task_id in h.context.killed


def test_changes_need_leadership():
    h = Harness()
    h.service.leadership_changed("SUSPENDED")
    with pytest.raises(NotLeaderError):
        h.service.create_app(web())
    h.service.leadership_changed("RESUMED")
    h.service.create_app(web())
    h.service.leadership_changed("LOST")
    h.service.leadership_changed("RESUMED")
    assert not h.service.leading


def test_scheduler_side_check_failures_kill_even_during_a_deployment():
    h = Harness()
    h.service.create_app(web(1, healthChecks=[{"protocol": "HTTP", "portIndex": 0, "gracePeriodSeconds": 0,
                                               "maxConsecutiveFailures": 2}]))
    (record,) = h.launch()
    h.status(record.task_id, "RUNNING")
    assert h.service.deployments() != []
    h.service.report_health(record.task_id, False)
    assert h.context.killed == []
    h.service.report_health(record.task_id, False)
    assert h.context.killed == [record.task_id]
    assert h.service.state.tasks[record.task_id].healthy is False


def test_replace_before_kill_outside_deployments():
    h = Harness()
    h.service.create_app(web(2, healthChecks=[{"protocol": "HTTP", "portIndex": 0, "gracePeriodSeconds": 0,
                                               "maxConsecutiveFailures": 1}]))
    for record in h.launch():
        h.status(record.task_id, "RUNNING")
        h.service.report_health(record.task_id, True)
    assert h.service.deployments() == []
    sick = next(iter(h.service.state.tasks))
    h.service.report_health(sick, False)
    assert h.context.killed == [] and len(h.service.plugin.demand(h.clock.now())) == 1
    (replacement,) = h.launch()
    h.status(replacement.task_id, "RUNNING")
    h.service.report_health(replacement.task_id, True)
    h.service.tick()
    assert h.context.killed == [sick]


def test_a_lost_apps_write_is_repaired_from_the_newest_deployment():
    h = Harness()
    h.service.create_app(web(2))
    h.run_all()
    stale_apps = dict(h.context.records["apps"])
    h.service.update_apps([web(2, cmd="serve --v2")])
    stored = {**h.context.records, "apps": stale_apps}     # the leader died between the two writes
    successor = Harness(records=stored, tasks=list(h.records.values()))
    assert successor.service.app("/web").cmd == "serve --v2"
    assert [d["id"] for d in successor.service.deployments()] == [d["id"] for d in h.service.deployments()]


def test_a_status_update_asks_for_a_step_and_the_step_kills_as_instances_turn_healthy():
    h = Harness()
    h.service.create_app(web(4, upgradeStrategy={"minimumHealthCapacity": 0.75, "maximumOverCapacity": 1.0}))
    h.run_all()
    h.service.restart_app("/web")
    assert len(h.context.killed) == 1            # 4 healthy, minimum 3: one old instance goes at once
    new = h.launch()
    assert len(new) == 4                         # capacity 8: every new instance starts at once
    h.service.stepping.clear()
    h.status(h.context.killed[0], "KILLING")
    assert not h.service.stepping.is_set()       # a kill under way frees nothing yet: no early step
    h.status(new[0].task_id, "RUNNING", healthy=True)
    assert h.service.stepping.is_set()
    h.service.tick()
    assert len(h.context.killed) == 2            # one more healthy instance: one more old one may go


def test_a_kill_without_an_answer_is_sent_again():
    h = Harness()
    h.service.create_app(web(2))
    h.run_all()
    victim = next(iter(h.service.state.tasks))
    h.service.kill_tasks([victim])
    h.service.tick()
    assert h.context.killed == [victim]
    h.clock.advance(KILL_RETRY_SECONDS - 1)
    h.service.tick()
    assert h.context.killed == [victim]              # not yet: the first kill may still be under way
    h.clock.advance(1)
    h.service.tick()
    assert h.context.killed == [victim, victim]      # lost (a leader died, or the core was not subscribed)
    h.status(victim, "KILLED")
    h.clock.advance(KILL_RETRY_SECONDS)
    h.service.tick()
    assert h.context.killed.count(victim) == 2       # answered: never again


def test_instances_take_ports_and_attributes_from_the_cores_records_and_older_records_ask_the_master():
    h = Harness()
    h.service.create_app(web(1))
    (demand,) = h.service.plugin.demand(h.clock.now())
    record = TaskRecord(task_id="longrun.new.1", plugin="longrun", name="web", key=demand.key, agent_id="a1",
                        hostname="h1", ports=(31004,), attributes={"rack": "r1"})
    h.service.plugin.on_launched(record, h.clock.now())
    task = h.service.state.tasks["longrun.new.1"]
    assert (task.ports, task.attributes, task.placed) == ([31004], {"hostname": "h1", "rack": "r1"}, True)
    recovered = Harness(records=dict(h.context.records), tasks=[
        replace(record, state="RUNNING"),
        replace(record, task_id="longrun.old.2", key=record.key.replace("@1", "@2"), state="RUNNING", ports=(),
                attributes={})])                     # written before records kept them
    placed = {t.id: (t.ports, t.placed) for t in recovered.service.state.tasks.values()}
    assert placed == {"longrun.new.1": ([31004], True), "longrun.old.2": ([], False)}


def test_the_core_going_idle_ends_a_deployment_at_once_when_a_status_asked_for_a_step():
    h = Harness()
    h.service.create_app(web(2))
    for record in h.launch():
        h.status(record.task_id, "RUNNING", healthy=True)
    assert h.service.deployments() != [] and h.service.stepping.is_set()
    h.service.plugin.on_idle(h.clock.now())          # no Ticker involved
    assert h.service.deployments() == []
    assert not h.service.stepping.is_set()


def test_an_idle_core_does_not_step_without_a_status_asking_or_too_soon_after_a_costly_step():
    h = Harness()
    h.service.create_app(web(2))
    for record in h.launch():
        h.status(record.task_id, "RUNNING", healthy=True)
    h.service.stepping.clear()
    h.service.plugin.on_idle(h.clock.now())
    assert h.service.deployments() != [], "stepped although no status asked for it"
    h.service.stepping.set()
    h.service.pacing.ran(time.perf_counter(), time.perf_counter() + 3600)   # as if the last step had cost an hour
    h.service.plugin.on_idle(h.clock.now())
    assert h.service.deployments() != [] and h.service.stepping.is_set()   # still asked for: the Ticker will


def test_a_huge_app_is_offered_to_the_core_a_window_of_instances_at_a_time():
    from schedulers.longrun.runner import LAUNCH_WINDOW
    h = Harness()
    h.service.create_app(web(2**31 - 1))
    demands = h.service.plugin.demand(h.clock.now())
    assert len(demands) == LAUNCH_WINDOW         # more as these launch; never 2^31 keys at once
