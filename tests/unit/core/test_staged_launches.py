"""Demand announced ahead with `Demand.not_before`: placed, persisted and built early, sent at its time, and only
if still wanted; staged launches die with their offers (rescind, disconnection) and are placed again."""
from __future__ import annotations

import pytest

from mesosframe.core.events import Disconnected, LeadershipChanged, OfferRescinded, TaskStatusUpdated
from mesosframe.core.plugin import Demand, SchedulerPlugin
from mesosframe.tasks.spec import TaskSpec

from core_helpers import offer, status
from test_framework import offered, subscribed

START = 1_700_000_000.0     # FakeClock's start
SPEC = TaskSpec(name="run", command="true", cpus=1, mem=64)


class Ahead(SchedulerPlugin):
    """Wants `keys[key] = not_before` (None: now); records the launches it is told of."""
    name = "cron"

    def __init__(self, **keys: float | None) -> None:
        self.keys = dict(keys)
        self.spec = SPEC
        self.launched: list[tuple[str, float]] = []

    def demand(self, now):
        return [Demand(k, self.spec, not_before=at) for k, at in self.keys.items()]

    def on_launched(self, task, now):
        self.launched.append((task.key, now))

    def on_status(self, task, now):
        if task.state == "FINISHED":
            self.keys.pop(task.key, None)


def wake(fw) -> None:
    """As a plugin's own timer would: on the loop, `PluginContext.wake()`."""
    fw.submit(lambda fw: fw.engine.plugins["cron"].context.wake())
    fw.step()


def staged_on(offer_id: str = "O1", at: float = START + 1.0, **kw):
    plugin = Ahead(run=at)
    fw, driver, clock, log = subscribed([plugin], **kw)
    offered(driver, fw, offer(offer_id=offer_id))
    return plugin, fw, driver, clock, log


def task_records(fw) -> list[str]:
    return fw.store.list("frameworks/fw/tasks")


def test_a_launch_is_persisted_ahead_and_sent_exactly_at_its_time():
    plugin, fw, driver, clock, log = staged_on()
    assert driver.named("accept") == [] and driver.named("decline") == []     # kept for the launch
    assert len(task_records(fw)) == 1 and plugin.launched == []               # persisted, not yet launched
    clock.advance(0.999)
    fw.step()
    assert driver.named("accept") == []
    clock.advance(0.001)
    fw.step()
    (accept,) = driver.named("accept")
    assert accept[1] == "O1" and accept[2][0]["type"] == "LAUNCH"
    assert plugin.launched == [("run", START + 1.0)]
    assert log.index(("put", f"frameworks/fw/tasks/{task_records(fw)[0]}")) < log.index(("accept",))


def test_a_launch_due_now_never_waits_for_one_staged_in_the_same_round():
    plugin = Ahead(now=None, later=START + 5.0)
    fw, driver, clock, _ = subscribed([plugin])
    offered(driver, fw, offer(offer_id="A", cpus=1, mem=64), offer("a2", offer_id="B", cpus=1, mem=64))
    (accept,) = driver.named("accept")                        # the due launch, alone in its ACCEPT
    assert [k for k, _ in plugin.launched] == ["now"]
    clock.advance(5.0)
    fw.step()
    assert {a[1] for a in driver.named("accept")} == {"A", "B"} and accept[1] != driver.named("accept")[1][1]
    assert [k for k, _ in plugin.launched] == ["now", "later"]


@pytest.mark.parametrize("change", ["dropped", "respecified"])
def test_a_launch_no_longer_wanted_at_its_time_is_not_sent(change):
    plugin, fw, driver, clock, _ = staged_on()
    if change == "dropped":
        plugin.keys.clear()
    else:
        plugin.spec = TaskSpec(name="run", command="false", cpus=1, mem=64)
    clock.advance(1.0)
    fw.step()
    assert driver.named("accept") == [] and plugin.launched == []
    assert driver.named("decline")[0][1] == ("O1",)
    assert task_records(fw) == [] and fw.engine.active == {}                  # the key is free again
    if change == "respecified":                                                # placed again, with the new spec
        offered(driver, fw, offer(offer_id="O2"))
        (accept,) = driver.named("accept")
        assert accept[1] == "O2" and accept[2][0]["launch"]["task_infos"][0]["command"]["value"] == "false"


@pytest.mark.parametrize("event", [OfferRescinded("O1"), Disconnected("stream closed")])
def test_a_staged_launch_dies_with_its_offer_and_is_placed_again(event):
    plugin, fw, driver, clock, _ = staged_on()
    driver.emit(event)
    fw.step()
    assert task_records(fw) == [] and len(fw.engine.staging) == 0 and fw.engine.active == {}
    if isinstance(event, Disconnected):
        driver.subscribe("F-0001")
        fw.step()
    offered(driver, fw, offer(offer_id="O2"))
    clock.advance(1.0)
    fw.step()
    assert [a[1] for a in driver.named("accept")] == ["O2"]
    assert plugin.launched == [("run", START + 1.0)]


def test_staged_tasks_are_not_reconciled_as_the_master_has_not_heard_of_them():
    plugin, fw, driver, clock, _ = staged_on()
    (task_id,) = task_records(fw)
    assert fw.engine.live_tasks() == []
    clock.advance(1.0)
    fw.step()
    assert fw.engine.live_tasks() == [(task_id, "a1")]


def test_while_suspended_nothing_is_released_and_resuming_sends_it():
    plugin, fw, driver, clock, _ = staged_on()
    driver.emit(LeadershipChanged("SUSPENDED"))
    fw.step()
    clock.advance(2.0)
    fw.step()
    assert driver.named("accept") == []
    driver.emit(LeadershipChanged("RESUMED"))
    fw.step()
    assert [a[1] for a in driver.named("accept")] == ["O1"]


def test_a_staged_task_runs_its_normal_lifecycle_after_release():
    plugin, fw, driver, clock, _ = staged_on()
    clock.advance(1.0)
    fw.step()
    (task_id,) = task_records(fw)
    driver.emit(TaskStatusUpdated(status(task_id, "FINISHED")))
    fw.step()
    assert plugin.keys == {} and len(driver.named("acknowledge")) == 1


def test_demand_due_now_takes_back_an_offer_staged_for_later():
    plugin, fw, driver, clock, _ = staged_on(at=START + 5.0)        # the only offer holds a launch for later
    plugin.keys["urgent"] = None
    wake(fw)
    (accept,) = driver.named("accept")
    assert accept[1] == "O1" and [k for k, _ in plugin.launched] == ["urgent"]
    assert [c[0] for c in driver.calls].count("revive") >= 1          # the later launch wants a new offer
    offered(driver, fw, offer(offer_id="O2"))
    assert len(driver.named("accept")) == 1                            # staged again, not sent early
    plugin.keys["urgent2"] = None                                      # new due demand reclaims once more...
    wake(fw)
    assert [a[1] for a in driver.named("accept")] == ["O1", "O2"]
    offered(driver, fw, offer(offer_id="O3"))
    clock.advance(5.0)
    fw.step()
    assert [a[1] for a in driver.named("accept")] == ["O1", "O2", "O3"]
    assert [k for k, _ in plugin.launched] == ["urgent", "urgent2", "run"]


def test_due_demand_that_fits_nowhere_does_not_churn_what_is_staged():
    plugin, fw, driver, clock, _ = staged_on(at=START + 5.0)
    plugin.keys["huge"] = None
    plugin.spec = SPEC                                                 # "huge" below: too big for any offer
    plugin.demand = lambda now: [Demand(k, TaskSpec(name=k, command="true", cpus=64 if k == "huge" else 1, mem=64),
                                        not_before=at) for k, at in plugin.keys.items()]
    wake(fw)
    puts = len(fw.store.list("frameworks/fw/tasks"))
    staged = set(fw.engine.staging.task_ids)
    for _ in range(3):                                                  # further bursts: nothing re-planned
        wake(fw)
    assert set(fw.engine.staging.task_ids) == staged and len(fw.store.list("frameworks/fw/tasks")) == puts
    clock.advance(5.0)
    fw.step()
    assert [a[1] for a in driver.named("accept")] == ["O1"]


def test_an_offer_repeated_while_launches_are_staged_on_it_is_not_answered_again():
    plugin, fw, driver, clock, log = staged_on()
    offered(driver, fw, offer(offer_id="O1"))          # no master repeats an offer id; this one must not
    assert driver.named("accept") == [] and driver.named("decline") == []
    clock.advance(1.0)
    fw.step()
    assert [a[1] for a in driver.named("accept")] == ["O1"] and driver.named("decline") == []
    assert [key for key, _ in plugin.launched] == ["run"]
