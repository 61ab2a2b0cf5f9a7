"""Dependency graph: validation, readiness rule, re-wiring, renderings (pure)."""
from __future__ import annotations

import pytest

from schedulers.cron.dag import CycleError, DependencyState, JobGraph, MissingParentError

GRAPH = JobGraph.build({"a": [], "b": [], "c": ["a", "b"], "d": ["c"]})


@pytest.mark.parametrize("parents, cycle", [
    ({"a": ["a"]}, ["a", "a"]),
    ({"a": ["b"], "b": ["a"]}, ["a", "b", "a"]),
    ({"a": [], "b": ["a", "d"], "c": ["b"], "d": ["c"]}, ["b", "c", "d", "b"]),
])
def test_cycles_are_refused_naming_the_cycle(parents, cycle):
    with pytest.raises(CycleError) as info:
        JobGraph.build(parents)
    assert info.value.cycle == cycle
    assert " -> ".join(cycle) in str(info.value)
    assert info.value.path == "parents"


def test_missing_parent_is_refused():
    with pytest.raises(MissingParentError) as info:
        GRAPH.with_job("e", ["a", "zz"])
    assert (info.value.child, info.value.parent) == ("e", "zz")


def test_adding_an_edge_that_closes_a_cycle_is_refused_and_graph_unchanged():
    with pytest.raises(CycleError):
        GRAPH.with_job("a", ["d"])
    assert GRAPH.parents["a"] == ()


# Each step: ("done", parent) expecting the ready children, or ("start", child).
@pytest.mark.parametrize("steps", [
    [("done", "a", []), ("done", "b", ["c"])],
    [("done", "b", []), ("done", "b", []), ("done", "a", ["c"])],
    [("done", "a", []), ("done", "b", ["c"]), ("start", "c", None), ("done", "a", []), ("done", "b", ["c"])],
    # a parent succeeding twice before the child starts does not make it run twice
    [("done", "a", []), ("done", "b", ["c"]), ("done", "b", ["c"]), ("start", "c", None), ("done", "b", [])],
    [("done", "c", ["d"]), ("start", "d", None), ("done", "c", ["d"])],
])
def test_child_runs_once_every_parent_succeeded_since_it_last_started(steps):
    state = DependencyState()
    for kind, name, expected in steps:
        if kind == "done":
            state, ready = state.on_parent_done(GRAPH, name)
            assert ready == expected
        else:
            state = state.on_child_started(name)


def test_dependency_state_round_trips_through_json():
    state, _ = DependencyState().on_parent_done(GRAPH, "a")
    assert DependencyState.from_json(state.to_json()) == state
    assert state.to_json() == {"satisfied": {"c": ["a"]}}


@pytest.mark.parametrize("delete, parents, orphans", [
    ("c", {"a": (), "b": (), "d": ("a", "b")}, []),      # children of a dependent job inherit its parents
    ("d", {"a": (), "b": (), "c": ("a", "b")}, []),
    ("a", {"b": (), "c": ("b",), "d": ("c",)}, []),
])
def test_delete_rewires_as_chronos(delete, parents, orphans):
    graph, left = GRAPH.without_job(delete)
    assert dict(graph.parents) == parents
    assert left == orphans


def test_delete_of_only_parent_leaves_an_orphan_for_the_caller_to_schedule():
    graph, left = JobGraph.build({"a": [], "b": ["a"]}).without_job("a")
    assert left == ["b"] and graph.parents == {"b": ()}


def test_forget_drops_edges_of_deleted_jobs():
    state, _ = DependencyState().on_parent_done(GRAPH, "a")
    graph, _ = GRAPH.without_job("a")
    assert state.forget(graph).satisfied == {"c": frozenset()}


def test_topological_order_and_renderings():
    assert GRAPH.topological_order() == ["a", "b", "c", "d"]
    assert GRAPH.to_csv({"a": "success"}, {"c": "running"}) == (
        "node,a,success,idle\nnode,b,fresh,idle\nnode,c,fresh,running\nnode,d,fresh,idle\n"
        "link,a,c\nlink,b,c\nlink,c,d\n")
    dot = GRAPH.to_dot({"a": "failure"})
    assert dot.startswith("digraph G {") and '"a" [fillcolor="red"];' in dot and '"c" -> "d";' in dot
    assert GRAPH.render_text() == ("a\n  └─ c  (also after b)\n    └─ d\n"
                                   "b\n  └─ c  (also after a)\n    └─ d\n")
