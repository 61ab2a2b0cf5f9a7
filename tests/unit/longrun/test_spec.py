"""App definitions: path ids, defaults, and Marathon's 422 details for invalid apps; label selectors."""
from __future__ import annotations

import pytest

from schedulers.longrun.pathid import PathIdError, ancestors, canonical, parent, task_prefix
from schedulers.longrun.selectors import SelectorError, parse_selector
from schedulers.longrun.spec import merge_app, parse_app
from schedulers.longrun.validation import AppValidationError, group_problems


@pytest.mark.parametrize("raw, base, expected", [
    ("web", "/", "/web"), ("/a/b/", "/", "/a/b"), ("b", "/a", "/a/b"), ("../c", "/a/b", "/a/c"),
    ("./x", "/g", "/g/x"), ("/my.app-1/x", "/", "/my.app-1/x"), ("/", "/", "/"), ("a//b", "/", "/a/b"),
])
def test_canonical(raw, base, expected):
    assert canonical(raw, base) == expected


@pytest.mark.parametrize("raw", ["", "/A", "/a_b", "/-a", "/a-", "/a/../..", "/a b", "/a..b", "/.a"])
def test_canonical_rejects(raw):
    with pytest.raises(PathIdError) as err:
        canonical(raw)
    assert err.value.path == "/id"


def test_path_helpers():
    assert parent("/a/b/c") == "/a/b" and parent("/a") == "/" and ancestors("/a/b/c") == ["/", "/a", "/a/b"]
    assert task_prefix("/a/b") == "a_b"


def test_defaults_are_marathons():
    app = parse_app({"id": "web", "cmd": "sleep 1"})
    body = app.to_json()
    assert (app.id, app.cpus, app.mem, app.disk, app.gpus, app.instances) == ("/web", 1.0, 128.0, 0.0, 0, 1)
    assert body["upgradeStrategy"] == {"minimumHealthCapacity": 1.0, "maximumOverCapacity": 1.0}
    assert (app.backoffSeconds, app.backoffFactor, app.maxLaunchDelaySeconds) == (1.0, 1.15, 300.0)
    assert app.killSelection == "YOUNGEST_FIRST" and app.requirePorts is False
    assert body["unreachableStrategy"] == {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0}
    hc = parse_app({"id": "w", "cmd": "x", "healthChecks": [{}]}).healthChecks[0]
    assert (hc.protocol, hc.gracePeriodSeconds, hc.intervalSeconds, hc.timeoutSeconds,
            hc.maxConsecutiveFailures, hc.delaySeconds) == ("HTTP", 300, 60, 20, 3, 15)


def test_version_fields_from_clients_are_ignored():
    app = parse_app({"id": "w", "cmd": "x", "version": "forged", "versionInfo": {"lastScalingAt": "x",
                                                                                    "lastConfigChangeAt": "y"}})
    assert app.version is None and app.versionInfo is None


def test_dependencies_resolve_against_the_apps_group():
    assert parse_app({"id": "/g/web", "cmd": "x", "dependencies": ["db", "/other"]}).dependencies == \
        ["/g/db", "/other"]


def test_docker_container_runs_in_the_mesos_containerizer_and_unsupported_options_are_refused():
    ok = parse_app({"id": "w", "container": {"type": "DOCKER", "docker": {"image": "nginx"}}})
    assert ok.container.docker.image == "nginx"
    mesos = parse_app({"id": "w", "gpus": 1, "container": {"type": "MESOS", "docker": {"image": "cuda"},
                                                             "volumes": [{"containerPath": "/d", "hostPath": "/x"}]}})
    assert mesos.gpus == 1 and mesos.container.volumes[0].mode == "RW"


def details(body):
    with pytest.raises(AppValidationError) as err:
        parse_app(body)
    return {d["path"]: d["errors"] for d in err.value.details}


@pytest.mark.parametrize("body, path, fragment", [
    ({"cmd": "x"}, "/id", "required"),
    ({"id": "/Bad", "cmd": "x"}, "/id", "lowercase"),
    ({"id": "w", "cmd": "x", "cpus": -1}, "/cpus", "less than 0"),
    ({"id": "w", "cmd": "x", "cpus": "1"}, "/cpus", "valid number"),
    ({"id": "w", "cmd": "x", "instances": 1.5}, "/instances", "integer"),
    ({"id": "w", "cmd": "x", "upgradeStrategy": {"minimumHealthCapacity": 1.5}},
     "/upgradeStrategy/minimumHealthCapacity", "greater than 1"),
    ({"id": "w"}, "/", "cmd"),
    ({"id": "w", "cmd": "x", "args": ["y"]}, "/", "mutually exclusive"),
    ({"id": "w", "cmd": "x", "constraints": [["host", "UNIQUE", "x"]]}, "/constraints(0)", "Value specified but not used"),
    ({"id": "w", "cmd": "x", "constraints": [["host", "LIKE"]]}, "/constraints(0)", "value must be provided"),
    ({"id": "w", "cmd": "x", "constraints": [["host", "NEAR", "x"]]}, "/constraints(0)", "must be one of"),
    ({"id": "w", "cmd": "x", "constraints": [["a", "LIKE", "("]]}, "/constraints(0)", "regular expression"),
    ({"id": "w", "cmd": "x", "constraints": [["a", "MAX_PER", "zero"]]}, "/constraints(0)", "not a number"),
    ({"id": "w", "cmd": "x", "constraints": [["a"]]}, "/constraints(0)", "2 or 3 fields"),
    ({"id": "w", "cmd": "x", "healthChecks": [{"protocol": "COMMAND"}]}, "/healthChecks(0)/command", "required"),
    ({"id": "w", "cmd": "x", "healthChecks": [{"protocol": "SMTP"}]}, "/healthChecks(0)/protocol", "HTTP"),
    ({"id": "w", "cmd": "x", "healthChecks": [{"portIndex": 3}]}, "/healthChecks(0)", "must address an element"),
    ({"id": "w", "cmd": "x", "healthChecks": [{"protocol": "MESOS_TCP"}, {"protocol": "MESOS_HTTP"}]},
     "/healthChecks", "at most one"),
    ({"id": "w", "cmd": "x", "readinessChecks": [{"timeoutSeconds": 40}],
      "portDefinitions": [{"name": "http-api"}]}, "/readinessChecks(0)/timeoutSeconds", "less than interval"),
    ({"id": "w", "cmd": "x", "unreachableStrategy": {"inactiveAfterSeconds": 10, "expungeAfterSeconds": 5}},
     "/unreachableStrategy/inactiveAfterSeconds", "less or equal"),
    ({"id": "w", "cmd": "x", "gpus": 1, "container": {"type": "DOCKER", "docker": {"image": "i"}}}, "/gpus", "MESOS"),
    ({"id": "w", "container": {"type": "DOCKER", "docker": {"image": "i", "privileged": True}}},
     "/container/docker/privileged", "not supported"),
    ({"id": "w", "container": {"type": "DOCKER"}}, "/container/docker", "required"),
    ({"id": "w", "cmd": "x", "portDefinitions": [{"port": 70000}]}, "/portDefinitions(0)/port", "greater than"),
    ({"id": "w", "cmd": "x", "killSelection": "RANDOM"}, "/killSelection", "YOUNGEST_FIRST"),
    ({"id": "w", "cmd": "x", "dependencies": ["../../.."]}, "/dependencies(0)", "above the root"),
    ({"id": "w", "cmd": "x", "backoffFactor": 0.5}, "/backoffFactor", "less than 1"),
])
def test_validation_error_paths(body, path, fragment):
    found = details(body)
    assert path in found, found
    assert any(fragment in message for message in found[path]), found[path]


def test_non_object_and_grouping():
    assert details([1, 2]) == {"/": ["must be a JSON object"]}
    assert group_problems([("/a", "x"), ("/b", "y"), ("/a", "z"), ("/a", "x")]) == \
        [{"path": "/a", "errors": ["x", "z"]}, {"path": "/b", "errors": ["y"]}]


def test_merge_keeps_unmentioned_fields():
    current = parse_app({"id": "w", "cmd": "x", "instances": 2, "env": {"A": "1"}})
    merged = parse_app(merge_app(current, {"instances": 5}))
    assert (merged.instances, merged.env, merged.cmd) == (5, {"A": "1"}, "x")


@pytest.mark.parametrize("selector, labels, matches", [
    ("a", {"a": ""}, True), ("a", {}, False),
    ("a==1", {"a": "1"}, True), ("a==1", {"a": "2"}, False),
    ("a!=1", {}, True), ("a!=1", {"a": "1"}, False),
    ("a in (x, y)", {"a": "y"}, True), ("a in (x, y)", {"a": "z"}, False),
    ("a notin (x, y)", {"a": "z"}, True), ("a==1,b==2", {"a": "1", "b": "3"}, False),
    ("a==1, b in (2,3)", {"a": "1", "b": "3"}, True), (r"a==x\,y", {"a": "x,y"}, True),
])
def test_label_selectors(selector, labels, matches):
    assert parse_selector(selector)(labels) is matches


@pytest.mark.parametrize("bad", ["a in (x", "a==1)", "=x", "a in x", "a b"])
def test_bad_selectors(bad):
    with pytest.raises(SelectorError):
        parse_selector(bad)


def test_cached_json_follows_copies():
    app = parse_app({"id": "w", "cmd": "x"})
    body = app.to_json()
    body["instances"] = 99                       # callers get their own top-level dict
    assert app.to_json()["instances"] == 1
    assert app.model_copy(update={"instances": 5}).to_json()["instances"] == 5
