"""CronPlugin on the real core loop with FakeDriver + FakeClock: slot claimed before launch, revive at the slot,
statuses to the ledger, maxCompletionTime kills, and the failover table (a second Framework over the same
store takes over after the first died at a chosen point): every slot launched exactly once."""
from __future__ import annotations

import base64

import pytest

from mesosframe.core.clock import FakeClock
from mesosframe.core.events import OffersReceived, TaskStatusUpdated
from mesosframe.core.framework import Framework
from mesosframe.driver.fake import FakeDriver
from mesosframe.errors import DriverError, NotLeaderError
from mesosframe.state import MemoryStateStore
from schedulers.cron.job import Job
from schedulers.cron.mesos import MesosCronService
from schedulers.cron.plugin import CronPlugin

START = 1_700_000_000.0          # FakeClock's default start
SLOT = START + 10.0
SLOT_MS = int(SLOT * 1000)


class LoggingStore(MemoryStateStore):
    def __init__(self, log: list) -> None:
        super().__init__()
        self.log = log

    def put(self, key, value, expected_version):
        self.log.append(("put", key))
        return super().put(key, value, expected_version)

    def transaction(self):
        tx = super().transaction()
        original = tx.put

        def put(key, value, expected_version):
            self.log.append(("put", key))
            return original(key, value, expected_version)
        tx.put = put
        return tx


class LoggingDriver(FakeDriver):
    def __init__(self, log: list, fail_accept: bool = False) -> None:
        super().__init__()
        self.log, self.fail_accept = log, fail_accept

    def _call(self, *call):
        super()._call(*call)
        self.log.append(call[:1])

    def accept(self, offer_id, operations, refuse_seconds):
        if self.fail_accept:  # the ACCEPT is lost on the way (the process died while sending it)
            self.calls.append(("accept_lost", offer_id, list(operations)))
            raise DriverError("connection reset")
        super().accept(offer_id, operations, refuse_seconds)


def offer(offer_id: str, agent: str = "a1") -> dict:
    res = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 4.0}, "role": "*"},
           {"name": "mem", "type": "SCALAR", "scalar": {"value": 4096.0}, "role": "*"},
           {"name": "disk", "type": "SCALAR", "scalar": {"value": 4096.0}, "role": "*"}]
    return {"id": {"value": offer_id}, "framework_id": {"value": "F-1"}, "agent_id": {"value": agent},
            "hostname": f"{agent}.example", "resources": res, "attributes": []}


def status(task_id: str, state: str, reason: str | None = None, uuid: bool = True) -> dict:
    out = {"task_id": {"value": task_id}, "state": f"TASK_{state}", "agent_id": {"value": "a1"}}
    if reason:
        out["reason"] = reason
    if uuid:
        out["uuid"] = base64.b64encode(bytes(16)).decode()
    return out


class Instance:
    """One scheduler instance: Framework + CronPlugin over `store`, driven by hand."""

    def __init__(self, store, clock: FakeClock, log: list | None = None, fail_accept: bool = False) -> None:
        self.log = log if log is not None else []
        self.clock, self.store = clock, store
        self.driver = LoggingDriver(self.log, fail_accept)
        self.plugin = CronPlugin(store, clock)
        self.fw = Framework("fw", [self.plugin], driver=self.driver, store=store, clock=clock)
        self.service = MesosCronService(self.plugin, self.fw, address="me:4400")
        self.fw.start(thread=False)
        self.fw.step()
        self.driver.subscribe("F-1")
        self.fw.step()

    def call(self, fn):
        future = self.fw.submit(lambda fw: fn(fw.clock.now()))
        self.fw.step()
        return future.result(timeout=0)

    def put_job(self, **fields) -> None:
        job = Job(**{"cpus": 0.5, "mem": 64, **fields})
        self.call(lambda now: self.plugin.run_engine(lambda: self.plugin.engine.put_job(job, now), now))

    def tick(self) -> None:
        self.call(self.plugin.tick)

    def offer(self, offer_id: str) -> None:
        self.driver.emit(OffersReceived((offer(offer_id),)))
        self.fw.step()

    def status(self, task_id: str, state: str, reason: str | None = None) -> None:
        self.driver.emit(TaskStatusUpdated(status(task_id, state, reason)))
        self.fw.step()

    def launched(self, calls: str = "accept") -> list[str]:
        return [info["task_id"]["value"] for call in self.driver.named(calls)
                for op in call[2] for info in op["launch"]["task_infos"]]

    def run(self, job: str, trigger_ms: int):
        record = self.store.get(f"cron/runs/{job}/{trigger_ms}")
        return record.value if record else None

    def state(self, job: str, trigger_ms: int) -> str:
        """The run's state as the engine has it (STARTING is kept in memory until the next state is stored)."""
        active = self.plugin.engine.runs.get(f"{job}:{trigger_ms}")
        return active.state.value if active else self.run(job, trigger_ms)["state"]


def key_of(task_id: str) -> str:
    return task_id.split(".", 1)[1].rsplit(".", 1)[0]     # cron.<key>.<uuid>


@pytest.fixture
def clock():
    return FakeClock(START)


def scheduled(**extra):
    return dict(name="a", command="true", schedule="R/2023-11-14T22:13:30Z/PT60S", **extra)


def test_slot_claimed_ahead_prepared_on_an_offer_and_sent_at_the_slot(clock):
    log: list = []
    one = Instance(LoggingStore(log), clock, log)
    one.put_job(**scheduled())
    assert one.plugin.wakeup_at == SLOT - 1.0              # `prepare_seconds` ahead
    one.offer("early")                                   # long before the slot: nothing to launch
    assert not one.launched() and one.driver.named("decline")
    clock.set(SLOT - 1.0)
    log.clear()
    one.tick()
    assert ("revive",) in log and log.index(("put", f"cron/runs/a/{SLOT_MS}")) < log.index(("revive",))
    one.offer("O1")
    assert not one.launched() and one.run("a", SLOT_MS)["state"] == "QUEUED"     # staged: not sent yet
    task_put = next(i for i, entry in enumerate(log) if entry[0] == "put" and "/tasks/" in entry[1])
    clock.set(SLOT - 0.001)
    one.fw.step()
    assert not one.launched()
    clock.set(SLOT)
    one.fw.step()
    (task_id,) = one.launched()
    assert key_of(task_id) == f"a:{SLOT_MS}:0" and task_put < log.index(("accept",))
    assert one.state("a", SLOT_MS) == "STARTING" and one.run("a", SLOT_MS)["state"] == "QUEUED"
    one.status(task_id, "RUNNING")
    assert one.run("a", SLOT_MS)["state"] == "RUNNING"
    one.status(task_id, "FINISHED")
    assert one.run("a", SLOT_MS)["state"] == "SUCCEEDED"
    assert one.plugin.engine.jobs["a"].successCount == 1
    assert one.plugin.wakeup_at == SLOT + 60 - 1.0


def test_a_slot_that_might_not_start_is_decided_at_its_time(clock):
    one = Instance(MemoryStateStore(), clock)
    one.put_job(**scheduled(concurrencyPolicy="FORBID"))
    clock.set(SLOT)
    one.tick()
    one.offer("O1")
    (first,) = one.launched()                            # the slot's run is still active at the next one
    clock.set(SLOT + 59)
    one.tick()
    assert one.run("a", SLOT_MS + 60_000) is None and one.plugin.wakeup_at == SLOT + 60
    one.status(first, "FINISHED")                        # ... until it is not: the next slot starts
    clock.set(SLOT + 60)
    one.tick()
    assert one.run("a", SLOT_MS + 60_000)["state"] == "QUEUED"


def test_a_slot_claimed_ahead_by_a_leader_that_died_is_launched_at_its_time_and_once(clock):
    store = MemoryStateStore()
    one = Instance(store, clock)
    one.put_job(**scheduled(retries=0))
    clock.set(SLOT - 1.0)
    one.tick()
    one.offer("O1")                                      # staged, then the leader dies before the slot
    assert not one.launched()
    clock.set(SLOT - 0.5)
    two = Instance(store, clock)
    for call in two.driver.named("reconcile"):           # the master never heard of the staged task
        for task_id, _ in call[1]:
            two.driver.emit(TaskStatusUpdated(status(task_id, "GONE", "REASON_RECONCILIATION", uuid=False)))
    two.fw.step()
    two.offer("O2")
    assert not two.launched()                            # not before the slot
    clock.set(SLOT)
    two.fw.step()
    (task_id,) = two.launched()
    assert key_of(task_id) == f"a:{SLOT_MS}:0" and two.state("a", SLOT_MS) == "STARTING"
    assert store.list("cron/runs/a") == [str(SLOT_MS)]


def test_children_and_retries_follow_statuses(clock):
    one = Instance(MemoryStateStore(), clock)
    one.put_job(**scheduled(retries=1, retryDelaySeconds=5))
    one.put_job(name="b", command="true", parents=["a"])
    clock.set(SLOT)
    one.tick()
    one.offer("O1")
    (first,) = one.launched()
    one.status(first, "FAILED")
    assert one.run("a", SLOT_MS)["state"] == "RETRY_WAIT" and one.plugin.wakeup_at == SLOT + 5
    clock.set(SLOT + 5)
    one.tick()
    one.offer("O2")
    second = one.launched()[1]
    assert key_of(second) == f"a:{SLOT_MS}:1"
    one.status(second, "FINISHED")
    one.offer("O3")
    child = one.launched()[2]
    assert key_of(child).startswith("b:")


def test_max_completion_time_kills_the_task(clock):
    one = Instance(MemoryStateStore(), clock)
    one.put_job(**scheduled(maxCompletionTime=3000, retries=0))
    clock.set(SLOT)
    one.tick()
    one.offer("O1")
    (task_id,) = one.launched()
    one.status(task_id, "RUNNING")
    assert one.plugin.wakeup_at == SLOT + 3
    clock.set(SLOT + 3)
    one.tick()
    assert one.driver.named("kill") == [("kill", task_id, "a1")]
    one.status(task_id, "KILLED")
    assert one.run("a", SLOT_MS)["state"] == "FAILED"


def test_standby_service_refuses_with_the_leader(clock):
    one = Instance(MemoryStateStore(), clock)
    one.plugin.active = False
    one.service.leader_lookup = lambda: "other:4400"
    with pytest.raises(NotLeaderError) as info:
        one.service.list_jobs()
    assert info.value.leader == "other:4400"


# -- failover: the first instance dies at a chosen point; a second one takes over the same store ----------

def _first_until(point: str, clock: FakeClock, store) -> Instance:
    one = Instance(store, clock, fail_accept=point == "accept_lost")
    one.put_job(**scheduled(retries=0))
    clock.set(SLOT)
    if point == "before_claim":
        return one
    one.tick()
    if point == "after_claim":
        return one
    one.offer("O1")
    if point in ("accept_lost", "after_accept"):
        return one
    (task_id,) = one.launched()
    if point == "finished_unseen":                       # the core stored FINISHED; the ledger never heard
        one.plugin.on_status = lambda task, now: None
        one.status(task_id, "FINISHED")
    return one


@pytest.mark.parametrize("point,master_answer,expect_new_launch,final", [
    ("before_claim", None, True, "STARTING"),            # the new leader claims the slot itself
    ("after_claim", None, True, "STARTING"),             # QUEUED, no task record: launch it
    ("accept_lost", "GONE", True, "STARTING"),           # record STAGING, master never heard: same attempt again
    ("after_accept", "RUNNING", False, "RUNNING"),       # the master has it: adopt, never relaunch
    ("finished_unseen", "FINISHED", False, "SUCCEEDED"),  # the core record says FINISHED: success, no rerun
])
def test_failover_launches_each_slot_exactly_once(clock, point, master_answer, expect_new_launch, final):
    store = MemoryStateStore()
    one = _first_until(point, clock, store)
    before = one.launched() + one.launched("accept_lost")
    clock.advance(1.0)
    two = Instance(store, clock)                         # the first one is dead: it never steps again
    for call in two.driver.named("reconcile"):
        for task_id, _ in call[1]:
            reason = "REASON_RECONCILIATION" if master_answer == "GONE" else None
            two.driver.emit(TaskStatusUpdated(status(task_id, master_answer, reason, uuid=False)))
    two.fw.step()
    two.tick()
    two.offer("O2")
    after = two.launched()
    assert bool(after) == expect_new_launch
    keys = [key_of(t) for t in before + after if key_of(t).startswith("a:")]
    if point == "accept_lost":
        assert keys == [f"a:{SLOT_MS}:0", f"a:{SLOT_MS}:0"]   # the lost ACCEPT, then the only real launch
    else:
        assert keys == [f"a:{SLOT_MS}:0"]
    assert two.state("a", SLOT_MS) == final
    assert [name for name in store.list("cron/runs/a")] == [str(SLOT_MS)]


def test_live_task_without_an_active_run_is_killed_after_failover(clock):
    store = MemoryStateStore()
    one = _first_until("after_accept", clock, store)
    (task_id,) = one.launched()
    one.call(lambda now: store.delete(f"cron/runs/a/{SLOT_MS}"))   # e.g. the job was deleted meanwhile
    two = Instance(store, clock)
    two.status(task_id, "RUNNING")
    assert ("kill", task_id, "a1") in two.driver.named("kill")


def test_a_store_conflict_makes_the_plugin_re_read_instead_of_acting_on_stale_state(clock):
    store = MemoryStateStore()
    one = Instance(store, clock)
    one.put_job(**scheduled())
    two = Instance(store, clock)                         # both believe they lead (before Mesos fences one)
    clock.set(SLOT)
    one.tick()                                           # one claims the slot
    two.tick()                                           # two's claim conflicts: it re-reads the store
    (run,) = two.plugin.engine.runs.values()
    assert run.trigger_ms == SLOT_MS and run.state.value == "QUEUED"
    assert store.list("cron/runs/a") == [str(SLOT_MS)]
