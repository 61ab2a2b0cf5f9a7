"""PyMesosDriver against the local master: zk:// detection (credentials kept), NotSubscribedError, SIGINT,
calls to a master that never answers."""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import time

import pytest

from mesosframe import calls
from mesosframe.core.events import Subscribed
from mesosframe.core.framework import Framework
from mesosframe.core.plugin import Demand, SchedulerPlugin
from mesosframe.driver.pymesos_driver import PyMesosDriver
from mesosframe.errors import DriverError, NotSubscribedError
from mesosframe.local.cluster import LocalCluster
from mesosframe.testing.proxy import FreezableTcpProxy
from mesosframe.tasks import TaskSpec, TaskState


class One(SchedulerPlugin):
    name = "one"
    state = None

    def demand(self, now):
        spec = TaskSpec(name="only", command="true", cpus=0.1, mem=16,
                        labels={"mesosframe.sim/duration": "0.1"})
        return [] if self.state else [Demand("only", spec)]

    def on_status(self, task, now):
        if TaskState(task.state).is_terminal:
            self.state = task.state

    def is_done(self):
        return self.state is not None


def test_zk_master_url_is_detected_and_used(kazoo_client, zk_url):
    with LocalCluster(agents=0, simulated_agents=1) as cluster:
        info = cluster.run(lambda: cluster.master.master_info(for_zookeeper=True))
        kazoo_client.create("/mesos/json.info_", json.dumps(info).encode(), ephemeral=True, sequence=True,
                            makepath=True)
        plugin = One()
        fw = Framework("zk-hello", [plugin], master=f"{zk_url}/mesos").start()
        try:
            assert fw.run_until_done(timeout=30), fw.error
            assert plugin.state == "FINISHED"
        finally:
            fw.stop(failover=False)


def test_calls_before_subscription_raise_instead_of_dropping():
    driver = PyMesosDriver("127.0.0.1:1")
    for call in (lambda: driver.decline(["o"], 5.0), lambda: driver.revive(), lambda: driver.kill("t"),
                 lambda: driver.acknowledge("a", "t", "u"), lambda: driver.reconcile([])):
        with pytest.raises(NotSubscribedError):
            call()


IN_THREAD = ("t = threading.Thread(target=lambda: __import__('mesosframe.driver.pymesos_driver')); "
             "t.start(); t.join(); import sys; assert 'mesosframe.driver.pymesos_driver' in sys.modules")


@pytest.mark.parametrize("importer", ["import mesosframe.driver.pymesos_driver", IN_THREAD])
def test_importing_the_driver_keeps_the_sigint_handler(importer):
    code = ("import signal, threading; before = signal.getsignal(signal.SIGINT); " + importer + "; "
            "assert signal.getsignal(signal.SIGINT) is before, signal.getsignal(signal.SIGINT); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_call_to_a_master_that_never_answers_times_out():
    with LocalCluster(agents=0, simulated_agents=1) as cluster, \
            FreezableTcpProxy(("127.0.0.1", cluster.port)) as proxy:
        events: queue.Queue = queue.Queue()
        driver = PyMesosDriver(proxy.address, call_timeout=1.0)
        driver.start(events.put, calls.framework_info("silent"))
        try:
            assert isinstance(next_event(events, Subscribed), Subscribed)
            driver.reconcile([])               # answered while the link is up
            assert proxy.freeze() >= 2         # the stream and the call connection
            started = time.monotonic()
            with pytest.raises(DriverError):
                driver.reconcile([])
            assert time.monotonic() - started < 5.0
        finally:
            driver.stop()


def next_event(events: queue.Queue, kind: type, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = events.get(timeout=max(deadline - time.monotonic(), 0.01))
        if isinstance(event, kind):
            return event
    raise AssertionError(f"no {kind.__name__} event")


class Later(SchedulerPlugin):
    """Wants one task, not before `at`: the core stages its launch on the first offer."""
    name = "later"
    state = None

    def __init__(self, at: float) -> None:
        self.at = at

    def demand(self, now):
        spec = TaskSpec(name="later", command="true", cpus=0.1, mem=16, labels={"mesosframe.sim/duration": "0.1"})
        return [] if self.state else [Demand("later", spec, not_before=self.at)]

    def on_status(self, task, now):
        if TaskState(task.state).is_terminal:
            self.state = task.state

    def is_done(self):
        return self.state is not None


def test_a_staged_accept_is_encoded_ahead_and_written_at_its_time(monkeypatch):
    from mesosframe.driver.background import BackgroundCalls
    sent: list[tuple[float, bool]] = []
    send = BackgroundCalls.send

    def spy(self, body, kind=None):
        if (kind or body.get("type")) == "ACCEPT":
            sent.append((time.time(), isinstance(body, bytes)))
        send(self, body, kind)
    monkeypatch.setattr(BackgroundCalls, "send", spy)
    with LocalCluster(agents=0, simulated_agents=1) as cluster:
        plugin = Later(time.time() + 3.0)
        fw = Framework("later", [plugin], master=cluster.master_address).start()
        try:
            assert fw.run_until_done(timeout=30), fw.error
            assert plugin.state == "FINISHED"
        finally:
            fw.stop(failover=False)
    (at, prepared), = sent
    assert prepared and plugin.at <= at < plugin.at + 1.0


def test_stopping_without_failover_tears_down_and_hears_the_answer(caplog):
    """TEARDOWN goes on a connection of its own: pymesos closes its shared one when the master ends the stream,
    which had lost TEARDOWN's answer now and then ("teardown_failed ... Idle"). Queued calls go first."""
    with LocalCluster(agents=0, simulated_agents=1) as cluster:
        for attempt in range(8):
            events: queue.Queue = queue.Queue()
            driver = PyMesosDriver(cluster.master_address)
            driver.start(events.put, calls.framework_info(f"gone-{attempt}"))
            subscribed = next_event(events, Subscribed)
            driver.revive()                                  # queued on the pipelined sender
            with caplog.at_level("WARNING", logger="mesosframe"):
                driver.stop(failover=False)
            removed = cluster.run(lambda: subscribed.framework_id not in cluster.master.frameworks or
                                  not cluster.master.frameworks[subscribed.framework_id].active)
            assert removed, attempt
    assert not [r for r in caplog.records if "teardown_failed" in r.getMessage()
                or "background_call" in r.getMessage()]
