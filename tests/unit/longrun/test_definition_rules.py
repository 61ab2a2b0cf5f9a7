"""Marathon's rules on app definitions that the fuzzing pass found missing: ids that name both an app and a group,
unique ports, health check port indices, constraint values, and bounds on numbers the scheduler computes with."""
from __future__ import annotations

import pytest

from schedulers.longrun.groups import CLASH_MESSAGE, check_tree, id_clashes
from schedulers.longrun.persistence import app_from_json
from schedulers.longrun.spec import AppDefinition, parse_app
from schedulers.longrun.validation import AppValidationError
from schedulers.longrun.versioning import AppVersioner

IMAGE = {"type": "MESOS", "docker": {"image": "i"}}


def problems(body):
    """`{path: [errors]}` of a body parse_app refuses, or {} when it accepts it."""
    try:
        parse_app({"id": "/w", **body})
    except AppValidationError as exc:
        return {d["path"]: d["errors"] for d in exc.details}
    return {}


def app(app_id: str) -> AppDefinition:
    return parse_app({"id": app_id, "cmd": "x"})


@pytest.mark.parametrize("apps, groups, clashes", [
    (["/a", "/b/c"], [], set()),
    (["/a", "/a/b"], [], {"/a"}),                         # an app under an app
    (["/g", "/g/x"], ["/g"], {"/g"}),
    (["/g"], ["/g"], {"/g"}),                             # an app with an explicit group's id
    (["/g"], ["/g/sub"], {"/g"}),                         # ... or with an implied group's id
    (["/a/b/c", "/a/b"], [], {"/a/b"}),
    (["/a/b"], ["/a"], set()),
])
def test_id_clashes(apps, groups, clashes):
    assert id_clashes({a: app(a) for a in apps}, {g: () for g in groups}) == clashes


def test_check_tree_refuses_new_clashes_only():
    before = {"/a": app("/a")}
    with pytest.raises(AppValidationError) as err:
        check_tree({**before, "/a/b": app("/a/b")}, {}, before, {})
    assert err.value.details == [{"path": "/", "errors": [f"{CLASH_MESSAGE} (/a)"]}]
    legacy = {"/a": app("/a"), "/a/b": app("/a/b")}          # stored before the rule: may still be changed
    check_tree({**legacy, "/c": app("/c")}, {}, legacy, {})
    check_tree({"/a": app("/a")}, {}, legacy, {})


@pytest.mark.parametrize("body, path, fragment", [
    # 5: constraint values, as Marathon's SchedulingValidation (MAX_PER below 1 on top)
    ({"cmd": "x", "constraints": [["host", "MAX_PER", "0"]]}, "/constraints(0)", "from 1 to 2147483647"),
    ({"cmd": "x", "constraints": [["host", "MAX_PER", "-3"]]}, "/constraints(0)", "from 1 to 2147483647"),
    ({"cmd": "x", "constraints": [["host", "MAX_PER", "2147483648"]]}, "/constraints(0)", "from 1 to 2147483647"),
    ({"cmd": "x", "constraints": [["host", "MAX_PER", " 2"]]}, "/constraints(0)", "from 1 to 2147483647"),
    ({"cmd": "x", "constraints": [["host", "MAX_PER"]]}, "/constraints(0)", "not a number"),
    ({"cmd": "x", "constraints": [["rack", "GROUP_BY", "99999999999"]]}, "/constraints(0)", "GROUP_BY takes"),
    ({"cmd": "x", "constraints": [["rack", "GROUP_BY", "x"]]}, "/constraints(0)", "not a number"),
    ({"cmd": "x", "constraints": [["rack", "IS", "[0-9]"]]}, "/constraints(0)", "IS only supports"),
    ({"cmd": "x", "constraints": [["rack", "LIKE", "a{99999999999}"]]}, "/constraints(0)", "regular expression"),
    ({"cmd": "x", "constraints": [["rack", "UNLIKE", "(" * 5000 + ")" * 5000]]}, "/constraints(0)",
     "regular expression"),
    ({"cmd": "x", "constraints": [["rack", "LIKE", "("]]}, "/constraints(0)", "regular expression"),
    ({"cmd": "x", "constraints": [["rack", "CLUSTER", ""], ["host", "UNIQUE", "v"]]}, "/constraints(1)",
     "Value specified but not used"),
    # 6: ports
    ({"cmd": "x", "portDefinitions": [{"port": 8080}, {"port": 8080}]}, "/portDefinitions", "Ports must be unique."),
    ({"cmd": "x", "portDefinitions": [{"name": "a"}, {"name": "a"}]}, "/portDefinitions",
     "Port names must be unique."),
    ({"container": {**IMAGE, "portMappings": [{"name": "h"}, {"name": "h", "containerPort": 9}]}},
     "/container/portMappings", "Port names must be unique."),
    ({"container": {"type": "DOCKER", "docker": {"image": "i", "portMappings": [{"name": "h"}, {"name": "h"}]}}},
     "/container/docker/portMappings", "Port names must be unique."),
    # 7: health check port indices address the port mappings, else the port definitions
    ({"container": {**IMAGE, "portMappings": [{"containerPort": 80}]}, "healthChecks": [{"portIndex": 1}]},
     "/healthChecks(0)", "must address an element"),
    ({"cmd": "x", "portDefinitions": [{}, {}], "healthChecks": [{"protocol": "TCP", "portIndex": 2}]},
     "/healthChecks(0)", "must address an element"),
    ({"cmd": "x", "portDefinitions": [], "healthChecks": [{"protocol": "MESOS_HTTP"}]}, "/healthChecks(0)",
     "must address an element"),
    ({"container": {**IMAGE, "portMappings": [{"containerPort": 80}]}, "portDefinitions": [{}, {}, {}],
      "healthChecks": [{"portIndex": 2}]}, "/healthChecks(0)", "must address an element"),
    # 8: bounds
    ({"container": {**IMAGE, "volumes": [{"containerPath": "d", "persistent": {"size": 10**30}}]}},
     "/container/volumes(0)/persistent/size", "is greater than"),
    ({"container": {**IMAGE, "volumes": [{"containerPath": "d", "persistent": {"size": 0}}]}},
     "/container/volumes(0)/persistent/size", "must be greater than 0"),
    ({"cmd": "x", "unreachableStrategy": {"inactiveAfterSeconds": 1, "expungeAfterSeconds": 10**400}},
     "/unreachableStrategy/expungeAfterSeconds", "is greater than 9223372036"),
    ({"cmd": "x", "unreachableStrategy": {"inactiveAfterSeconds": 10**20, "expungeAfterSeconds": 10**20}},
     "/unreachableStrategy/inactiveAfterSeconds", "is greater than 9223372036"),
    ({"cmd": "x", "unreachableStrategy": {"inactiveAfterSeconds": -1, "expungeAfterSeconds": 5}},
     "/unreachableStrategy/inactiveAfterSeconds", "is less than 0"),
    ({"cmd": "x", "portDefinitions": [{"name": "http-api"}], "readinessChecks": [{"httpStatusCodesForReady": [99]}]},
     "/readinessChecks(0)/httpStatusCodesForReady(0)", "is less than 100"),
    ({"cmd": "x", "portDefinitions": [{"name": "http-api"}],
      "readinessChecks": [{"httpStatusCodesForReady": [200, 10**30]}]},
     "/readinessChecks(0)/httpStatusCodesForReady(1)", "is greater than 999"),
    ({"cmd": "x", "portDefinitions": [{"name": "http-api"}],
      "readinessChecks": [{"intervalSeconds": 10**12, "timeoutSeconds": 10}]},
     "/readinessChecks(0)/intervalSeconds", "is greater than 2147483647"),
])
def test_refused_with_marathons_path(body, path, fragment):
    found = problems(body)
    assert path in found, found
    assert any(fragment in message for message in found[path]), found[path]


@pytest.mark.parametrize("body", [
    {"cmd": "x", "constraints": [["host", "MAX_PER", "1"], ["rack", "MAX_PER", "+2147483647"]]},
    {"cmd": "x", "constraints": [["rack", "GROUP_BY", "-2147483648"], ["rack", "GROUP_BY", "0"], ["r", "GROUP_BY"]]},
    {"cmd": "x", "constraints": [["rack", "IS", "rack-1.2/3_4"], ["rack", "LIKE", "r[0-9]+"], ["host", "CLUSTER"]]},
    {"cmd": "x", "portDefinitions": [{"port": 0}, {"port": 0}, {"port": 8080}, {"port": 8081}]},
    {"container": {**IMAGE, "portMappings": [{"containerPort": 80}, {"containerPort": 80, "hostPort": 0}]}},
    {"container": {**IMAGE, "portMappings": [{"containerPort": 80}, {"containerPort": 81}]}, "portDefinitions": [],
     "healthChecks": [{"portIndex": 1}, {"protocol": "HTTP"}]},
    {"cmd": "x", "healthChecks": [{"port": 8080}], "portDefinitions": []},
    {"cmd": "x", "healthChecks": [{"protocol": "COMMAND", "command": {"value": "true"}}], "portDefinitions": []},
    {"cmd": "x", "unreachableStrategy": {"inactiveAfterSeconds": 9223372036, "expungeAfterSeconds": 9223372036}},
    {"cmd": "x", "portDefinitions": [{"name": "http-api"}],
     "readinessChecks": [{"httpStatusCodesForReady": [100, 204, 999], "intervalSeconds": 2147483647}]},
    {"container": {**IMAGE, "volumes": [{"containerPath": "d", "persistent": {"size": 9007199254740}}]}},
])
def test_accepted_within_the_rules(body):
    assert problems(body) == {}


def test_service_ports_never_repeat_the_apps_fixed_ports():
    versioner = AppVersioner()              # hands out 10000, 10001, ... in turn
    fixed = parse_app({"id": "/w", "cmd": "x",
                       "portDefinitions": [{"port": 0}, {"port": 10000}, {"port": 0}, {"port": 10002}]})
    stamped = versioner.stamp({"/w": fixed}, {}, "v1")["/w"]
    ports = [p.port for p in stamped.portDefinitions]
    assert len(set(ports)) == 4 and ports[1::2] == [10000, 10002], ports
    again = parse_app({**stamped.to_json(), "instances": 2})     # a later partial update still validates
    assert [p.port for p in again.portDefinitions] == ports


def test_records_stored_before_the_bounds_still_load():
    """Upper bounds are checked on input only: an apps record written before them must not stop a leader."""
    stored = {**parse_app({"id": "/w", "cmd": "x", "portDefinitions": [{"name": "http-api"}]}).to_json(),
              "unreachableStrategy": {"inactiveAfterSeconds": 60, "expungeAfterSeconds": 99999999999},
              "readinessChecks": [{"httpStatusCodesForReady": [200, 1000]}]}
    loaded = app_from_json(stored)
    assert loaded.unreachableStrategy.expungeAfterSeconds == 99999999999
    assert set(problems(stored)) == {"/unreachableStrategy/expungeAfterSeconds",
                                     "/readinessChecks(0)/httpStatusCodesForReady(1)"}


def test_the_mesos_service_refuses_clashing_ids_from_its_loop_too():
    from tests.unit.longrun.test_mesos_service import Harness

    h = Harness()
    h.service.create_app(app("/web"))
    for change in (lambda: h.service.update_apps([app("/web/sub")]),
                   lambda: h.service.create_app(app("/web/sub")),
                   lambda: h.service.update_group("/web", {"id": "/web"}, create=True)):
        with pytest.raises(AppValidationError) as err:
            change()
        assert err.value.details == [{"path": "/", "errors": [f"{CLASH_MESSAGE} (/web)"]}]
    assert [a.id for a in h.service.apps()] == ["/web"]
