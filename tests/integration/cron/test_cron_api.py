"""The Chronos-compatible REST API over an in-memory CronService (FastAPI TestClient, FakeClock)."""
from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from mesosframe.core.clock import FakeClock
from mesosframe.errors import NotLeaderError
from schedulers.cron.api import create_app
from schedulers.cron.service import InMemoryCronService

T0 = 1_717_243_200.0  # 2024-06-01T12:00:00Z
V1 = "/v1/scheduler"


@pytest.fixture
def service():
    return InMemoryCronService(FakeClock(T0), leader="10.0.0.1:4400")


@pytest.fixture
def client(service):
    return TestClient(create_app(service))


def scheduled(name="a", **extra):
    return {"name": name, "command": "echo hi", "schedule": "R/2024-06-01T13:00:00Z/PT1H", **extra}


def test_create_get_list_and_defaults(client):
    assert client.post(f"{V1}/iso8601", json=scheduled()).status_code == 204
    job = client.get(f"{V1}/job/a").json()
    defaults = (job["retries"], job["shell"], job["concurrent"], job["successCount"], job["lastError"])
    assert defaults == (2, True, False, 0, "")
    assert [j["name"] for j in client.get(f"{V1}/jobs").json()] == ["a"]


def test_empty_start_is_stored_as_now(client):
    assert client.post(f"{V1}/iso8601", json=scheduled(schedule="R5//PT10M")).status_code == 204
    assert client.get(f"{V1}/job/a").json()["schedule"] == "R5/2024-06-01T12:00:00.000Z/PT10M"


@pytest.mark.parametrize("body, fragment", [
    (scheduled(name="bad name!"), "name:"),
    (scheduled(schedule="R/2024-06-01T13:00:00Z/PT1X"), "at position 25"),
    (scheduled(schedule="61 * * * *"), "minute: 61"),
    (scheduled(scheduleTimeZone="Nowhere/Town"), "unknown time zone"),
    (scheduled(retries=-1), "retries:"),
    (scheduled(container={"type": "MESOS"}), "container.image: Field required"),
    (scheduled(constraints=[["rack", "NEAR", "x"]]), "operator must be"),
    ({"name": "a", "command": "x"}, "schedule: a scheduled job needs a schedule"),
    (scheduled(parents=["x"]), "either a schedule or parents"),
])
def test_bad_jobs_are_400_with_the_field(client, body, fragment):
    response = client.post(f"{V1}/iso8601", json=body)
    assert response.status_code == 400
    assert response.json()["status"] == "400 Bad Request"
    assert fragment in response.json()["message"]


def test_dependencies_cycles_missing_parents_and_graphs(client):
    client.post(f"{V1}/iso8601", json=scheduled("a"))
    assert client.post(f"{V1}/dependency", json={"name": "b", "command": "x", "parents": ["a"]}).status_code == 204
    missing = client.post(f"{V1}/dependency", json={"name": "c", "command": "x", "parents": ["zz"]})
    assert missing.status_code == 400 and "unknown parent 'zz'" in missing.json()["message"]
    empty = client.post(f"{V1}/dependency", json={"name": "c", "command": "x", "parents": []})
    assert empty.status_code == 400 and "parents" in empty.json()["message"]
    cycle = client.post(f"{V1}/dependency", json={"name": "a", "command": "x", "parents": ["b"]})
    assert cycle.status_code == 400 and "a -> b -> a" in cycle.json()["message"]
    assert client.get(f"{V1}/graph/csv").text == "node,a,fresh,idle\nnode,b,fresh,idle\nlink,a,b\n"
    assert '"a" -> "b";' in client.get(f"{V1}/graph/dot").text


def test_manual_run_kill_success_and_children(client, service):
    client.post(f"{V1}/iso8601", json=scheduled("a"))
    client.post(f"{V1}/dependency", json={"name": "b", "command": "x", "parents": ["a"]})
    assert client.put(f"{V1}/job/a", params={"arguments": "--fast; rm"}).status_code == 204
    (launch,) = service.launches
    assert launch.task_id == "ct:1717243200000:0:a:--fast rm"
    service.task_status(launch.task_id, "TASK_RUNNING", "agent-7")
    summary = client.get(f"{V1}/jobs/summary").json()["jobs"]
    assert summary[0] == {"name": "a", "status": "running", "state": "fresh",
                          "schedule": "R/2024-06-01T13:00:00Z/PT1H", "parents": [], "disabled": False}
    assert client.delete(f"{V1}/task/kill/a").status_code == 204
    assert [k.task_id for k in service.kills] == [launch.task_id]
    service.task_status(launch.task_id, "TASK_KILLED")
    assert client.get(f"{V1}/job/stat/a").json()["taskStatHistory"][0]["state"] == "KILLED"
    response = client.put(f"{V1}/job/success/a")
    assert response.status_code == 200 and "success" in response.text
    assert client.get(f"{V1}/job/a").json()["successCount"] == 1
    assert [l.task_id.split(":")[3] for l in service.launches] == ["a", "b"]  # the child fired


def test_scheduled_slot_runs_and_stats(client, service):
    client.post(f"{V1}/iso8601", json=scheduled("a"))
    service.clock.set(T0 + 3600)
    service.tick()
    (launch,) = service.launches
    assert launch.task_id == "ct:1717246800000:0:a"
    service.task_status(launch.task_id, "TASK_RUNNING")
    service.clock.advance(42)
    service.task_status(launch.task_id, "TASK_FINISHED")
    stat = client.get(f"{V1}/job/stat/a").json()
    assert stat["histogram"]["count"] == 1 and stat["histogram"]["median"] == 42
    assert client.get(f"{V1}/stats/99thPercentile").json() == [{"jobNameLabel": "a", "time": 42}]
    assert client.get(f"{V1}/jobs/summary").json()["jobs"][0]["state"] == "success"
    assert client.get("/metrics").json()["counters"]["runs.success"] == 1


def test_search_delete_leader_ping_openapi(client):
    for name, command in (("backup-db", "pg_dump"), ("Report", "make report"), ("other", "true")):
        client.post(f"{V1}/iso8601", json=scheduled(name, command=command))
    names = lambda **q: [j["name"] for j in client.get(f"{V1}/jobs/search", params=q).json()]  # noqa: E731
    assert names(name="REP") == ["Report"]
    assert names(command="dump") == ["backup-db"]
    assert names(any="o") == ["Report", "other"]
    assert names(any="o", limit=1, offset=1) == ["other"]
    assert client.delete(f"{V1}/job/other").status_code == 204
    gone = client.get(f"{V1}/job/other")
    assert gone.status_code == 400 and "does not exist" in gone.json()["message"]
    assert client.get(f"{V1}/leader").json() == {"leader": "10.0.0.1:4400"}
    assert client.get("/ping").text == "pong"
    assert f"{V1}/iso8601" in client.get("/openapi.json").json()["paths"]


GARBAGE = [b"{", b"[]", b"null", b"\xff\xfe", b'{"name": 5}', b'{"name": "a", "retries": "many"}',
           b'{"name": "a", "schedule": {"x": 1}}', b'{"name":"a","parents":"b"}', b"[" * 500,
           # Python's parser reads these; numbers that are not finite are refused like any bad field
           b'{"name": "a", "command": "x", "schedule": "R/2024-06-01T13:00:00Z/PT1H", "cpus": NaN}',
           b'{"name": "a", "command": "x", "schedule": "R/2024-06-01T13:00:00Z/PT1H", "retryDelaySeconds": Infinity}',
           b'{"name": "a", "command": "x", "parents": ["b"], "startingDeadlineSeconds": Infinity}',
           b'{"name": "a", "command": "x", "schedule": "R/2024-06-01T13:00:00Z/PT1H", "mem": 1e308}',
           # names the state store cannot hold, and numbers int() refuses or float() takes to infinity
           b'{"name": "..", "command": "x", "schedule": "R/2024-06-01T13:00:00Z/PT1H"}',
           b'{"name": ".", "command": "x", "schedule": "R/2024-06-01T13:00:00Z/PT1H"}',
           '{"name": "a", "command": "x", "schedule": "R\u00b2/2024-06-01T13:00:00Z/PT1H"}'.encode(),
           b'{"name": "a", "command": "x", "schedule": "R' + b"9" * 5000 + b'/2024-06-01T13:00:00Z/PT1H"}',
           b'{"name": "a", "command": "x", "schedule": "R/2024-06-01T13:00:00Z/PT' + b"9" * 400 + b'S"}',
           '{"name": "a", "command": "x", "schedule": "\u00b2 * * * *"}'.encode(),
           b'{"name": "a", "command": "x", "schedule": "*/' + b"9" * 5000 + b' * * * *"}']
ROUTES = ["get /jobs", "get /job/{n}", "put /job/{n}", "delete /job/{n}", "put /job/success/{n}",
          "delete /task/kill/{n}", "get /jobs/search", "get /jobs/summary", "get /graph/dot", "get /graph/csv",
          "get /job/stat/{n}", "get /stats/{n}", "get /leader"]


def assert_no_500(response, *context):
    assert response.status_code < 500, (*context, response.text)
    if response.status_code >= 400:
        assert "message" in response.json()


def test_garbage_bodies_never_give_a_500(client):
    for route in ("/iso8601", "/dependency"):
        for body in GARBAGE:
            response = client.post(V1 + route, content=body, headers={"content-type": "application/json"})
            assert response.status_code == 400, (route, body)
            assert_no_500(response, route, body)


def test_garbage_paths_and_parameters_never_give_a_500(client):
    client.post(f"{V1}/iso8601", json=scheduled("a"))
    for route in ROUTES:
        method, path = route.split()
        for name in ("nope", "a", "%00", "x" * 300):
            response = client.request(method, V1 + path.replace("{n}", name), content=b"\xff{",
                                      params={"limit": "-1", "offset": "x", "arguments": "\x00;;"})
            assert_no_500(response, route, name)


@pytest.mark.parametrize("auth, headers, expected", [
    ({"basic": ("u", "p")}, {}, 401),
    ({"basic": ("u", "p")}, {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}, 200),
    ({"basic": ("u", "p")}, {"Authorization": "Basic " + base64.b64encode(b"u:x").decode()}, 401),
    ({"bearer": "s3cret"}, {"Authorization": "Bearer s3cret"}, 200),
    ({"bearer": "s3cret"}, {"Authorization": "Bearer nope"}, 401),
])
def test_optional_auth(service, auth, headers, expected):
    client = TestClient(create_app(service, **auth))
    assert client.get(f"{V1}/jobs", headers=headers).status_code == expected
    assert client.get("/ping").status_code == 200


def test_a_standby_answers_503_naming_the_leader(service):
    class Standby(InMemoryCronService):
        def list_jobs(self):
            raise NotLeaderError(leader="10.0.0.2:4400")

    response = TestClient(create_app(Standby(FakeClock(T0)))).get(f"{V1}/jobs")
    assert response.status_code == 503 and "10.0.0.2:4400" in response.json()["message"]
