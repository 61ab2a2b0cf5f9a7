"""Raw-HTTP protocol tests of the local master against the real Mesos 1.11 transcripts."""
from __future__ import annotations

import base64
import http.client
import json
import pathlib
import time

import pytest

from master_rawclient import Subscription, call
from mesosframe.local.cluster import LocalCluster

RESOURCES = "cpus:2;mem:2048;disk:4096;ports:[31000-32000]"
INFO = {"user": "root", "name": "protocol-test", "failover_timeout": 30.0}


@pytest.fixture(params=[True, False], ids=["fast-path", "aiohttp-only"])
def cluster(request):
    with LocalCluster(agents=0, simulated_agents=1, agent_resources=RESOURCES,
                      status_update_retry=(0.2, 1.0), fast_path=request.param) as c:
        yield c


def subscribe(cluster, capabilities=(), **extra) -> Subscription:
    info = dict(INFO, capabilities=[{"type": c} for c in capabilities], **extra)
    sub = Subscription(cluster.port, {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}})
    sub.subscribed = sub.next("SUBSCRIBED")
    sub.framework_id = sub.subscribed["subscribed"]["framework_id"]["value"]
    return sub


def post(cluster, sub, ctype, body=None, **kw):
    payload = {"type": ctype, "framework_id": {"value": sub.framework_id}}
    if body is not None:
        payload[ctype.lower()] = body
    return call(cluster.port, payload, stream_id=sub.stream_id, **kw)


def sim_task(task_id, agent_id, cpus=0.1, mem=32, **extra):
    return {"task_id": {"value": task_id}, "agent_id": {"value": agent_id}, "name": task_id,
            "command": {"value": "true"}, "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}], **extra}


def launch(cluster, sub, offer, tasks, filters=None):
    body = {"offer_ids": [offer["id"]], "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}]}
    if filters is not None:
        body["filters"] = filters
    return post(cluster, sub, "ACCEPT", body)


def test_subscribe_response_headers_and_first_events(cluster):
    sub = subscribe(cluster)
    assert sub.status == 200
    assert sub.headers["Content-Type"] == "application/json"
    assert sub.headers["Transfer-Encoding"] == "chunked"
    assert len(sub.stream_id) == 36
    body = sub.subscribed["subscribed"]
    master_id = cluster.master.master_id
    assert sub.framework_id == f"{master_id}-0000"
    assert body["heartbeat_interval_seconds"] == 15.0
    info = body["master_info"]
    assert info["ip"] == 16777343 and info["pid"] == f"master@127.0.0.1:{cluster.port}"
    assert info["version"] == "1.11.0"
    assert sub.next(skip=()) == {"type": "HEARTBEAT"}
    offer = sub.next("OFFERS")["offers"]["offers"][0]
    assert offer["id"]["value"] == f"{master_id}-O1"
    assert offer["agent_id"]["value"] == f"{master_id}-S0"
    assert [r["name"] for r in offer["resources"]] == ["ports", "cpus", "mem", "disk"]
    assert all(r["role"] == "*" for r in offer["resources"])
    assert "allocation_info" not in offer


def test_invalid_task_and_spent_offer(cluster):
    sub = subscribe(cluster)
    offer = sub.next("OFFERS")["offers"]["offers"][0]
    agent_id = offer["agent_id"]["value"]
    bad = sim_task("no-command", agent_id)
    del bad["command"]
    status, headers, text = launch(cluster, sub, offer, [sim_task("ok", agent_id), bad], {"refuse_seconds": 1})
    assert (status, headers["Content-Length"], text) == (202, "0", "")
    updates = [sub.next("UPDATE")["update"]["status"] for _ in range(2)]
    error = next(u for u in updates if u["task_id"]["value"] == "no-command")
    assert error["state"] == "TASK_ERROR" and error["reason"] == "REASON_TASK_INVALID"
    assert error["message"] == ("Task should have at least one (but not both) of CommandInfo or "
                                "ExecutorInfo present")
    assert error["source"] == "SOURCE_MASTER" and "uuid" not in error
    running = next(u for u in updates if u["task_id"]["value"] == "ok")
    assert running["state"] == "TASK_RUNNING" and len(base64.b64decode(running["uuid"])) == 16
    launch(cluster, sub, offer, [sim_task("stale-offer", agent_id)])
    lost = sub.next("UPDATE")["update"]["status"]
    assert lost["state"] == "TASK_LOST" and lost["reason"] == "REASON_INVALID_OFFERS"
    assert lost["message"] == f"Task launched with invalid offers: Offer {offer['id']['value']} is no longer valid"


def test_partition_aware_gets_dropped_and_unknown(cluster):
    sub = subscribe(cluster, ["PARTITION_AWARE"])
    offer = sub.next("OFFERS")["offers"]["offers"][0]
    post(cluster, sub, "DECLINE", {"offer_ids": [offer["id"]]})
    launch(cluster, sub, offer, [sim_task("stale", offer["agent_id"]["value"])])
    assert sub.next("UPDATE")["update"]["status"]["state"] == "TASK_DROPPED"
    post(cluster, sub, "RECONCILE", {"tasks": [{"task_id": {"value": "never-launched"}}]})
    status = sub.next("UPDATE")["update"]["status"]
    assert status["state"] == "TASK_UNKNOWN" and status["message"] == "Reconciliation: Task is unknown"
    assert "agent_id" not in status


def test_task_using_more_than_offered_is_task_error(cluster):
    sub = subscribe(cluster)
    offer = sub.next("OFFERS")["offers"]["offers"][0]
    launch(cluster, sub, offer, [sim_task("huge", offer["agent_id"]["value"], cpus=64)])
    status = sub.next("UPDATE")["update"]["status"]
    assert status["state"] == "TASK_ERROR" and status["message"].startswith("Task uses more resources")


def test_duplicate_task_id_in_one_call(cluster):
    sub = subscribe(cluster)
    offer = sub.next("OFFERS")["offers"]["offers"][0]
    agent_id = offer["agent_id"]["value"]
    launch(cluster, sub, offer, [sim_task("twin", agent_id), sim_task("twin", agent_id)])
    states = sorted(sub.next("UPDATE")["update"]["status"]["state"] for _ in range(2))
    assert states == ["TASK_ERROR", "TASK_RUNNING"]


def test_reconcile_implicit_and_explicit_and_ack(cluster):
    sub = subscribe(cluster)
    offer = sub.next("OFFERS")["offers"]["offers"][0]
    agent_id = offer["agent_id"]["value"]
    finishing = sim_task("quick", agent_id, labels={"labels": [{"key": "mesosframe.sim/duration", "value": "0"}]})
    launch(cluster, sub, offer, [sim_task("long", agent_id), finishing])
    def ack(status):
        body = {"agent_id": {"value": agent_id}, "task_id": status["task_id"], "uuid": status["uuid"]}
        assert post(cluster, sub, "ACKNOWLEDGE", body)[0] == 202

    def wait_for(task_id, state):
        while True:
            status = sub.next("UPDATE")["update"]["status"]
            if (status["task_id"]["value"], status["state"]) == (task_id, state):
                return status

    ack(wait_for("quick", "TASK_RUNNING"))
    done = wait_for("quick", "TASK_FINISHED")
    post(cluster, sub, "RECONCILE", {"tasks": []})
    replies = {s["task_id"]["value"]: s for s in (sub.next("UPDATE")["update"]["status"] for _ in range(2))}
    assert replies["quick"]["state"] == "TASK_FINISHED"     # terminal but not acknowledged yet
    assert replies["long"]["message"] == "Reconciliation: Latest task state"
    assert replies["long"]["reason"] == "REASON_RECONCILIATION" and "uuid" not in replies["long"]
    ack(done)
    post(cluster, sub, "RECONCILE", {"tasks": []})
    assert sub.next("UPDATE")["update"]["status"]["task_id"]["value"] == "long"
    assert not [e for e in sub.drain(0.2) if e["type"] == "UPDATE" and
                e["update"]["status"]["task_id"]["value"] == "quick" and
                e["update"]["status"]["source"] == "SOURCE_MASTER"]


ERRORS = [
    # label, mutate(headers/body) -> expected status, body
    ("no stream id", dict(stream_id=None), 400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header"),
    ("wrong stream id", dict(stream_id="00000000-0000-0000-0000-000000000000"), 400, None),
    ("text/plain", dict(content_type="text/plain"), 415,
     "Expecting 'Content-Type' of application/json or application/x-protobuf"),
    ("no content type", dict(content_type=None), 400, "Expecting 'Content-Type' to be present"),
]


@pytest.mark.parametrize("label,kwargs,status,text", ERRORS, ids=[e[0] for e in ERRORS])
def test_header_errors(cluster, label, kwargs, status, text):
    sub = subscribe(cluster)
    kw = dict(stream_id=sub.stream_id)
    kw.update(kwargs)
    got_status, headers, body = call(cluster.port, {"type": "REVIVE", "framework_id": {"value": sub.framework_id}},
                                     **kw)
    assert got_status == status
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    if text is None:
        text = (f"The stream ID '00000000-0000-0000-0000-000000000000' included in this request didn't match "
                f"the stream ID currently associated with framework ID {sub.framework_id}")
    assert body == text and headers["Content-Length"] == str(len(text))


BODY_ERRORS = [
    ("malformed", b"{not json", 400, "Failed to parse body into JSON: syntax error at line 1 near: not json"),
    ("unknown type", {"type": "NOT_A_TYPE"}, 400,
     "Failed to validate scheduler::Call: Expecting 'type' to be present"),
    ("unknown framework", {"type": "REVIVE", "framework_id": {"value": "no-such-framework"}}, 400,
     "Framework cannot be found"),
    ("no framework id", {"type": "REVIVE"}, 400,
     "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"),
    ("bad uuid", {"type": "ACKNOWLEDGE", "acknowledge": {"agent_id": {"value": "a"}, "task_id": {"value": "t"},
                                                         "uuid": "c2hvcnQ="}}, 400,
     "Failed to validate scheduler::Call: Not a valid UUID"),
    ("kill without body", {"type": "KILL"}, 400, "Failed to validate scheduler::Call: Expecting 'kill' to be present"),
    ("array body", b"[1, 2]", 400, "Failed to convert JSON into Call protobuf: Expecting a JSON object"),
]


@pytest.mark.parametrize("label,body,status,text", BODY_ERRORS, ids=[e[0] for e in BODY_ERRORS])
def test_body_errors(cluster, label, body, status, text):
    sub = subscribe(cluster)
    if isinstance(body, dict) and body.get("type") != "NOT_A_TYPE" and "framework_id" not in body \
            and label != "no framework id":
        body = dict(body, framework_id={"value": sub.framework_id})
    assert call(cluster.port, body, stream_id=sub.stream_id)[::2] == (status, text)


def test_get_is_405_with_allow(cluster):
    status, headers, text = call(cluster.port, None, method="GET")
    assert status == 405 and headers["Allow"] == "POST"
    assert text == "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'."


def test_subscribe_with_stream_id_is_400(cluster):
    sub = subscribe(cluster)
    body = {"type": "SUBSCRIBE", "subscribe": {"framework_info": INFO}}
    assert call(cluster.port, body, stream_id=sub.stream_id)[::2] == (
        400, "Subscribe calls should not include the 'Mesos-Stream-Id' header")


def test_unknown_type_is_501_and_disconnected_framework_gets_403(cluster):
    sub = subscribe(cluster)
    assert post(cluster, sub, "UNKNOWN")[0] == 501
    stream_id = sub.stream_id
    sub.sock.shutdown(2)
    sub.close()
    deadline = time.monotonic() + 5
    while cluster.run(lambda: cluster.master.frameworks[sub.framework_id].connected):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    status, _, text = call(cluster.port, {"type": "REVIVE", "framework_id": {"value": sub.framework_id}},
                           stream_id=stream_id)
    assert (status, text) == (403, "Framework is not subscribed")


def test_failover_sends_error_to_old_stream_and_redelivers(cluster):
    sub = subscribe(cluster)
    offer = sub.next("OFFERS")["offers"]["offers"][0]
    launch(cluster, sub, offer, [sim_task("t1", offer["agent_id"]["value"])])
    first = sub.next("UPDATE")["update"]["status"]
    info = dict(INFO, id={"value": sub.framework_id})
    second = Subscription(cluster.port, {"type": "SUBSCRIBE", "framework_id": {"value": sub.framework_id},
                                         "subscribe": {"framework_info": info}})
    assert second.next("SUBSCRIBED")["subscribed"]["framework_id"]["value"] == sub.framework_id
    assert sub.next("ERROR") == {"type": "ERROR", "error": {"message": "Framework failed over"}}
    assert sub.ended.wait(5)
    again = second.next("UPDATE")["update"]["status"]      # the agent re-sends the unacknowledged update
    assert again["uuid"] == first["uuid"]
    status, _, text = post(cluster, sub, "REVIVE", {})
    assert status == 400 and "didn't match the stream ID" in text


def test_teardown_ends_stream_and_framework_cannot_return(cluster):
    sub = subscribe(cluster)
    assert post(cluster, sub, "TEARDOWN")[0] == 202
    assert sub.ended.wait(5)
    info = dict(INFO, id={"value": sub.framework_id})
    again = Subscription(cluster.port, {"type": "SUBSCRIBE", "framework_id": {"value": sub.framework_id},
                                        "subscribe": {"framework_info": info}})
    assert again.status == 200
    assert again.next("ERROR")["error"]["message"] == "Framework has been removed"
    assert again.ended.wait(5)


def test_update_framework_is_200(cluster):
    sub = subscribe(cluster)
    info = dict(INFO, id={"value": sub.framework_id}, name="renamed")
    assert post(cluster, sub, "UPDATE_FRAMEWORK", {"framework_info": info})[0] == 200
    assert cluster.run(lambda: cluster.master.frameworks[sub.framework_id].info["name"]) == "renamed"


def test_oversized_body_is_413(cluster):
    status, _, _ = call(cluster.port, b"{" + b" " * (65 * 1024 * 1024) + b"}")
    assert status == 413


def test_operator_endpoints(cluster):
    status, headers, text = call(cluster.port, None, method="GET", path="/version", content_type=None)
    assert status == 200 and json.loads(text)["version"] == "1.11.0"
    status, _, text = call(cluster.port, None, method="GET", path="/health", content_type=None)
    assert (status, text) == (200, "")
    sub = subscribe(cluster, ["PARTITION_AWARE"])
    sub.next("OFFERS")
    state = json.loads(call(cluster.port, None, method="GET", path="/master/state", content_type=None)[2])
    assert state["leader"] == f"master@127.0.0.1:{cluster.port}"
    assert state["slaves"][0]["resources"]["ports"] == "[31000-32000]"
    framework = state["frameworks"][0]
    assert framework["id"] == sub.framework_id and framework["capabilities"] == ["PARTITION_AWARE"]
    assert framework["offered_resources"]["cpus"] == 2.0 and framework["role"] == "*"


REFERENCE = pathlib.Path(__file__).resolve().parents[3].parent / "shared/reference/real-mesos-1.11"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared/reference (real Mesos ground truth) not present")
def test_master_state_has_the_real_masters_fields(cluster):
    real = json.loads((REFERENCE / "master-state.json").read_text())
    sub = subscribe(cluster)
    offer = sub.next("OFFERS")["offers"]["offers"][0]
    launch(cluster, sub, offer, [sim_task("t", offer["agent_id"]["value"])])
    sub.next("UPDATE")
    ours = json.loads(call(cluster.port, None, method="GET", path="/master/state", content_type=None)[2])
    assert set(real) - set(ours) == set()
    assert set(real["slaves"][0]) - {"reregistered_time"} - set(ours["slaves"][0]) == set()
    real_fw = real["completed_frameworks"][1]
    assert set(real_fw) - {"unregistered_time"} - set(ours["frameworks"][0]) == set()
    real_task = real_fw["completed_tasks"][0]
    assert set(real_task) - set(ours["frameworks"][0]["tasks"][0]) == set()
    assert ours["frameworks"][0]["tasks"][0]["statuses"][-1]["state"] == "TASK_RUNNING"
    version = json.loads((REFERENCE / "version.json").read_text())
    ours_version = json.loads(call(cluster.port, None, method="GET", path="/version", content_type=None)[2])
    assert set(version) == set(ours_version) and ours_version["version"] == version["version"]


@pytest.mark.parametrize("leader,status,location", [
    (None, 503, None),
    (("10.0.0.7", 5050), 307, "//10.0.0.7:5050/api/v1/scheduler"),
])
def test_standby_master_redirects_or_is_unavailable(cluster, leader, status, location):
    cluster.run(cluster.master.set_leading, False, leader)
    got, headers, _ = call(cluster.port, {"type": "SUBSCRIBE", "subscribe": {"framework_info": INFO}},
                           path="/master/api/v1/scheduler")
    assert got == status and headers.get("Location") == location


def test_deposed_master_closes_streams(cluster):
    sub = subscribe(cluster)
    cluster.run(cluster.master.set_leading, False, ("127.0.0.1", 1))
    assert sub.ended.wait(5)


def test_subscribe_accepting_only_protobuf_is_406(cluster):
    sub = Subscription(cluster.port, {"type": "SUBSCRIBE", "subscribe": {"framework_info": INFO}},
                       headers={"Accept": "application/x-protobuf"})
    assert sub.status == 406


def test_one_keep_alive_connection_mixes_plain_calls_and_errors(cluster):
    sub = subscribe(cluster)
    conn = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=10)
    revive = json.dumps({"type": "REVIVE", "framework_id": {"value": sub.framework_id}}).encode()
    headers = {"Content-Type": "application/json", "Mesos-Stream-Id": sub.stream_id}
    answers = []
    for body in (revive, b"{not json", revive, revive):
        conn.request("POST", "/api/v1/scheduler", body=body, headers=headers)
        resp = conn.getresponse()
        answers.append((resp.status, resp.read()))
    conn.close()
    assert answers == [(202, b""), (400, b"Failed to parse body into JSON: syntax error at line 1 near: not json"),
                       (202, b""), (202, b"")]


def test_stopping_the_master_closes_every_connection():
    """As when a master process exits: the stream and kept-alive connections are closed, none stays silent."""
    cluster = LocalCluster(agents=0, simulated_agents=1).start()
    info = {"user": "root", "name": "closing"}
    sub = Subscription(cluster.port, {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}})
    assert sub.next("SUBSCRIBED")
    kept = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=5)
    kept.request("GET", "/version")                   # served by aiohttp, connection kept alive
    assert kept.getresponse().read()
    cluster.stop()
    assert sub.ended.wait(5)
    started = time.monotonic()
    try:
        assert kept.sock.recv(1) == b""
    except ConnectionResetError:
        pass
    assert time.monotonic() - started < 4
