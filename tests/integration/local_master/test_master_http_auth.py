"""HTTP Basic authentication on the scheduler API: raw HTTP and pymesos's driver (principal=, secret=)."""
from __future__ import annotations

import base64
import threading

import pytest
from master_rawclient import Subscription, call
import pymesos.process
from pymesos import MesosSchedulerDriver
from test_master_pymesos import Recorder, framework

from mesosframe.local.cluster import LocalCluster

SECRETS = {"alice": "s3cret", "bob": "hunter2"}
CHALLENGE = 'Basic realm="mesos-master-scheduler"'
SUBSCRIBE = {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "root", "name": "auth-test",
                                                                      "principal": "alice"}}}


def basic(principal: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{principal}:{secret}".encode()).decode()}


@pytest.fixture(scope="module")
def required():
    with LocalCluster(agents=0, simulated_agents=1, agent_resources="cpus:2;mem:1024",
                      credentials=SECRETS, authenticate_frameworks=True) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def optional():
    with LocalCluster(agents=0, simulated_agents=1, agent_resources="cpus:2;mem:1024",
                      credentials=SECRETS) as cluster:
        yield cluster


@pytest.mark.parametrize("headers", [{}, basic("alice", "wrong"), basic("mallory", "s3cret"),
                                     {"Authorization": "Bearer token"}])
def test_missing_or_wrong_credentials_are_401_with_challenge(required, headers):
    status, response_headers, _ = call(required.port, SUBSCRIBE, headers=headers)
    assert status == 401
    assert response_headers["WWW-Authenticate"] == CHALLENGE
    assert required.run(lambda: len(required.master.frameworks)) == 0


def test_authentication_comes_before_other_checks(required):
    status, headers, _ = call(required.port, None, method="GET")          # would be 405
    assert (status, headers["WWW-Authenticate"]) == (401, CHALLENGE)


def test_operator_endpoints_stay_open(required):
    assert call(required.port, None, method="GET", path="/version")[0] == 200


def test_subscribe_and_call_with_credentials(required):
    sub = Subscription(required.port, SUBSCRIBE, headers=basic("alice", "s3cret"))
    try:
        assert sub.status == 200
        framework_id = sub.next("SUBSCRIBED")["subscribed"]["framework_id"]["value"]
        revive = {"type": "REVIVE", "framework_id": {"value": framework_id}}
        assert call(required.port, revive, stream_id=sub.stream_id, headers=basic("alice", "s3cret"))[0] == 202
        assert call(required.port, revive, stream_id=sub.stream_id)[0] == 401
        status, _, text = call(required.port, revive, stream_id=sub.stream_id, headers=basic("bob", "hunter2"))
        assert (status, text) == (400, "Authenticated principal 'bob' does not match principal 'alice' set "
                                       "in `FrameworkInfo`")
    finally:
        sub.close()


def test_subscribe_principal_mismatch_is_400(required):
    status, _, text = call(required.port, SUBSCRIBE, headers=basic("bob", "hunter2"))
    assert status == 400
    assert text == ("Failed to validate scheduler::Call: Authenticated principal 'bob' does not match "
                    "principal 'alice' set in `FrameworkInfo`")


def test_optional_mode_allows_none_but_checks_given_credentials(optional):
    anonymous = dict(SUBSCRIBE, subscribe={"framework_info": {"user": "root", "name": "anon"}})
    sub = Subscription(optional.port, anonymous)
    try:
        assert sub.status == 200 and sub.next("SUBSCRIBED")
    finally:
        sub.close()
    status, headers, _ = call(optional.port, SUBSCRIBE, headers=basic("alice", "nope"))
    assert (status, headers["WWW-Authenticate"]) == (401, CHALLENGE)


def test_pymesos_driver_with_principal_and_secret(required):
    recorder = Recorder()
    driver = MesosSchedulerDriver(recorder, framework(principal="bob"), required.master_address,
                                  principal="bob", secret="hunter2", implicit_acknowledgements=False)
    driver.start()
    try:
        framework_id = recorder.next("registered")
        offers = recorder.next("offers")
        assert offers and offers[0]["framework_id"]["value"] == framework_id
        driver.declineOffer([offers[0]["id"]], {"refuse_seconds": 0.1})      # an authenticated call
        assert recorder.next("offers", timeout=5)
        assert required.run(lambda: required.master.frameworks[framework_id].info["principal"]) == "bob"
    finally:
        driver.stop()
        driver.join()


def test_pymesos_driver_with_a_wrong_secret_is_refused(required, monkeypatch):
    # pymesos aborts its IO thread on the 401 and interrupts the main thread (SIGINT) to re-raise the error
    # there; record the interruption instead, so no signal reaches the test run.
    interrupted = threading.Event()
    monkeypatch.setattr(pymesos.process.thread, "interrupt_main", interrupted.set)
    recorder = Recorder()
    driver = MesosSchedulerDriver(recorder, framework(principal="bob"), required.master_address,
                                  principal="bob", secret="guess", implicit_acknowledgements=False)
    driver.start()
    try:
        assert interrupted.wait(10)
        error = pymesos.process._exc_info[1]
        assert isinstance(error, RuntimeError) and "HTTP 401" in str(error)
        assert recorder.events.empty()
        assert required.run(lambda: len(required.master.frameworks)) == 0
    finally:
        pymesos.process._exc_info = None
        driver.stop()
        driver.join()
