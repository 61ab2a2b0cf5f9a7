"""Announced demand (`SchedulerPlugin.next_demand_at`): the core revives `offer_lead_seconds` ahead, keeps the
offers it gets, launches on them the moment the demand comes, and releases them when it does not come."""
from __future__ import annotations

import pytest

from mesosframe.core.offer_rounds import demand_soon
from mesosframe.core.events import Disconnected, OfferRescinded
from mesosframe.core.plugin import Demand, SchedulerPlugin
from mesosframe.tasks.spec import TaskSpec

from core_helpers import offer
from test_framework import offered, subscribed


class Scheduled(SchedulerPlugin):
    """Wants one task from `at` on (announced beforehand); `due()` is its own timer firing."""
    name = "cron"

    def __init__(self, at: float | None) -> None:
        self.at, self.due_now = at, False

    def next_demand_at(self, now):
        return None if self.due_now else self.at

    def demand(self, now):
        return [Demand("run", TaskSpec(name="run", command="true", cpus=1, mem=64))] if self.due_now else []

    def on_status(self, task, now):
        pass

    def due(self, fw) -> None:
        """As the plugin's timer would, on the loop."""
        def fire(_):
            self.due_now = True
            self.context.wake()
        fw.submit(fire)
        fw.step()


@pytest.mark.parametrize("expected,now,lead,soon", [
    (None, 0.0, 2.0, False),
    (100.0, 97.9, 2.0, False),
    (100.0, 98.0, 2.0, True),
    (100.0, 101.5, 2.0, True),      # overdue a little: the plugin's own timer may be about to fire
    (100.0, 102.1, 2.0, False),     # overdue beyond the lead: stop holding
    (100.0, 99.0, 0.0, False),      # lead 0: the feature is off
])
def test_demand_soon(expected, now, lead, soon):
    assert demand_soon(expected, now, lead) is soon


def names(driver) -> list[str]:
    return [c[0] for c in driver.calls]


START = 1_700_000_000.0     # FakeClock's start


def ahead_of(in_seconds: float):
    at = START + in_seconds
    plugin = Scheduled(at)
    fw, driver, clock, _ = subscribed([plugin])
    assert "suppress" in names(driver) and "revive" not in names(driver)       # nothing due yet
    clock.advance(at - 2.0 - clock.now())
    fw.step()
    assert names(driver)[-1] == "revive"                                          # lead time reached
    offered(driver, fw, offer(offer_id="early"))
    return plugin, fw, driver, clock


def test_offers_are_kept_for_announced_demand_and_used_without_a_round_trip():
    plugin, fw, driver, clock = ahead_of(10.0)
    assert driver.named("accept") == [] and driver.named("decline") == []       # kept, not declined
    revives = names(driver).count("revive")
    clock.advance(2.0)
    plugin.due(fw)
    (accept,) = driver.named("accept")
    assert accept[1] == "early"                                                   # the kept offer
    assert names(driver).count("revive") == revives                              # no new REVIVE needed


def test_kept_offers_are_released_when_the_demand_does_not_come():
    plugin, fw, driver, clock = ahead_of(10.0)
    plugin.at = None                                                              # e.g. the job was deleted
    clock.advance(4.1)
    fw.step()
    assert driver.named("decline")[-1][1] == ("early",)
    assert names(driver)[-1] == "suppress"


@pytest.mark.parametrize("event", [OfferRescinded("early"), Disconnected("stream closed")])
def test_a_rescinded_or_dead_offer_is_not_kept(event):
    plugin, fw, driver, clock = ahead_of(10.0)
    driver.emit(event)
    fw.step()
    assert fw.engine.held == {}
    if isinstance(event, OfferRescinded):
        clock.advance(2.0)
        plugin.due(fw)
        assert driver.named("accept") == []                                       # waits for a fresh offer
        offered(driver, fw, offer(offer_id="fresh"))
        assert [a[1] for a in driver.named("accept")] == ["fresh"]
