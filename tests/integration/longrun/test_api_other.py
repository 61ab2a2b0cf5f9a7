"""Groups, deployments, queue, events, leader, status routes; garbage input; auth; body limit; secrets."""
from __future__ import annotations

import asyncio
import itertools
import logging
import warnings

import pytest
from fastapi.routing import APIRoute

from mesosframe.core.clock import FakeClock
from schedulers.longrun import api_apps, api_other
from schedulers.longrun.api import create_app, redact_env
from schedulers.longrun.api_other import sse_stream
from schedulers.longrun.events import EventBus, make_event
from schedulers.longrun.memory import InMemoryLongrunService

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

GROUP = {"id": "/shop", "apps": [{"id": "web", "cmd": "w", "dependencies": ["db"]}, {"id": "db", "cmd": "d"}]}


def test_groups_crud_scale_dry_run_and_rollback(client, service):
    r = client.post("/v2/groups", json=GROUP)
    assert r.status_code == 201 and r.headers["location"] == "/v2/groups/shop" and "deploymentId" in r.json()
    version = r.json()["version"]
    service.settle()
    assert client.post("/v2/groups", json=GROUP).status_code == 409
    tree = client.get("/v2/groups/shop").json()
    assert [a["id"] for a in tree["apps"]] == ["/shop/db", "/shop/web"] and tree["pods"] == []
    assert client.get("/v2/groups").json()["groups"][0]["id"] == "/shop"
    dry = client.put("/v2/groups/shop?dryRun=true", json={"scaleBy": 2})
    assert dry.status_code == 200 and dry.json()["steps"]
    assert client.put("/v2/groups/shop", json={"scaleBy": 2}).status_code == 200
    service.settle()
    assert client.get("/v2/apps/shop/web").json()["app"]["instances"] == 2
    assert client.put("/v2/groups/shop", json={"version": version}).status_code == 200
    service.settle()
    assert client.get("/v2/apps/shop/web").json()["app"]["instances"] == 1
    assert client.put("/v2/groups/shop", json={"version": "1999-01-01T00:00:00.000Z"}).status_code == 404
    assert client.put("/v2/groups/shop", json={"scaleBy": "lots"}).status_code == 400
    cycle = {"id": "/loop", "apps": [{"id": "a", "cmd": "x", "dependencies": ["b"]},
                                     {"id": "b", "cmd": "x", "dependencies": ["a"]}]}
    bad = client.post("/v2/groups", json=cycle)
    assert bad.status_code == 422 and bad.json()["details"][0]["path"] == "/dependencies"
    invalid = client.post("/v2/groups", json={"id": "/g", "apps": [{"id": "x", "cpus": -1, "cmd": "x"}]})
    assert invalid.status_code == 422 and invalid.json()["details"][0]["path"] == "/apps(0)/cpus"
    assert client.delete("/v2/groups/shop").status_code == 200
    service.settle()
    assert client.get("/v2/groups/shop").status_code == 404


def test_deployments_revert_and_force(client, service):
    client.post("/v2/apps", json={"id": "/web", "cmd": "x"})
    dep = client.get("/v2/deployments").json()[0]
    assert dep["totalSteps"] == 2 and dep["currentActions"][0]["app"] == "/web"
    revert = client.delete(f"/v2/deployments/{dep['id']}")
    assert revert.status_code == 200 and revert.json()["deploymentId"] != dep["id"]
    assert client.get("/v2/apps/web").status_code == 404           # the revert removes the new app
    service.settle()
    client.post("/v2/apps", json={"id": "/web2", "cmd": "x"})
    dep2 = client.get("/v2/deployments").json()[0]["id"]
    forced = client.delete(f"/v2/deployments/{dep2}?force=true")
    assert forced.status_code == 202 and forced.content == b""
    assert client.delete("/v2/deployments/nope").status_code == 404


def test_queue_and_delay_reset():
    svc = InMemoryLongrunService(FakeClock(), behaviour=lambda app: "failed")
    with TestClient(create_app(svc)) as client:
        client.post("/v2/apps", json={"id": "/web", "cmd": "x", "backoffSeconds": 30})
        svc.tick()
        svc.tick()
        entry = client.get("/v2/queue").json()["queue"][0]
        assert entry["app"]["id"] == "/web" and entry["count"] == 1 and entry["delay"]["timeLeftSeconds"] == 30.0
        assert "processedOffersSummary" in entry
        assert client.delete("/v2/queue/web/delay").status_code == 204
        assert client.get("/v2/queue").json()["queue"][0]["delay"] == {"timeLeftSeconds": 0.0, "overdue": True}
        assert client.delete("/v2/queue/nope/delay").status_code == 404


def test_status_routes(client):
    assert client.get("/ping").text == "pong"
    assert client.get("/v2/info").json()["elected"] is True
    assert client.get("/metrics").json()["gauges"]["apps"]["value"] == 0
    assert "/v2/apps" in client.get("/openapi.json").json()["paths"]
    assert client.get("/v2/eventSubscriptions").status_code == 404
    assert client.get("/v2/leader").json() == {"leader": "127.0.0.1:8080"}
    assert client.delete("/v2/leader").json() == {"message": "Leadership abdicated"}
    assert client.get("/v2/leader").status_code == 404
    assert client.get("/no/such/route").json() == {"message": "URI not found"}


def test_event_stream_needs_accept_header_and_known_types(client):
    assert client.get("/v2/events").status_code == 405
    assert client.get("/v2/events?event_type=bogus", headers={"accept": "text/event-stream"}).status_code == 400


def test_sse_frames_carry_marathon_event_names():
    async def scenario():
        bus = EventBus()
        subscription = bus.subscribe(["deployment_success"])
        stream = sse_stream(subscription, "10.0.0.1", now=0.0)
        first = await stream.__anext__()
        bus.publish(make_event("status_update_event", 1.0, taskId="t"))    # filtered out
        bus.publish(make_event("deployment_success", 2.0, id="d1"))
        second = await asyncio.wait_for(stream.__anext__(), 1.0)
        await stream.aclose()
        return first, second, bus.subscriber_count

    first, second, left = asyncio.run(scenario())
    assert first.startswith(b"event: event_stream_attached\ndata: {") and b'"remoteAddress":"10.0.0.1"' in first
    assert second.startswith(b"event: deployment_success\n") and b'"id":"d1"' in second and second.endswith(b"\n\n")
    assert left == 0
    with pytest.raises(ValueError):
        make_event("made_up_event", 0.0)


GARBAGE_BODIES = [b"", b"\xff\xfe\x00", b"null", b"[]", b'"text"', b"123", b'{"id": 5}', b'{"id": "/A B"}',
                  b'{"apps": "x", "groups": 7}', b'{"ids": [1, 2]}', b'{"scaleBy": -1}', b'{"version": {}}',
                  b'[{"id": null}]', b'{"id": "/x", "cmd": "x", "instances": -1, "constraints": "none"}',
                  # not JSON, but Python's parser reads them: numbers that are not finite
                  b'{"scaleBy": NaN}', b'{"scaleBy": Infinity}', b'{"id": "/x", "cmd": "x", "mem": Infinity}',
                  b'{"cpus": NaN, "instances": 1}']
GARBAGE_PARAMS = ["", "?force=maybe", "?scale=true&wipe=true", "?label=a%20in%20(", "?embed=%00", "?dryRun=2",
                  "?partialUpdate=nah", "?status=all", "?event_type=nope"]
GARBAGE_IDS = ["x", "..", "A%20B", "%00", "a/../..", "-", "x" * 300, "*"]


def test_garbage_never_gives_500(service):
    with TestClient(create_app(service), raise_server_exceptions=False) as client:
        client.post("/v2/apps", json={"id": "/x", "cmd": "x"})
        routes = [r for r in api_apps.router.routes + api_other.router.routes if isinstance(r, APIRoute)]
        assert len(routes) > 25
        checked = 0
        for route, method in ((r, m) for r in routes for m in r.methods):
            if route.path == "/v2/events":
                continue        # a stream: checked above
            for value, body, params in zip(itertools.cycle(GARBAGE_IDS), GARBAGE_BODIES,
                                           itertools.cycle(GARBAGE_PARAMS)):
                path = route.path
                for name in ("app_id", "group_id", "task_id", "version", "deployment_id"):
                    path = path.replace("{%s:path}" % name, value).replace("{%s}" % name, value)
                response = client.request(method, path + params, content=body,
                                          headers={"content-type": "application/json"})
                assert response.status_code < 500, (method, path + params, body, response.text)
                checked += 1
        assert checked > 300


OUT_OF_RANGE = [  # (method, path, body, what the error names)
    ("PUT", "/v2/groups", b'{"scaleBy": NaN}', "scaleBy"),
    ("PUT", "/v2/groups/shop", b'{"scaleBy": Infinity}', "scaleBy"),
    ("PUT", "/v2/groups/shop?dryRun=true", b'{"scaleBy": NaN}', "scaleBy"),
    ("PUT", "/v2/groups/shop", b'{"scaleBy": 1e308}', "2147483647 instances"),
    ("PUT", "/v2/groups/shop", b'{"scaleBy": 1' + b"0" * 400 + b'}', "scaleBy"),
    ("POST", "/v2/apps", b'{"id": "/y", "cmd": "x", "mem": Infinity}', "/mem"),
    ("PUT", "/v2/apps/shop/web", b'{"cmd": "x", "cpus": NaN}', "/cpus"),
    ("PATCH", "/v2/apps/shop/web", b'{"disk": -Infinity}', "/disk"),
    ("POST", "/v2/groups", b'{"id": "/z", "apps": [{"id": "a", "cmd": "x", "cpus": NaN}]}', "cpus"),
    ("PUT", "/v2/apps/shop/web", b'{"cmd": "x", "upgradeStrategy": {"minimumHealthCapacity": NaN}}',
     "/upgradeStrategy/minimumHealthCapacity"),
    ("POST", "/v2/apps", b'{"id": "/y", "cmd": "x", "instances": 2147483648}', "/instances"),
    ("POST", "/v2/apps", b'{"id": "/y", "cmd": "x", "cpus": 1e308}', "/cpus"),     # no finite thousandths
    ("PATCH", "/v2/apps/shop/web", b'{"taskKillGracePeriodSeconds": 99999999999}', "/taskKillGracePeriodSeconds"),
    ("PUT", "/v2/apps/shop/web", b'{"healthChecks": [{"protocol": "MESOS_TCP", "intervalSeconds": 1' + b"0" * 30
     + b'}]}', "/healthChecks(0)/intervalSeconds"),
]


@pytest.mark.parametrize("method, path, body, named", OUT_OF_RANGE)
def test_numbers_not_finite_or_out_of_range_get_a_4xx_naming_them_and_change_nothing(service, method, path, body,
                                                                                      named):
    """Python's JSON parser reads NaN, Infinity and huge integers: refused, never stored, never a 500."""
    with TestClient(create_app(service), raise_server_exceptions=False) as client:
        assert client.post("/v2/apps", json={"id": "/shop/web", "cmd": "x", "instances": 2}).status_code == 201
        before = client.get("/v2/apps").json()
        response = client.request(method, path, content=body, headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
        assert named in response.text
        assert client.get("/v2/apps").json() == before


def _nested_group(depth: int) -> dict:
    body: dict = {"id": "/deep", "groups": []}
    level = body
    for _ in range(depth):
        inner: dict = {"id": "g", "groups": []}
        level["groups"].append(inner)
        level = inner
    return body


@pytest.mark.timeout(20)
@pytest.mark.parametrize("method, path, kwargs, status", [
    # backslashes could be split between the selector's escapes and its character classes in exponentially
    # many ways: 40 of them took about a minute, 60 would take days
    ("GET", "/v2/apps", {"params": {"label": "k==" + "\\" * 60 + "x()"}}, 422),
    ("GET", "/v2/apps", {"params": {"label": "\\" * 60 + "x() "}}, 422),
    ("POST", "/v2/apps", {"json": {"id": "/" + "/".join(["a"] * 20000), "cmd": "x"}}, 422),   # ids <= 64 segments
    ("POST", "/v2/groups", {"json": _nested_group(70)}, 422),
    ("POST", "/v2/apps", {"content": b'{"id": "/a", "cmd": "x", "labels": ' + b"[" * 100000 + b"]" * 100000
                          + b"}"}, 400),                                      # nested too deep to parse
])
def test_costly_or_deep_requests_are_refused_at_once(service, method, path, kwargs, status):
    with TestClient(create_app(service), raise_server_exceptions=False) as client:
        assert client.post("/v2/apps", json={"id": "/shop/web", "cmd": "x"}).status_code == 201
        response = client.request(method, path, headers={"content-type": "application/json"}, **kwargs)
        assert response.status_code == status, response.text[:200]
        assert client.get("/v2/groups").status_code == 200


def test_a_lone_surrogate_a_client_sent_reads_back_and_breaks_no_listing(service):
    """Python's JSON parser accepts "\ud800"; orjson refuses to write it, and the fallback must not fail."""
    with TestClient(create_app(service), raise_server_exceptions=False) as client:
        created = client.post("/v2/apps", content=b'{"id": "/a", "cmd": "x\\ud800", "labels": {"k": "\\udfff"}}',
                              headers={"content-type": "application/json"})
        assert created.status_code == 201, created.text
        for path in ("/v2/apps", "/v2/apps/a", "/v2/groups"):
            response = client.get(path)
            assert response.status_code == 200 and b"\\ud800" in response.content


def test_a_huge_instance_count_is_offered_to_the_core_a_window_at_a_time(service):
    from mesosframe.core.clock import FakeClock
    from schedulers.longrun.runner import LAUNCH_WINDOW
    from schedulers.longrun.spec import parse_app
    sim = type(service)(FakeClock())
    sim.update_apps([parse_app({"id": "/many", "cmd": "x", "instances": 2**31 - 1})])
    sim.tick()
    sim.tick()
    assert 0 < len(sim.tasks()) <= 2 * LAUNCH_WINDOW


def test_auth_basic_and_bearer(service):
    with TestClient(create_app(service, basic_auth=("admin", "s3cret"), bearer_token="tok")) as client:
        assert client.get("/v2/apps").status_code == 401
        assert client.get("/v2/apps").headers["www-authenticate"].startswith("Basic")
        assert client.get("/v2/apps", auth=("admin", "s3cret")).status_code == 200
        assert client.get("/v2/apps", auth=("admin", "wrong")).status_code == 401
        assert client.get("/v2/apps", headers={"authorization": "Bearer tok"}).status_code == 200
        assert client.get("/v2/apps", headers={"authorization": "Bearer nope"}).status_code == 401
        assert client.get("/ping").status_code == 200


def test_rejected_requests_are_access_logged(service, caplog):
    caplog.set_level(logging.INFO, logger="mesosframe.longrun.api")
    with TestClient(create_app(service, bearer_token="tok")) as client:
        assert client.get("/v2/apps").status_code == 401
    assert "http_request method=GET path=/v2/apps status=401" in caplog.text


def test_body_limit(service):
    with TestClient(create_app(service, max_body_bytes=100)) as client:
        big = b'{"id": "/x", "cmd": "' + b"x" * 200 + b'"}'
        assert client.post("/v2/apps", content=big).status_code == 413
        chunked = client.post("/v2/apps", content=iter([big[:60], big[60:]]))
        assert chunked.status_code == 413
        assert client.post("/v2/apps", json={"id": "/x", "cmd": "y"}).status_code == 201


def test_secrets_are_never_logged(service, caplog):
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(service, bearer_token="tok-very-secret")) as client:
        r = client.post("/v2/apps?token=query-secret", json={"id": "/x", "cmd": "y", "env": {
            "DB_PASSWORD": "hunter2", "API_TOKEN": "abc123xyz", "PLAIN": "visible"}},
            headers={"authorization": "Bearer tok-very-secret"})
        assert r.status_code == 201
        service.settle()
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("mesosframe"))
    assert "http_request method=POST path=/v2/apps status=201" in text and "PLAIN" in text
    for secret in ("hunter2", "abc123xyz", "tok-very-secret", "query-secret"):
        assert secret not in text
    assert redact_env({"MY_SECRET": "a", "x": "b"}) == {"MY_SECRET": "<redacted>", "x": "b"}
