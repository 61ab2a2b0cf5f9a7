"""Definitions the API must refuse or apply as Marathon does: ids that name both an app and a group, bulk updates
(paths with the item's index, an id given twice), and rollbacks to a version that does not exist."""
from __future__ import annotations

import pytest

CLASH = "Groups and Applications may not have the same identifier."


def deploy(client, service, **body):
    r = client.post("/v2/apps", json={"cmd": "sleep 100", **body})
    assert r.status_code == 201, r.text
    service.settle()


def assert_clash(response, app_id):
    assert response.status_code == 422, response.text
    assert response.json() == {"message": "Object is not valid",
                               "details": [{"path": "/", "errors": [f"{CLASH} ({app_id})"]}]}


@pytest.mark.parametrize("method, path, body, clash", [
    ("PUT", "/v2/apps/g", {"cmd": "x"}, "/g"),                               # an app with a group's id
    ("POST", "/v2/apps", {"id": "/g", "cmd": "x"}, "/g"),
    ("PUT", "/v2/apps/g/web/sub", {"cmd": "x"}, "/g/web"),                    # an app under an app
    ("POST", "/v2/apps", {"id": "g/web/sub", "cmd": "x"}, "/g/web"),
    ("PATCH", "/v2/apps", [{"id": "/ok", "cmd": "x"}, {"id": "/g", "cmd": "x"}], "/g"),
    ("PUT", "/v2/apps", [{"id": "/g/web/sub", "cmd": "x"}], "/g/web"),
    ("POST", "/v2/groups", {"id": "/g/web"}, "/g/web"),                       # a group with an app's id
    ("POST", "/v2/groups", {"id": "/g/web/sub", "apps": [{"id": "x", "cmd": "x"}]}, "/g/web"),
    ("PUT", "/v2/groups/g", {"groups": [{"id": "web"}]}, "/g/web"),
    ("PUT", "/v2/groups", {"apps": [{"id": "/g", "cmd": "x"}], "groups": [{"id": "/g"}]}, "/g"),
    ("PUT", "/v2/groups/h?dryRun=true", {"apps": [{"id": "x", "cmd": "x"}], "groups": [{"id": "x"}]}, "/h/x"),
])
def test_ids_naming_both_an_app_and_a_group_are_refused(client, service, method, path, body, clash):
    deploy(client, service, id="/g/web")
    before = client.get("/v2/groups").json()
    assert_clash(client.request(method, path, json=body), clash)
    assert client.get("/v2/groups").json() == before
    assert client.delete("/v2/groups/g").status_code == 200
    service.settle()
    assert client.get("/v2/apps").json() == {"apps": []}


@pytest.mark.parametrize("body, path, fragment", [
    ([{"id": "/ok", "cmd": "x"}, {"id": "/BAD", "cmd": "x"}], "/(1)/id", "lowercase"),
    ([{"id": "/ok", "cmd": "x"}, {"id": "/x/../..", "cmd": "x"}], "/(1)/id", "above the root"),
    ([{"cmd": "x"}], "/(0)/id", "is required"),
    ([{"id": "/a", "cmd": "x", "mem": -1}], "/(0)/mem", "is less than 0"),
    ([{"id": "/a", "cmd": "x"}, 7], "/(1)", "must be a JSON object"),
    ([{"id": "/a"}], "/(0)", "needs 'cmd'"),
    ([{"id": "/a", "cmd": "x", "constraints": [["h", "UNIQUE"], ["h", "MAX_PER", "0"]]}], "/(0)/constraints(1)",
     "MAX_PER"),
])
def test_bulk_errors_carry_the_item_index(client, body, path, fragment):
    r = client.put("/v2/apps", json=body)
    assert r.status_code == 422, r.text
    found = {d["path"]: d["errors"] for d in r.json()["details"]}
    assert path in found and any(fragment in e for e in found[path]), found
    assert client.get("/v2/apps").json() == {"apps": []}


def test_bulk_applies_an_id_given_twice_in_order(client, service):
    """Marathon folds a bulk update's items over the root group: the second item for an id goes on top of the
    first (partial updates) or replaces it (partialUpdate=false); nothing is silently dropped."""
    deploy(client, service, id="/web", instances=1, env={"A": "1"})
    r = client.put("/v2/apps", json=[{"id": "/web", "instances": 3}, {"id": "web", "cmd": "sleep 5"},
                                     {"id": "/new", "cmd": "x"}, {"id": "/new", "instances": 2}])
    assert r.status_code == 200, r.text
    service.settle()
    web = client.get("/v2/apps/web").json()["app"]
    assert (web["instances"], web["cmd"], web["env"]) == (3, "sleep 5", {"A": "1"})
    assert client.get("/v2/apps/new").json()["app"]["instances"] == 2
    r = client.put("/v2/apps?partialUpdate=false", json=[{"id": "/web", "cmd": "a", "instances": 4},
                                                           {"id": "/web", "cmd": "b"}])
    assert r.status_code == 200
    service.settle()
    web = client.get("/v2/apps/web").json()["app"]
    assert (web["instances"], web["cmd"], web["env"]) == (1, "b", {})


def test_rollback_to_a_stored_version_and_to_an_unknown_one(client, service):
    deploy(client, service, id="/web", instances=2)
    first = client.get("/v2/apps/web").json()["app"]["version"]
    service.clock.advance(1)
    assert client.put("/v2/apps/web", json={"cmd": "sleep 200"}).status_code == 200
    service.settle()
    missing = "1999-01-01T00:00:00.000Z"
    for method, path, body in (("PUT", "/v2/apps/web", {"version": missing}),
                               ("PATCH", "/v2/apps/web", {"version": missing, "id": "/web"}),
                               ("PUT", "/v2/apps", [{"id": "/web", "version": missing}])):
        r = client.request(method, path, json=body)
        assert r.status_code == 404, r.text
        assert r.json() == {"message": f"App '/web' does not exist in version {missing}"}
    assert client.get("/v2/apps/web").json()["app"]["cmd"] == "sleep 200"
    mixed = client.put("/v2/apps/web", json={"version": first, "instances": 5})
    assert mixed.status_code == 422
    assert mixed.json()["details"] == [{"path": "/", "errors": [
        "The 'version' field may only be combined with the 'id' field."]}]
    assert client.put("/v2/apps/web", json={"version": 17}).status_code == 422
    r = client.put("/v2/apps/web", json={"version": first})
    assert r.status_code == 200, r.text
    service.settle()
    app = client.get("/v2/apps/web").json()["app"]
    assert (app["cmd"], app["instances"], app["version"]) == ("sleep 100", 2, r.json()["version"])
    assert app["versionInfo"]["lastConfigChangeAt"] == first
    # a full replacement ignores `version` (Marathon reads it as an app), so the client's rollback still works
    r = client.put("/v2/apps/web?partialUpdate=false", json={"id": "/web", "cmd": "c", "version": missing})
    assert r.status_code == 200
