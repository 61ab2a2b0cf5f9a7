"""App definition -> TaskSpec mapping, demand keys, master port ranges, persisted records (pure)."""
from __future__ import annotations

import pytest

from mesosframe.tasks.builder import validate
from schedulers.longrun.persistence import apps_record, deployments_record, load_apps, load_deployments
from schedulers.longrun.plan import plan_deployment
from schedulers.longrun.ports import TaskPlacement, parse_ranges, state_url, task_placements
from schedulers.longrun.restart import RestartStrategy
from schedulers.longrun.simstate import RunningDeployment
from schedulers.longrun.spec import parse_app
from schedulers.longrun.taskspec import UnsupportedAppError, demand_key, parse_key, task_name, to_task_spec
from mesosframe.errors import RecordFormatError


def app(**fields):
    return parse_app({"id": "/shop/web", "cmd": "run", **fields})


@pytest.mark.parametrize("fields, attribute, expected", [
    ({}, "command", "run"),
    ({}, "name", "shop_web"),
    ({}, "ports", 1),
    ({"portDefinitions": []}, "ports", 0),
    ({"portDefinitions": [{"port": 0}, {"port": 0}]}, "ports", 2),
    ({"cpus": 0.5, "mem": 64, "disk": 10}, "cpus", 0.5),
    ({"user": "nobody"}, "user", "nobody"),
    ({"taskKillGracePeriodSeconds": 7}, "kill_grace_seconds", 7),
    ({"labels": {"a": "b"}}, "labels", {"a": "b"}),
    ({"cmd": None, "args": ["/bin/echo", "hi"]}, "argv", ("/bin/echo", "hi")),
    ({"cmd": None, "args": ["x"]}, "command", None),
])
def test_fields_map_to_the_task_spec(fields, attribute, expected):
    assert getattr(to_task_spec(app(**fields)), attribute) == expected


def test_env_fetch_constraints_container_and_native_health_check():
    spec = to_task_spec(app(
        env={"MODE": "prod"}, fetch=[{"uri": "http://x/a.tgz", "cache": True, "destPath": "a.tgz"}],
        constraints=[["hostname", "UNIQUE"], ["rack", "GROUP_BY", "2"]],
        container={"type": "MESOS", "docker": {"image": "busybox:1.36"},
                   "volumes": [{"containerPath": "/data", "hostPath": "/srv/data", "mode": "RO"}]},
        healthChecks=[{"protocol": "MESOS_HTTP", "path": "/health", "portIndex": 0, "maxConsecutiveFailures": 5,
                       "intervalSeconds": 3, "gracePeriodSeconds": 9}]))
    assert spec.env["MODE"] == "prod" and spec.env["MARATHON_APP_ID"] == "/shop/web"
    assert spec.uris[0].value == "http://x/a.tgz" and spec.uris[0].cache and spec.uris[0].output_file == "a.tgz"
    assert [c.to_json() for c in spec.constraints] == [["hostname", "UNIQUE"], ["rack", "GROUP_BY", "2"]]
    assert spec.container.image == "busybox:1.36"
    assert spec.container.volumes[0].host_path == "/srv/data" and spec.container.volumes[0].read_only
    check = spec.health_check
    assert (check.kind, check.path, check.consecutive_failures, check.interval_seconds,
            check.grace_period_seconds) == ("HTTP", "/health", 5, 3.0, 9.0)
    validate(spec)      # the core accepts what we produce


@pytest.mark.parametrize("protocol, kind", [("MESOS_TCP", "TCP"), ("MESOS_HTTPS", "HTTPS"), ("HTTP", None),
                                            ("TCP", None)])
def test_only_agent_side_checks_go_into_the_task_info(protocol, kind):
    spec = to_task_spec(app(healthChecks=[{"protocol": protocol, "portIndex": 0}]))
    assert (spec.health_check.kind if spec.health_check else None) == kind


@pytest.mark.parametrize("fields, path", [
    ({"requirePorts": True, "portDefinitions": [{"port": 8080}]}, "requirePorts"),
    ({"container": {"type": "DOCKER", "docker": {"image": "nginx"},
                    "portMappings": [{"containerPort": 80, "hostPort": 8080}]}}, "container.portMappings(0).hostPort"),
    ({"container": {"type": "MESOS", "docker": {"image": "nginx"},
                    "volumes": [{"containerPath": "d", "persistent": {"size": 10}}]}}, "container.volumes(0).persistent"),
])
def test_unsupported_features_are_refused_with_a_path(fields, path):
    with pytest.raises(UnsupportedAppError) as info:
        to_task_spec(app(**fields))
    assert info.value.path == path


@pytest.mark.parametrize("app_id, version, slot", [
    ("/web", "2026-01-01T00:00:00.000Z", 0), ("/a/b.c", "2026-11-26T03:50:00.123Z", 123456),
])
def test_demand_keys_round_trip(app_id, version, slot):
    key = demand_key(app_id, version, slot)
    assert parse_key(key)[1:] == (version, slot)
    assert task_name(app_id) in key


@pytest.mark.parametrize("key", ["only", "a@b", "a@b@c", ""])
def test_foreign_keys_are_not_parsed(key):
    assert parse_key(key) is None


@pytest.mark.parametrize("text, ports", [("[31000-31001, 31005-31005]", [31000, 31001, 31005]), ("", []),
                                         ("[80-80]", [80])])
def test_port_ranges(text, ports):
    assert parse_ranges(text) == ports


@pytest.mark.parametrize("master, url", [("127.0.0.1:5050", "http://127.0.0.1:5050/master/state"),
                                         ("http://h:1/", "http://h:1/master/state"),
                                         ("master@h:5050", "http://h:5050/master/state"),
                                         ("zk://h:2181/mesos", None)])
def test_state_url(master, url):
    assert state_url(master) == url


def test_task_placements_only_of_our_framework_with_agent_attributes():
    state = {"slaves": [{"id": "a1", "hostname": "h1", "attributes": {"rack": "r1", "cores": 4}}],
             "frameworks": [{"id": "me", "tasks": [{"id": "t1", "slave_id": "a1",
                                                    "resources": {"ports": "[31000-31000]"}},
                                                   {"id": "t2", "slave_id": "gone", "resources": {}}]},
                            {"id": "other", "tasks": [{"id": "t3", "resources": {"ports": "[1-2]"}}]}]}
    assert task_placements(state, "me") == {
        "t1": TaskPlacement([31000], {"hostname": "h1", "rack": "r1", "cores": "4"}),
        "t2": TaskPlacement([], {})}


def test_apps_and_deployments_survive_a_round_trip():
    v1 = app(instances=2).model_copy(update={"version": "v1"})
    v2 = v1.model_copy(update={"instances": 3, "cmd": "run2", "version": "v2"})
    record = apps_record({v2.id: v2}, {"/shop": ("/db",)}, {v2.id: {"v1": v1, "v2": v2}}, "v2")
    apps, groups, versions, last = load_apps(record)
    assert apps == {v2.id: v2} and groups == {"/shop": ("/db",)} and last == "v2"
    assert list(versions[v2.id]) == ["v1", "v2"]
    plan = plan_deployment({v1.id: v1}, {v2.id: v2}, plan_id="p1", version="v2")
    run = RunningDeployment(plan, started_at=5.0, step=0, strategies={v2.id: RestartStrategy(3, 4, 0)})
    restored = load_deployments(deployments_record([run]))["p1"]
    assert restored.plan == plan and restored.step == 0 and restored.started_at == 5.0
    assert restored.strategies == {v2.id: RestartStrategy(3, 4, 0)}


def test_newer_record_formats_are_refused():
    with pytest.raises(RecordFormatError):
        load_apps({"format": 99})
    assert load_apps(None) == ({}, {}, {}, "")


@pytest.mark.parametrize("path", sorted((__import__("pathlib").Path(__file__).resolve().parents[3]
                                         / "examples" / "apps").glob("*.json")), ids=lambda p: p.name)
def test_sample_apps_are_valid_and_launchable(path):
    import json
    sample = parse_app(json.loads(path.read_text()))
    validate(to_task_spec(sample))
    assert sample.healthChecks, "every sample shows a health check"
