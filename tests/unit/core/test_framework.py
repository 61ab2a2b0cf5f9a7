"""The core loop with FakeDriver + FakeClock: offers answered, suppress/revive, persist-before-launch,
acks after persist, pause while suspended, framework ID reuse, watchdog."""
from __future__ import annotations

import pytest

from mesosframe.core.clock import FakeClock
from mesosframe.core.engine import FrameworkRemovedError
from mesosframe.core.events import (Disconnected, FrameworkError, LeadershipChanged, OffersReceived,
                                    TaskStatusUpdated)
from mesosframe.core.framework import Framework
from mesosframe.core.offer_rounds import answerable
from mesosframe.driver.fake import FakeDriver
from mesosframe.errors import NotSubscribedError, StoreUnavailableError
from mesosframe.state import MemoryStateStore
from mesosframe.tasks.spec import TaskGroupSpec, TaskSpec

from core_helpers import ListPlugin, offer, status


class LoggingStore(MemoryStateStore):
    def __init__(self, log: list, fail: bool = False) -> None:
        super().__init__()
        self.log, self.fail = log, fail

    def put(self, key, value, expected_version):
        if self.fail:
            raise StoreUnavailableError("down")
        self.log.append(("put", key))
        return super().put(key, value, expected_version)


class LoggingDriver(FakeDriver):
    def __init__(self, log: list) -> None:
        super().__init__()
        self.log = log

    def _call(self, *call):
        super()._call(*call)
        self.log.append(call[:1])


def make(plugins, store=None, log=None, **kw):
    log = [] if log is None else log
    driver = LoggingDriver(log)
    clock = FakeClock()
    fw = Framework("fw", plugins, driver=driver, store=store or LoggingStore(log), clock=clock, **kw)
    fw.start(thread=False)
    fw.step()
    return fw, driver, clock, log


def subscribed(plugins, **kw):
    fw, driver, clock, log = make(plugins, **kw)
    driver.subscribe("F-0001")
    fw.step()
    return fw, driver, clock, log


def offered(driver, fw, *offers):
    driver.emit(OffersReceived(tuple(offers)))
    fw.step()


def answered_offer_ids(driver) -> list[str]:
    ids = [c[1] for c in driver.named("accept")]
    for c in driver.named("decline"):
        ids.extend(c[1])
    return ids


@pytest.mark.parametrize("n_tasks,offers,accepted,declined", [
    (0, [offer(offer_id="A")], 0, 1),
    (1, [offer(offer_id="A"), offer("a2", offer_id="B")], 1, 1),
    (3, [offer(offer_id="A", cpus=4)], 1, 0),                        # several tasks on one offer
    (5, [offer(offer_id="A", cpus=2), offer("a2", offer_id="B", cpus=2)], 2, 0),
    (2, [offer(offer_id="A", cpus=0.5), offer("a2", offer_id="B", mem=10)], 0, 2),
])
def test_every_offer_is_answered_once(n_tasks, offers, accepted, declined):
    plugin = ListPlugin(keys=[f"k{i}" for i in range(n_tasks)])
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, *offers)
    assert sorted(answered_offer_ids(driver)) == sorted(o["id"]["value"] for o in offers)
    assert len(driver.named("accept")) == accepted
    assert len(driver.named("decline")) == (1 if declined else 0)


def test_records_persisted_before_accept_and_ack_after_persist():
    plugin = ListPlugin(keys=["a"])
    fw, driver, clock, log = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"))
    (task_id,) = fw.engine.records
    assert log.index(("put", f"frameworks/fw/tasks/{task_id}")) < log.index(("accept",))
    log.clear()
    driver.emit(TaskStatusUpdated(status(task_id, "RUNNING")))
    fw.step()
    assert log == [("put", f"frameworks/fw/tasks/{task_id}"), ("acknowledge",)]
    assert plugin.seen == [("a", "RUNNING")]


def test_a_batch_waits_for_its_accepts_to_be_written_before_plugin_callbacks():
    log: list = []

    class Launched(ListPlugin):
        def on_launched(self, task, now):
            log.append(("on_launched",))

    class Waiting(LoggingDriver):
        def wait_sent(self, timeout):
            log.append(("wait_sent", timeout))

    driver = Waiting(log)
    fw = Framework("fw", [Launched(keys=["a", "b"])], driver=driver, store=MemoryStateStore(), clock=FakeClock())
    fw.start(thread=False)
    fw.step()
    driver.subscribe("F-0001")
    fw.step()
    log.clear()
    offered(driver, fw, offer(offer_id="A"))
    calls = [entry[0] for entry in log if entry[0] in ("accept", "wait_sent", "on_launched")]
    assert calls == ["accept", "wait_sent", "on_launched", "on_launched"]
    assert ("wait_sent", fw.accept_wait) in log


def test_a_launch_whose_accept_cannot_be_sent_is_reverted_and_not_told_to_its_plugin():
    class Launched(ListPlugin):
        launched: list = []

        def on_launched(self, task, now):
            self.launched.append(task.key)

    class Unsubscribed(FakeDriver):
        def accept(self, offer_id, operations, refuse_seconds):
            raise NotSubscribedError("ACCEPT not sent: not subscribed")

    plugin, driver = Launched(keys=["a"]), Unsubscribed()
    fw = Framework("fw", [plugin], driver=driver, store=MemoryStateStore(), clock=FakeClock())
    fw.start(thread=False)
    fw.step()
    driver.subscribe("F-0001")
    fw.step()
    offered(driver, fw, offer(offer_id="A"))
    assert plugin.launched == [] and fw.engine.records == {} and fw.store.list("frameworks/fw/tasks") == []
    driver.accept = FakeDriver.accept.__get__(driver)           # subscribed again: the key is launched anew
    offered(driver, fw, offer(offer_id="B"))
    assert plugin.launched == ["a"] and [c[1] for c in driver.named("accept")] == ["B"]


def test_suppress_when_no_demand_and_revive_when_it_returns():
    plugin = ListPlugin(keys=["a"], retries=1)
    fw, driver, clock, log = subscribed([plugin])
    assert driver.named("revive")
    offered(driver, fw, offer(offer_id="A"))
    assert driver.calls[-1][0] == "suppress"          # all demand launched
    (task_id,) = fw.engine.records
    driver.emit(TaskStatusUpdated(status(task_id, "FAILED")))
    fw.step()
    assert driver.calls[-1][0] == "revive"            # retry wanted
    offered(driver, fw, offer(offer_id="B"))
    new_id = [t for t in fw.engine.records if t != task_id][0]
    driver.emit(TaskStatusUpdated(status(new_id, "FINISHED")))
    fw.step()
    toggles = [c[0] for c in driver.calls if c[0] in ("suppress", "revive")]
    assert plugin.is_done() and toggles == ["revive", "suppress", "revive", "suppress"]
    offered(driver, fw, offer(offer_id="C"))
    assert driver.calls[-1] == ("decline", ("C",), 120.0)


def test_no_match_reasons_are_queryable_and_told_to_plugin():
    plugin = ListPlugin(keys=["big"], spec=TaskSpec(name="big", command="x", cpus=64, mem=10))
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"), offer("a2", offer_id="B"))
    reasons = fw.pending_reasons()
    fw.step()
    nomatch = reasons.result(timeout=0)["p/big"]
    assert nomatch.reasons == {"cpus": 2} and plugin.no_match["big"] is nomatch


def test_invalid_spec_is_reported_not_launched_and_offer_declined():
    plugin = ListPlugin(keys=["bad"], spec=TaskSpec(name="bad name", command="x"))
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"))
    assert plugin.invalid["bad"].path == "name"
    assert driver.named("decline") and not driver.named("accept")


def test_priority_then_fairness_between_plugins():
    low = ListPlugin("low", keys=["l0", "l1"], priority=0)
    high = ListPlugin("high", keys=["h0", "h1"], priority=10)
    fw, driver, *_ = subscribed([low, high])
    offered(driver, fw, offer(offer_id="A", cpus=2.0))
    assert {r.plugin for r in fw.engine.records.values()} == {"high"}
    a, b = ListPlugin("a", keys=["a0", "a1", "a2"]), ListPlugin("b", keys=["b0", "b1", "b2"])
    fw, driver, *_ = subscribed([a, b])
    offered(driver, fw, offer(offer_id="A", cpus=4.0))
    plugins = sorted(r.plugin for r in fw.engine.records.values())
    assert plugins == ["a", "a", "b", "b"]


def test_store_failure_declines_launch_and_skips_ack():
    log: list = []
    store = LoggingStore(log)
    plugin = ListPlugin(keys=["a"])
    fw, driver, *_ = subscribed([plugin], store=store, log=log)
    store.fail = True
    offered(driver, fw, offer(offer_id="A"))
    assert not driver.named("accept") and driver.named("decline")[-1][1] == ("A",)
    assert fw.engine.records == {} and fw.engine.active == {}
    driver.emit(TaskStatusUpdated(status("p.a.x", "RUNNING")))


def test_accept_not_sent_when_disconnected_reverts_the_launch():
    plugin = ListPlugin(keys=["a"])
    fw, driver, *_ = subscribed([plugin])
    driver.subscribed = False                       # the stream broke, event not yet seen
    offered(driver, fw, offer(offer_id="A"))
    assert fw.engine.records == {} and fw.store.list("frameworks/fw/tasks") == []


def test_unknown_running_task_is_killed_and_acknowledged():
    fw, driver, *_ = subscribed([ListPlugin(keys=[])])
    driver.emit(TaskStatusUpdated(status("stranger", "RUNNING")))
    fw.step()
    assert driver.named("kill") == [("kill", "stranger", "a1")] and driver.named("acknowledge")


def test_master_generated_status_without_uuid_is_not_acknowledged():
    plugin = ListPlugin(keys=["a"])
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"))
    (task_id,) = fw.engine.records
    driver.emit(TaskStatusUpdated(status(task_id, "LOST", uuid=False)))
    fw.step()
    assert not driver.named("acknowledge") and fw.engine.records[task_id].state == "LOST"


def test_suspended_makes_no_decisions_and_resumed_reconciles():
    plugin = ListPlugin(keys=["a", "b"])
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A", cpus=1))
    (task_id,) = fw.engine.records
    fw.loop.put(LeadershipChanged("SUSPENDED"))
    fw.step()
    before = list(driver.calls)
    offered(driver, fw, offer(offer_id="B"))
    driver.emit(TaskStatusUpdated(status(task_id, "RUNNING")))
    fw.step()
    assert driver.calls == before and fw.engine.records[task_id].state == "STAGING"
    fw.loop.put(LeadershipChanged("RESUMED"))
    fw.step()
    assert driver.calls[len(before)] == ("reconcile", ((task_id, "a1"),))


def test_lost_leadership_stops_driver_with_failover():
    fw, driver, *_ = subscribed([ListPlugin(keys=["a"])])
    fw.loop.put(LeadershipChanged("LOST"))
    fw.step()
    assert driver.stopped == [True] and fw.engine.paused and not fw.leading


def test_framework_id_persisted_and_reused_by_next_leader():
    store = MemoryStateStore()
    plugin = ListPlugin(keys=["a"])
    fw, driver, *_ = subscribed([plugin], store=store)
    offered(driver, fw, offer(offer_id="A"))
    (task_id,) = fw.engine.records
    # a second instance on the same store
    fw2, driver2, *_ = make([ListPlugin(keys=["a"])], store=store)
    assert driver2.framework_info["id"] == {"value": "F-0001"}
    assert task_id in fw2.engine.records and ("p", "a") in fw2.engine.active
    driver2.subscribe("F-0001")
    fw2.step()
    assert driver2.named("reconcile")[0] == ("reconcile", ((task_id, "a1"),))
    offered(driver2, fw2, offer(offer_id="B"))
    assert not driver2.named("accept")                # the task may be running: never launched twice


def test_master_error_surfaces_typed_error_and_stops_deciding():
    fw, driver, *_ = subscribed([ListPlugin(keys=["a"])])
    driver.emit(FrameworkError("Framework has been removed"))
    fw.step()
    assert isinstance(fw.error, FrameworkRemovedError) and fw.engine.paused
    assert driver.stopped == [True]                   # no silent re-registration under a new ID
    assert fw.run_until_done(timeout=0.01) is False


def test_heartbeat_watchdog_reconnects():
    fw, driver, clock, _ = subscribed([ListPlugin(keys=[])])
    clock.advance(74.0)
    fw.step()
    assert not driver.named("reconnect")
    clock.advance(2.0)
    fw.step()
    assert driver.named("reconnect")


def test_explicit_reconciliation_retried_until_fresh():
    plugin = ListPlugin(keys=["a"])
    fw, driver, clock, _ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"))
    (task_id,) = fw.engine.records
    driver.emit(Disconnected())
    driver.subscribe("F-0001")
    fw.step()
    n = len(driver.named("reconcile"))
    clock.advance(1.0)
    fw.step()
    assert len(driver.named("reconcile")) == n + 1
    driver.emit(TaskStatusUpdated(status(task_id, "RUNNING", uuid=False)))
    fw.step()
    clock.advance(100.0)
    fw.step()
    assert len(driver.named("reconcile")) == n + 1


def test_kill_command_future():
    plugin = ListPlugin(keys=["a"])
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"))
    (task_id,) = fw.engine.records
    future = fw.kill(task_id)
    missing = fw.kill("nope")
    fw.step()
    future.result(timeout=0)
    assert driver.named("kill") == [("kill", task_id, "a1")]
    with pytest.raises(KeyError):
        missing.result(timeout=0)


def test_task_group_is_launched_with_launch_group():
    group = TaskGroupSpec("pod", (TaskSpec(name="a", command="x"), TaskSpec(name="b", command="y")))
    plugin = ListPlugin(keys=["g"], spec=group)
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"))
    (accept,) = driver.named("accept")
    (op,) = accept[2]
    assert op["type"] == "LAUNCH_GROUP" and len(op["launch_group"]["task_group"]["tasks"]) == 2
    assert len(fw.engine.records) == 2 and len(fw.engine.active[("p", "g")]) == 2


def test_task_unknown_too_long_is_killed_and_replaced():
    from mesosframe.core.engine import EngineConfig
    plugin = ListPlugin(keys=["a"])
    fw, driver, clock, _ = subscribed([plugin], config=EngineConfig(replace_unknown_after=30.0,
                                                                    housekeeping_interval=10.0))
    offered(driver, fw, offer(offer_id="A"))
    (old,) = fw.engine.records
    driver.emit(TaskStatusUpdated(status(old, "UNKNOWN", uuid=False)))
    fw.step()
    clock.advance(20.0)
    fw.step()
    assert not driver.named("kill") and ("p", "a") in fw.engine.active
    clock.advance(10.0)
    fw.step()
    assert driver.named("kill") == [("kill", old, "a1")] and ("p", "a") not in fw.engine.active
    offered(driver, fw, offer(offer_id="B"))
    assert len(driver.named("accept")) == 2
    assert fw.engine.records[old].goal == "STOPPED"


def test_launches_per_offer_are_capped_and_the_rest_comes_back_at_once():
    from mesosframe.core.engine import EngineConfig
    plugin = ListPlugin(keys=[f"k{i}" for i in range(5)], spec=TaskSpec(name="s", command="x", cpus=0.1, mem=1))
    fw, driver, *_ = subscribed([plugin], config=EngineConfig(max_tasks_per_offer=2))
    offered(driver, fw, offer(offer_id="A"))
    (accept,) = driver.named("accept")
    assert len(accept[2]) == 2 and accept[3] == 0.0          # capped: refuse 0 to get the rest back
    assert fw.engine.no_match == {}                           # left-over demand is pending, not "unplaced"
    names = [c[0] for c in driver.calls]
    assert names.index("revive", names.index("accept")) > names.index("accept")   # a pass now, not next interval
    assert driver.calls[-1][0] != "suppress"                  # demand remains: stay revived


def test_without_a_cap_one_offer_takes_all_the_demand_it_fits():
    plugin = ListPlugin(keys=[f"k{i}" for i in range(300)], spec=TaskSpec(name="s", command="x", cpus=0.01, mem=1))
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"))
    (accept,) = driver.named("accept")
    assert len(accept[2]) == 300


def test_what_the_cap_cuts_off_one_offer_goes_to_the_others_instead_of_declining_them():
    from mesosframe.core.engine import EngineConfig
    plugin = ListPlugin(keys=[f"k{i}" for i in range(5)], spec=TaskSpec(name="s", command="x", cpus=0.1, mem=1))
    fw, driver, *_ = subscribed([plugin], config=EngineConfig(max_tasks_per_offer=2))
    offered(driver, fw, offer(offer_id="A", agent="a1"), offer(offer_id="B", agent="a2"),
            offer(offer_id="C", agent="a3"))
    accepts = {a[1]: a for a in driver.named("accept")}
    assert sorted(len(a[2]) for a in accepts.values()) == [1, 2, 2]   # 5 tasks over 3 offers, <= 2 each
    assert driver.named("decline") == []                               # no offer turned away
    assert fw.engine.no_match == {}


def test_new_demand_revives_even_when_not_suppressed():
    plugin = ListPlugin(keys=["k0", "k1"], spec=TaskSpec(name="s", command="x", cpus=4, mem=1))
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"))              # k0 placed; k1 waits (filters may hold offers back)
    revives = [c[0] for c in driver.calls].count("revive")

    def more(_):
        plugin.wanted.append("k2")
        plugin.context.wake()
    fw.submit(more)
    fw.step()
    assert [c[0] for c in driver.calls].count("revive") == revives + 1   # a pass now, filters cleared
    fw.submit(lambda _: plugin.context.wake())
    fw.step()
    assert [c[0] for c in driver.calls].count("revive") == revives + 1   # nothing new: no second REVIVE


def test_a_launched_tasks_record_keeps_its_ports_and_agent_attributes_across_a_new_leader():
    store = MemoryStateStore()
    spec = TaskSpec(name="web", command="serve", cpus=1.0, mem=64.0, ports=2)
    fw, driver, *_ = subscribed([ListPlugin(keys=["a"], spec=spec)], store=store)
    offered(driver, fw, offer(offer_id="A", ports=(31000, 31009), attributes={"rack": "r1"}))
    (record,) = fw.engine.records.values()
    assert record.ports == (31000, 31001) and record.attributes == {"rack": "r1"}
    fw2, *_ = make([ListPlugin(keys=["a"], spec=spec)], store=store)
    assert fw2.engine.records[record.task_id] == record            # read back from the store as written


def test_constraints_count_recovered_instances_on_agents_not_offered_by_their_recorded_attributes():
    store = MemoryStateStore()
    spec = TaskSpec(name="web", command="serve", cpus=1.0, mem=64.0, constraints=(("rack", "UNIQUE"),))
    fw, driver, *_ = subscribed([ListPlugin(keys=["a"], spec=spec)], store=store)
    offered(driver, fw, offer("a1", offer_id="A", attributes={"rack": "r1"}))
    plugin = ListPlugin(keys=["a", "b"], spec=spec)
    fw2, driver2, *_ = make([plugin], store=store)            # a new leader: it has seen no offer from a1
    driver2.subscribe("F-0001")
    fw2.step()
    offered(driver2, fw2, offer("a2", offer_id="B", attributes={"rack": "r1"}))
    assert not driver2.named("accept")                        # rack r1 already has an instance (on a1)
    offered(driver2, fw2, offer("a3", offer_id="C", attributes={"rack": "r2"}))
    assert [c[1] for c in driver2.named("accept")] == ["C"]


class IdleListPlugin(ListPlugin):
    """Counts `on_idle` calls, with how many statuses it had seen at each; may add demand or fail there."""

    def __init__(self, *args, fail: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.idle_at: list[int] = []
        self.fail = fail
        self.add_on_idle: list[str] = []

    def on_idle(self, now):
        self.idle_at.append(len(self.seen))
        self.wanted += self.add_on_idle
        if self.add_on_idle:
            self.add_on_idle = []
            self.context.wake()
        if self.fail:
            raise RuntimeError("bug in on_idle")


def test_a_plugin_hears_once_that_a_burst_of_statuses_is_over():
    plugin = IdleListPlugin(keys=["a", "b", "c"], spec=TaskSpec(name="s", command="x", cpus=0.1, mem=1))
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"))
    calls = len(plugin.idle_at)
    for task_id in fw.engine.records:
        driver.emit(TaskStatusUpdated(status(task_id, "RUNNING")))
    fw.step()
    assert plugin.idle_at[calls:] == [3]             # once, after all three statuses


def test_on_idle_runs_only_while_leading():
    plugin = IdleListPlugin(keys=["a"])
    fw, driver, *_ = subscribed([plugin])
    fw.submit(lambda _: None)
    fw.step()
    assert plugin.idle_at, "a leading framework's plugin hears of idle turns"
    fw.loop.put(LeadershipChanged("LOST"))
    fw.step()
    calls = len(plugin.idle_at)
    fw.submit(lambda _: None)
    fw.step()
    assert len(plugin.idle_at) == calls


def test_demand_added_in_on_idle_is_acted_on_in_the_same_pass_and_a_failing_on_idle_is_logged(caplog):
    plugin = IdleListPlugin(keys=["k0"], spec=TaskSpec(name="s", command="x", cpus=0.1, mem=1), fail=True)
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"))
    revives = [c[0] for c in driver.calls].count("revive")
    plugin.add_on_idle = ["k1"]
    fw.submit(lambda _: None)
    fw.step()
    assert [c[0] for c in driver.calls].count("revive") == revives + 1    # re-evaluated after on_idle
    assert "plugin_failed plugin=p method=on_idle" in caplog.text


@pytest.mark.parametrize("bad", [dict(cpus=1e308), dict(mem=float("nan")), dict(kill_grace_seconds=1e300)])
def test_a_spec_out_of_range_is_reported_invalid_and_blocks_nobody_else(bad):
    """Such a spec had made the offer round raise: no ACCEPT and no DECLINE, for every plugin."""
    broken = ListPlugin(name="broken", keys=["b"], spec=TaskSpec(name="b", command="x", **{"cpus": 0.1, "mem": 1, **bad}))
    fine = ListPlugin(name="fine", keys=["f"], spec=TaskSpec(name="f", command="x", cpus=0.1, mem=1))
    fw, driver, *_ = subscribed([broken, fine])
    offered(driver, fw, offer(offer_id="A"), offer(offer_id="B", agent="a2"))
    launched = [r.plugin for r in fw.engine.records.values()]
    assert launched == ["fine"]
    assert set(broken.invalid) == {"b"} and str(broken.invalid["b"]).startswith(next(iter(bad)))
    answered = {a[1] for a in driver.named("accept")} | {o for d in driver.named("decline") for o in d[1]}
    assert answered == {"A", "B"}


@pytest.mark.parametrize("odd", [dict(cpus=1e308), dict(mem=-5.0)])
def test_an_offer_that_cannot_be_read_is_declined_and_the_others_are_used(odd, caplog):
    plugin = ListPlugin(keys=["a", "b"], spec=TaskSpec(name="s", command="x", cpus=0.1, mem=1))
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="ODD", agent="a9", **odd), offer(offer_id="A"))
    assert [a[1] for a in driver.named("accept")] == ["A"] and len(fw.engine.records) == 2
    assert any("ODD" in d[1] for d in driver.named("decline"))
    assert "offer_unreadable offer=ODD" in caplog.text


class DemandFails(ListPlugin):
    def demand(self, now):
        raise RuntimeError("bug in demand")


class NextDemandFails(ListPlugin):
    def next_demand_at(self, now):
        raise RuntimeError("bug in next_demand_at")


@pytest.mark.parametrize("broken_class, method", [(DemandFails, "demand"), (NextDemandFails, "next_demand_at")])
def test_a_plugin_that_raises_is_logged_and_the_others_still_launch(broken_class, method, caplog):
    broken = broken_class(name="broken", keys=["b"], spec=TaskSpec(name="b", command="x", cpus=0.1, mem=1))
    fine = ListPlugin(name="fine", keys=["f"], spec=TaskSpec(name="f", command="x", cpus=0.1, mem=1))
    fw, driver, *_ = subscribed([broken, fine])
    offered(driver, fw, offer(offer_id="A"))
    assert "fine" in {r.plugin for r in fw.engine.records.values()}
    assert [a[1] for a in driver.named("accept")] == ["A"]
    assert f"plugin_failed plugin=broken method={method}" in caplog.text


ODD_ATTRIBUTES = [
    [{"name": "rack", "type": "SCALAR", "scalar": {"value": 1e26}}],    # Decimal.quantize refuses it
    [{"name": "rack", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": float("inf")}]}}],
    [{"name": "rack", "type": "SET", "set": "not a set"}],
    ["not an attribute"],
]


@pytest.mark.parametrize("attributes", ODD_ATTRIBUTES)
def test_an_offer_with_odd_attributes_is_declined_and_the_others_are_used(attributes):
    plugin = ListPlugin(keys=["a"], spec=TaskSpec(name="s", command="x", cpus=0.1, mem=1))
    fw, driver, *_ = subscribed([plugin])
    odd = offer(offer_id="ODD", agent="a9")
    odd["attributes"] = attributes
    offered(driver, fw, odd, offer(offer_id="A"))
    assert [a[1] for a in driver.named("accept")] == ["A"]
    assert any("ODD" in d[1] for d in driver.named("decline"))


def test_offers_without_an_id_are_dropped_and_the_others_used():
    plugin = ListPlugin(keys=["a"], spec=TaskSpec(name="s", command="x", cpus=0.1, mem=1))
    fw, driver, *_ = subscribed([plugin])
    no_id = offer(agent="a9")
    del no_id["id"]
    offered(driver, fw, no_id, offer(offer_id="A"))
    assert [a[1] for a in driver.named("accept")] == ["A"]


def test_an_offer_given_twice_in_one_event_is_answered_once():
    plugin = ListPlugin(keys=["a", "b"], spec=TaskSpec(name="s", command="x", cpus=0.1, mem=1))
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"), offer(offer_id="A"))
    answered = [a[1] for a in driver.named("accept")] + [i for d in driver.named("decline") for i in d[1]]
    assert answered == ["A"]


@pytest.mark.parametrize("ids, known, kept", [
    (["A", "B"], set(), ["A", "B"]),
    (["A", "A", "B"], set(), ["A", "B"]),              # a repeat within the event
    (["A", "B"], {"B"}, ["A"]),                        # held, or staged launches on it
    ([None, "A", 7], set(), ["A"]),                    # no id, or not a string
])
def test_answerable_offers(ids, known, kept):
    offers = [{"id": {"value": i}} if i is not None else {} for i in ids]
    assert [o["id"]["value"] for o in answerable(offers, known)] == kept


@pytest.mark.parametrize("bad", [dict(state=None), dict(state=7), dict(state=["TASK_RUNNING"]),
                                 dict(task_id={"value": ["x"]})])
def test_a_status_that_cannot_be_read_raises_nothing(bad):
    plugin = ListPlugin(keys=["a"])
    fw, driver, *_ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A"))
    (task_id,) = fw.engine.records
    driver.emit(TaskStatusUpdated({**status(task_id, "RUNNING"), **bad}))
    fw.step()                                           # raised before
    driver.emit(TaskStatusUpdated(status(task_id, "RUNNING")))
    fw.step()
    assert fw.engine.records[task_id].state == "RUNNING"
