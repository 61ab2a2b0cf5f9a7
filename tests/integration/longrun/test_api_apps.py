"""`/v2/apps` and `/v2/tasks` over the in-memory service, through FastAPI's TestClient."""
from __future__ import annotations


def create(client, service, **body):
    response = client.post("/v2/apps", json={"cmd": "sleep 100", **body})
    assert response.status_code == 201, response.text
    service.settle()
    return response


def test_create_returns_201_location_and_deployment(client, service):
    r = client.post("/v2/apps", json={"id": "/prod/web", "cmd": "x", "instances": 2})
    assert r.status_code == 201
    assert r.headers["location"] == "/v2/apps/prod/web"
    body = r.json()
    assert body["id"] == "/prod/web" and body["deployments"] == [{"id": r.headers["marathon-deployment-id"]}]
    assert body["portDefinitions"][0]["port"] >= 10000 and body["version"] == body["versionInfo"]["lastScalingAt"]
    assert client.get("/v2/deployments").json()[0]["id"] == r.headers["marathon-deployment-id"]
    again = client.post("/v2/apps", json={"id": "/prod/web", "cmd": "x"})
    assert again.status_code == 409 and "already exists" in again.json()["message"]


def test_get_app_embeds_counts_and_tasks(client, service):
    create(client, service, id="/web", instances=2)
    app = client.get("/v2/apps/web").json()["app"]
    assert app["tasksRunning"] == 2 and len(app["tasks"]) == 2 and app["deployments"] == []
    assert app["tasks"][0]["appId"] == "/web" and app["tasks"][0]["state"] == "TASK_RUNNING"
    missing = client.get("/v2/apps/nope")
    assert missing.status_code == 404 and missing.json() == {"message": "App '/nope' does not exist"}


def test_list_filters_by_id_cmd_label_and_embeds(client, service):
    create(client, service, id="/a/web", labels={"tier": "front", "env": "prod"})
    create(client, service, id="/a/db", cmd="postgres", labels={"tier": "back"})
    ids = lambda q: [a["id"] for a in client.get("/v2/apps" + q).json()["apps"]]   # noqa: E731
    assert ids("") == ["/a/db", "/a/web"]
    assert ids("?id=web") == ["/a/web"] and ids("?cmd=postgres") == ["/a/db"]
    assert ids("?label=tier==front") == ["/a/web"] and ids("?label=tier in (front, back),env") == ["/a/web"]
    assert ids("?label=tier!=front") == ["/a/db"]
    assert "tasks" in client.get("/v2/apps?embed=apps.tasks").json()["apps"][0]
    assert "tasks" not in client.get("/v2/apps").json()["apps"][0]
    assert client.get("/v2/apps?label=tier in (x").status_code == 422
    assert [a["id"] for a in client.get("/v2/apps/a/*").json()["*"]] == ["/a/db", "/a/web"]


def test_put_creates_then_updates_with_partial_merge(client, service):
    r = client.put("/v2/apps/svc", json={"cmd": "x", "instances": 1, "env": {"A": "1"}})
    assert r.status_code == 201 and r.headers["location"] == "/v2/apps/svc" and "deploymentId" in r.json()
    service.settle()
    r = client.put("/v2/apps/svc", json={"instances": 3})
    assert r.status_code == 200 and r.headers["marathon-deployment-id"] == r.json()["deploymentId"]
    service.settle()
    app = client.get("/v2/apps/svc").json()["app"]
    assert (app["instances"], app["env"], app["cmd"]) == (3, {"A": "1"}, "x")
    r = client.put("/v2/apps/svc?partialUpdate=false", json={"cmd": "y"})
    service.settle()
    assert client.get("/v2/apps/svc").json()["app"]["instances"] == 1      # replaced: defaults again
    assert client.patch("/v2/apps/none", json={"instances": 2}).status_code == 404
    assert client.patch("/v2/apps/svc", json={"instances": 2}).status_code == 200


def test_locked_app_gives_409_with_blocking_deployments_and_force_overrides(client):
    first = client.post("/v2/apps", json={"id": "/web", "cmd": "x"}).headers["marathon-deployment-id"]
    r = client.put("/v2/apps/web", json={"cmd": "y"})
    assert r.status_code == 409
    assert r.json()["deployments"] == [{"id": first}] and "?force=true" in r.json()["message"]
    assert client.put("/v2/apps/web?force=true", json={"cmd": "y"}).status_code == 200


def test_validation_errors_are_marathons_422(client):
    r = client.post("/v2/apps", json={"id": "/web", "cmd": "x", "cpus": -1,
                                      "upgradeStrategy": {"maximumOverCapacity": 2}})
    assert r.status_code == 422
    body = r.json()
    assert body["message"] == "Object is not valid"
    assert {d["path"] for d in body["details"]} == {"/cpus", "/upgradeStrategy/maximumOverCapacity"}
    bad_json = client.post("/v2/apps", content=b"{nope", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json()["message"] == "Invalid JSON"
    bulk = client.put("/v2/apps", json=[{"id": "/ok", "cmd": "x"}, {"id": "/bad", "cmd": "x", "mem": -5}])
    assert bulk.status_code == 422 and bulk.json()["details"][0]["path"] == "/(1)/mem"


def test_bulk_put_and_patch(client, service):
    r = client.put("/v2/apps", json=[{"id": "/a", "cmd": "x"}, {"id": "/b", "cmd": "x", "instances": 2}])
    assert r.status_code == 200 and "deploymentId" in r.json()
    service.settle()
    assert client.patch("/v2/apps", json=[{"id": "/a", "instances": 3}]).status_code == 200
    service.settle()
    assert [a["instances"] for a in client.get("/v2/apps").json()["apps"]] == [3, 2]


def test_delete_restart_versions(client, service):
    create(client, service, id="/web", instances=1)
    service.clock.advance(1)
    r = client.post("/v2/apps/web/restart")
    assert r.status_code == 200 and "deploymentId" in r.json()
    service.settle()
    versions = client.get("/v2/apps/web/versions").json()["versions"]
    assert len(versions) == 2
    assert client.get(f"/v2/apps/web/versions/{versions[1]}").json()["id"] == "/web"
    assert client.get("/v2/apps/web/versions/1999").status_code == 404
    assert client.delete("/v2/apps/web").status_code == 200
    service.settle()
    assert client.get("/v2/apps").json() == {"apps": []}
    assert client.delete("/v2/apps/web").status_code == 404
    assert client.post("/v2/apps/web/restart").status_code == 404


def test_tasks_routes(client, service):
    create(client, service, id="/web", instances=3)
    tasks = client.get("/v2/apps/web/tasks").json()["tasks"]
    assert len(tasks) == 3
    text = client.get("/v2/apps/web/tasks", headers={"accept": "text/plain"})
    assert text.headers["content-type"].startswith("text/plain") and text.text.count("/web\t") == 3
    assert len(client.get("/v2/tasks?status=running").json()["tasks"]) == 3
    assert client.get("/v2/tasks?status=staging").json() == {"tasks": []}
    assert client.get("/v2/tasks?status=bogus").status_code == 400
    one = client.delete(f"/v2/apps/web/tasks/{tasks[0]['id']}")
    assert one.status_code == 200 and one.json()["task"]["id"] == tasks[0]["id"]
    assert client.delete(f"/v2/apps/web/tasks/{tasks[0]['id']}?scale=true&wipe=true").status_code == 400
    scaled = client.delete(f"/v2/apps/web/tasks?scale=true&host={tasks[1]['host']}")
    assert scaled.status_code == 200 and "deploymentId" in scaled.json()
    service.settle()
    assert client.get("/v2/apps/web").json()["app"]["instances"] == 2
    assert client.post("/v2/tasks/delete", json={"ids": ["no-such-task"]}).status_code == 400
    assert client.post("/v2/tasks/delete", json={"nope": 1}).status_code == 400
    live = client.get("/v2/tasks").json()["tasks"][0]["id"]
    assert client.post("/v2/tasks/delete", json={"ids": [live]}).json()["tasks"][0]["id"] == live
