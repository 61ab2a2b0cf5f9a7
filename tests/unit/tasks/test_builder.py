from __future__ import annotations

import pytest

from mesosframe.errors import ValidationError
from mesosframe.tasks.builder import TaskInfoTemplate, build_task_group, build_task_info, ports_of, validate
from mesosframe.tasks.spec import (Container, Discovery, HealthCheck, TaskGroupSpec, TaskSpec, Uri, Volume)

BASE = TaskSpec(name="web", command="python -m http.server $PORT0", cpus=0.5, mem=64, ports=2)


def _env(info: dict) -> dict[str, str]:
    return {v["name"]: v["value"] for v in info["command"]["environment"]["variables"]}


@pytest.mark.parametrize("changes,path", [
    (dict(name=""), "name"),
    (dict(name="has space"), "name"),
    (dict(command=None), "command"),
    (dict(command="   "), "command"),
    (dict(argv=("echo",)), "command"),                          # both command and argv
    (dict(command=None, argv=()), "argv"),
    (dict(cpus=-1), "cpus"),
    (dict(cpus=0, mem=0), "cpus"),
    (dict(gpus=-1), "gpus"),
    (dict(ports=101), "ports"),
    (dict(env={"1BAD": "x"}), "env.1BAD"),
    (dict(uris=(Uri(""),)), "uris[0].value"),
    (dict(kill_grace_seconds=-1.0), "kill_grace_seconds"),
    (dict(container=Container(image="UPPER/Case")), "container.image"),
    (dict(container=Container(image="alpine", volumes=(Volume("/data"),))), "container.volumes[0]"),
    (dict(container=Container(image="alpine", volumes=(Volume("/d", host_path="rel"),))),
     "container.volumes[0].host_path"),
    (dict(container=Container(image="alpine", volumes=(Volume("/d", sandbox_path="/abs"),))),
     "container.volumes[0].sandbox_path"),
    (dict(health_check=HealthCheck(kind="UDP")), "health_check.kind"),
    (dict(health_check=HealthCheck(path="health")), "health_check.path"),
    (dict(health_check=HealthCheck(kind="COMMAND")), "health_check.command"),
    (dict(health_check=HealthCheck(port_index=2)), "health_check.port_index"),
    (dict(health_check=HealthCheck(interval_seconds=-1)), "health_check.interval_seconds"),
    (dict(discovery=Discovery(port_names=("a", "b", "c"))), "discovery.port_names"),
    (dict(discovery=Discovery(visibility="WORLD")), "discovery.visibility"),
    # amounts whose thousandths a float cannot hold, and durations beyond Mesos's int64 nanoseconds
    (dict(cpus=float("nan")), "cpus"),
    (dict(mem=float("inf")), "mem"),
    (dict(disk=1e308), "disk"),
    (dict(cpus=1e13), "cpus"),
    (dict(gpus=2**60), "gpus"),
    (dict(cpus=True), "cpus"),
    (dict(kill_grace_seconds=float("nan")), "kill_grace_seconds"),
    (dict(kill_grace_seconds=1e10), "kill_grace_seconds"),
    (dict(health_check=HealthCheck(timeout_seconds=float("inf"))), "health_check.timeout_seconds"),
    (dict(health_check=HealthCheck(grace_period_seconds=1e300)), "health_check.grace_period_seconds"),
    (dict(health_check=HealthCheck(consecutive_failures=2**32)), "health_check.consecutive_failures"),
])
def test_invalid_specs_name_the_field(changes, path):
    spec = TaskSpec(**{**BASE.__dict__, **changes})
    with pytest.raises(ValidationError) as info:
        validate(spec)
    assert info.value.path == path


@pytest.mark.parametrize("spec", [
    BASE,
    TaskSpec(name="a", argv=("/bin/echo", "hi")),
    TaskSpec(name="img", container=Container(image="library/alpine:3.19")),
    TaskSpec(name="h", command="x", ports=1, health_check=HealthCheck(kind="TCP")),
    TaskSpec(name="c", command="x", health_check=HealthCheck(kind="COMMAND", command="true")),
    TaskSpec(name="big", command="x", cpus=9e12, mem=9e12, disk=9e12, gpus=2**40, kill_grace_seconds=9.2e9),
])
def test_valid_specs_pass(spec):
    validate(spec)
    assert build_task_info(spec, "t1", "a1", ports=(31000, 31001)[: spec.ports])["task_id"] == {"value": "t1"}


def test_shell_command_ports_env_and_resources():
    info = build_task_info(BASE, "t1", "a1", ports=[31005, 31007])
    assert info["command"]["shell"] is True and info["command"]["value"] == BASE.command
    env = _env(info)
    assert env["PORT0"] == "31005" and env["PORT1"] == "31007" and env["PORT"] == "31005"
    assert env["PORTS"] == "31005,31007"
    names = {r["name"]: r for r in info["resources"]}
    assert names["cpus"]["scalar"]["value"] == 0.5 and names["mem"]["scalar"]["value"] == 64.0
    assert ports_of(info["resources"]) == [31005, 31007]


def test_ports_from_given_resources_and_user_env_wins():
    resources = [{"name": "ports", "type": "RANGES", "role": "*", "ranges": {"range": [{"begin": 5, "end": 6}]}}]
    spec = TaskSpec(**{**BASE.__dict__, "env": {"PORT": "80"}})
    info = build_task_info(spec, "t1", "a1", resources=resources)
    assert _env(info)["PORT0"] == "5" and _env(info)["PORT"] == "80"
    assert info["resources"] is resources


@pytest.mark.parametrize("env, ports, expected", [
    ({}, [7, 8], [("PORT0", "7"), ("PORT1", "8"), ("PORT", "7"), ("PORTS", "7,8")]),
    ({"A": "1"}, [7, 8], [("PORT0", "7"), ("PORT1", "8"), ("PORT", "7"), ("PORTS", "7,8"), ("A", "1")]),
    ({"A": "1", "PORT1": "80"}, [7, 8], [("PORT0", "7"), ("PORT1", "80"), ("PORT", "7"), ("PORTS", "7,8"),
                                         ("A", "1")]),              # the spec's value, in the port's place
    ({"PORTS": "x", "PORTAL": "y"}, [7, 8], [("PORT0", "7"), ("PORT1", "8"), ("PORT", "7"), ("PORTS", "x"),
                                             ("PORTAL", "y")]),
    ({"A": "1"}, [], [("A", "1")]),
    ({}, [], None),                                                 # no environment at all
])
def test_a_templates_tasks_have_their_own_ports_in_the_environment(env, ports, expected):
    template = TaskInfoTemplate(TaskSpec(name="w", command="run", ports=len(ports), env=env, labels={"l": "v"}))
    other = [p + 100 for p in ports]
    first = template.build("t1", "a1", ports=ports)
    second = template.build("t2", "a2", ports=other)      # must not change the first
    if expected is None:
        assert "environment" not in first["command"] and "environment" not in second["command"]
    else:
        assert [(v["name"], v["value"]) for v in first["command"]["environment"]["variables"]] == expected
    if ports:
        assert _env(second)["PORT0"] == str(other[0]) and ports_of(second["resources"]) == other
    assert (first["task_id"], second["agent_id"]) == ({"value": "t1"}, {"value": "a2"})
    assert first["labels"] == second["labels"] == {"labels": [{"key": "l", "value": "v"}]}


def test_a_template_validates_its_spec_unless_told_it_was():
    bad = TaskSpec(name="has space", command="run")
    with pytest.raises(ValidationError, match="name"):
        TaskInfoTemplate(bad)
    assert TaskInfoTemplate(bad, validated=True).build("t", "a1")["name"] == "has space"


def test_too_few_ports_is_an_error():
    with pytest.raises(ValidationError):
        build_task_info(BASE, "t1", "a1", ports=[1])


def test_argv_command_includes_argv0():
    info = build_task_info(TaskSpec(name="a", argv=("/bin/echo", "hi")), "t", "a1")
    assert info["command"] == {"shell": False, "value": "/bin/echo", "arguments": ["/bin/echo", "hi"]}


def test_container_volumes_health_discovery_labels_kill_policy():
    spec = TaskSpec(name="svc", command="run", ports=1, labels={"team": "x"}, kill_grace_seconds=2.5,
                    uris=(Uri("http://h/f.tgz", cache=True),),
                    container=Container(image="library/alpine:3.19",
                                        volumes=(Volume("/etc/x", host_path="/etc/x", read_only=True),
                                                 Volume("/scratch", sandbox_path="tmp"))),
                    health_check=HealthCheck(path="/health"),
                    discovery=Discovery(port_names=("http",)))
    info = build_task_info(spec, "t", "a1", ports=[31000])
    c = info["container"]
    assert c["type"] == "MESOS" and c["mesos"]["image"]["docker"]["name"] == "library/alpine:3.19"
    assert c["volumes"][0] == {"container_path": "/etc/x", "mode": "RO", "host_path": "/etc/x"}
    assert c["volumes"][1]["source"] == {"type": "SANDBOX_PATH", "sandbox_path": {"type": "SELF", "path": "tmp"}}
    h = info["health_check"]
    assert h["type"] == "HTTP" and h["http"] == {"scheme": "http", "port": 31000, "path": "/health"}
    assert (h["delay_seconds"], h["interval_seconds"], h["timeout_seconds"], h["consecutive_failures"],
            h["grace_period_seconds"]) == (15.0, 10.0, 20.0, 3, 10.0)
    assert info["discovery"]["ports"]["ports"] == [{"number": 31000, "name": "http", "protocol": "tcp"}]
    assert info["labels"] == {"labels": [{"key": "team", "value": "x"}]}
    assert info["kill_policy"] == {"grace_period": {"nanoseconds": 2_500_000_000}}
    assert info["command"]["uris"][0]["cache"] is True


def test_task_group_has_default_executor_and_shares_ports():
    group = TaskGroupSpec("pod", (TaskSpec(name="a", command="x", ports=1), TaskSpec(name="b", command="y", ports=1)))
    executor, infos = build_task_group(group, ["ta", "tb"], "ex1", "fw-1", "a1", ports=[7, 8])
    assert executor["type"] == "DEFAULT" and executor["framework_id"] == {"value": "fw-1"}
    assert executor["executor_id"] == {"value": "ex1"}
    assert [_env(i)["PORT0"] for i in infos] == ["7", "8"]
    total = group.total()
    assert total.cpus == pytest.approx(0.3) and total.ports == 2


def test_task_group_errors_name_the_task():
    group = TaskGroupSpec("pod", (TaskSpec(name="a", command="x"), TaskSpec(name="", command="y")))
    with pytest.raises(ValidationError) as info:
        build_task_group(group, ["ta", "tb"], "ex", "fw", "a1")
    assert info.value.path == "tasks[1].name"
