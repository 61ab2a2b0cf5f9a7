"""Deployment plans: step order, dependency layering, actions, cycles, rollback, progress deadline."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from schedulers.longrun.plan import (DependencyCycleError, ProgressWatch, dependency_layers, plan_deployment,
                                     rollback_plan, watch_progress)
from schedulers.longrun.spec import VersionInfo, parse_app


def app(app_id: str, deps=(), instances=1, cmd="run", **extra):
    return parse_app({"id": app_id, "cmd": cmd, "instances": instances, "dependencies": list(deps), **extra})


def apps(*defs):
    return {a.id: a for a in defs}


def steps_of(plan):
    return [[(a.kind, a.app_id) for a in s.actions] for s in plan.steps]


@pytest.mark.parametrize("defs, group_deps, expected", [
    ([app("/a", ["/b"]), app("/b", ["/c"]), app("/c")], {}, [["/c"], ["/b"], ["/a"]]),
    ([app("/a"), app("/b"), app("/c", ["/a", "/b"])], {}, [["/a", "/b"], ["/c"]]),
    # the longest path decides: /d depends on /a directly and through /c
    ([app("/a"), app("/c", ["/a"]), app("/d", ["/a", "/c"])], {}, [["/a"], ["/c"], ["/d"]]),
    # a dependency on a group means every app in it; relative ids resolve against the app's group
    ([app("/db/pg"), app("/db/redis"), app("/web/api", ["../db"])], {}, [["/db/pg", "/db/redis"], ["/web/api"]]),
    # group dependencies apply to every app of the group
    ([app("/db/pg"), app("/web/api"), app("/web/ui")], {"/web": ("/db",)}, [["/db/pg"], ["/web/api", "/web/ui"]]),
    # dependencies on missing apps are ignored
    ([app("/a", ["/missing"])], {}, [["/a"]]),
    ([], {}, []),
])
def test_dependency_layers(defs, group_deps, expected):
    assert dependency_layers(apps(*defs), group_deps) == expected


def test_cycle_is_a_validation_error_naming_the_cycle():
    with pytest.raises(DependencyCycleError) as err:
        dependency_layers(apps(app("/a", ["/b"]), app("/b", ["/c"]), app("/c", ["/a"])))
    assert err.value.path == "/dependencies"
    assert err.value.cycle[0] == err.value.cycle[-1] and set(err.value.cycle) == {"/a", "/b", "/c"}


def test_new_apps_start_at_zero_then_scale_in_dependency_order():
    plan = plan_deployment({}, apps(app("/web", ["/db"], instances=3), app("/db", instances=2)),
                           plan_id="p", version="v")
    assert steps_of(plan) == [[("StartApplication", "/db"), ("StartApplication", "/web")],
                              [("ScaleApplication", "/db")], [("ScaleApplication", "/web")]]
    assert [a.instances for s in plan.steps for a in s.actions] == [0, 0, 2, 3]
    assert plan.affected_apps == ["/db", "/web"]


@pytest.mark.parametrize("before, after, expected", [
    (app("/a", instances=1), app("/a", instances=4), [[("ScaleApplication", "/a")]]),
    (app("/a", cmd="one"), app("/a", cmd="two"), [[("RestartApplication", "/a")]]),
    (app("/a"), app("/a"), []),
    (app("/a"), app("/a").model_copy(update={"versionInfo": VersionInfo(lastScalingAt="x", lastConfigChangeAt="x")}),
     [[("RestartApplication", "/a")]]),   # a restart request moves lastConfigChangeAt only
    (app("/a", instances=0), None, [[("StopApplication", "/a")]]),
])
def test_actions_per_change(before, after, expected):
    plan = plan_deployment({"/a": before}, {} if after is None else {"/a": after}, plan_id="p", version="v")
    assert steps_of(plan) == expected


def test_stops_come_first_and_json_shape():
    plan = plan_deployment(apps(app("/old"), app("/keep", cmd="x")), apps(app("/keep", cmd="y"), app("/new")),
                           plan_id="p1", version="2024-01-01T00:00:00.000Z")
    assert steps_of(plan) == [[("StopApplication", "/old")], [("StartApplication", "/new")],
                              [("RestartApplication", "/keep"), ("ScaleApplication", "/new")]]
    body = plan.to_json(current_step=1)
    assert body["totalSteps"] == 3 and body["id"] == "p1" and body["affectedApps"] == ["/keep", "/new", "/old"]
    assert body["steps"][0] == {"actions": [{"action": "StopApplication", "app": "/old"}]}


def test_rollback_restores_the_original_of_touched_apps_only():
    original = apps(app("/a", cmd="v1"), app("/b"), app("/gone"))
    target = apps(app("/a", cmd="v2"), app("/b"), app("/added"))
    plan = plan_deployment(original, target, plan_id="p", version="v")
    current = {**target, "/other": app("/other")}   # changed after the plan by someone else
    back = rollback_plan(plan, current, plan_id="r", version="v2")
    assert set(back.target) == {"/a", "/b", "/gone", "/other"}
    assert back.target["/a"].cmd == "v1"
    assert steps_of(back) == [[("StopApplication", "/added")], [("StartApplication", "/gone")],
                              [("RestartApplication", "/a"), ("ScaleApplication", "/gone")]]


@pytest.mark.parametrize("observations, deadline, stalled", [
    ([(("a", 1), 0.0), (("a", 1), 10.0)], 30.0, False),
    ([(("a", 1), 0.0), (("a", 1), 31.0)], 30.0, True),
    ([(("a", 1), 0.0), (("a", 2), 20.0), (("a", 2), 45.0)], 30.0, False),   # progress resets the clock
    ([(("a", 1), 0.0), (("a", 1), 1e9)], None, False),                      # no deadline: never stalls
])
def test_progress_deadline(observations, deadline, stalled):
    watch: ProgressWatch | None = None
    flag = False
    for signature, now in observations:
        watch, flag = watch_progress(watch, signature, now, deadline)
    assert flag is stalled


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 11), max_size=4), min_size=1, max_size=12))
def test_layers_put_every_dependency_first(edges):
    # app i may depend only on apps with a smaller index: always acyclic
    defs = {f"/a{i}": app(f"/a{i}", [f"/a{d}" for d in deps if d < i]) for i, deps in enumerate(edges)}
    layer_of = {a: n for n, layer in enumerate(dependency_layers(defs)) for a in layer}
    assert set(layer_of) == set(defs)
    for app_id, definition in defs.items():
        for dep in definition.dependencies:
            assert layer_of[dep] < layer_of[app_id]
