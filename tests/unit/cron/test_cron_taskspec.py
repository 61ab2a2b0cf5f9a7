"""PURE: Chronos job + run -> Demand key and TaskSpec; the CLI's graph drawing and job ordering."""
from __future__ import annotations

import pytest

from mesosframe.errors import ValidationError
from schedulers.cron.command import _dependency_order, render_graph
from schedulers.cron.job import Job
from schedulers.cron.runs import Run
from schedulers.cron.taskspec import demand_key, parse_key, task_spec


@pytest.mark.parametrize("key,parsed", [
    (demand_key("nightly.etl", 1700000000000, 2), ("nightly.etl", 1700000000000, 2)),
    ("a:1:0", ("a", 1, 0)),
    ("a:x:0", None),
    ("a:1", None),
    (":1:0", None),
])
def test_keys_round_trip(key, parsed):
    assert parse_key(key) == parsed


@pytest.mark.parametrize("fields,run_args,command,argv", [
    ({"command": "echo hi"}, (), "echo hi", None),
    ({"command": "echo", "arguments": ["a b"]}, ("c;d",), "echo 'a b' 'c;d'", None),
    ({"command": "/bin/echo", "shell": False, "arguments": ["x"]}, ("y",), None, ("/bin/echo", "x", "y")),
    ({"command": "", "container": {"type": "MESOS", "image": "busybox"}}, (), None, None),
])
def test_command_and_arguments(fields, run_args, command, argv):
    spec = task_spec(Job(name="j", schedule="R/2020-01-01T00:00:00Z/PT1M", **fields), Run("j", 5, arguments=run_args))
    assert (spec.command, spec.argv) == (command, argv)


def test_resources_env_fetch_user_labels_and_container():
    job = Job(name="j", schedule="R//PT1M", command="run", cpus=0, mem=64, disk=0, runAsUser="nobody",
              environmentVariables=[{"name": "A", "value": "1"}], labels={"mesosframe.sim/duration": "0.5"},
              fetch=[{"uri": "http://x/y.tgz", "executable": False, "extract": True}],
              container={"type": "MESOS", "image": "alpine:3", "volumes": [{"containerPath": "/d", "hostPath": "/h",
                                                                            "mode": "RO"}]})
    spec = task_spec(job, Run("j", 1700000000000, attempt=1))
    assert (spec.cpus, spec.mem, spec.disk, spec.user) == (0.1, 64.0, 256.0, "nobody")
    assert spec.env["A"] == "1" and spec.env["MESOSFRAME_CRON_SLOT_MS"] == "1700000000000"
    assert spec.env["MESOSFRAME_CRON_ATTEMPT"] == "1" and spec.env["CHRONOS_JOB_NAME"] == "j"
    assert spec.labels["mesosframe.sim/duration"] == "0.5" and spec.labels["mesosframe.cron/attempt"] == "1"
    assert [u.value for u in spec.uris] == ["http://x/y.tgz"]
    assert spec.container.image == "alpine:3" and spec.container.volumes[0].read_only


@pytest.mark.parametrize("chronos,operator", [("EQUALS", "IS"), ("LIKE", "LIKE"), ("UNLIKE", "UNLIKE")])
def test_constraints_are_translated(chronos, operator):
    job = Job(name="j", schedule="R//PT1M", command="x", constraints=[["rack", chronos, "r1"]])
    (constraint,) = task_spec(job, Run("j", 1)).constraints
    assert constraint.to_json() == ["rack", operator, "r1"]


def test_bad_regex_is_refused_by_the_job_model():
    with pytest.raises(Exception):
        Job(name="j", schedule="R//PT1M", command="x", constraints=[["rack", "LIKE", "("]])


def test_graph_is_drawn_as_a_tree_with_states():
    csv = "node,a,success,idle\nnode,b,failure,idle\nnode,c,fresh,idle\nlink,a,b\nlink,b,c\n"
    assert render_graph(csv) == "a  [success]\n  └─ b  [failure]\n    └─ c  [fresh]\n"
    assert render_graph("") == "(no jobs)\n"


@pytest.mark.parametrize("names_parents,order", [
    ([("c", ["b"]), ("b", ["a"]), ("a", [])], ["a", "b", "c"]),
    ([("b", ["x"]), ("a", [])], ["b", "a"]),                 # a parent already on the server
    ([("a", ["b"]), ("b", ["a"])], ["a", "b"]),              # a cycle: sent as is, the server names it
])
def test_jobs_are_added_parents_first(names_parents, order):
    jobs = [{"name": n, "parents": p} for n, p in names_parents]
    assert [j["name"] for j in _dependency_order(jobs)] == order


def test_unexpressible_constraint_is_a_validation_error():
    job = Job(name="j", schedule="R//PT1M", command="x", constraints=[["", "EQUALS", "v"]])
    with pytest.raises(ValidationError):
        task_spec(job, Run("j", 1))
