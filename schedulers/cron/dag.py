"""PURE job dependency graph: which dependent jobs are ready, and the graph as DOT, CSV and text.

Rule (Chronos's): a job with `parents` runs once EVERY parent has succeeded since the child last started.
The edge state is data: `DependencyState.satisfied[child]` is the set of parents that succeeded since the
child's last start. It is a plain dict (`to_json`/`from_json`) so it can be persisted; Chronos lost it on a
leader change (#811). A final failure of a parent with `softError` counts as a success for its children.

Validation: a graph with a missing parent raises `MissingParentError`; one with a cycle raises `CycleError`
naming the cycle (`a -> b -> a`). Both are `ValidationError`s with `path="parents"`.

Deleting a job re-wires as Chronos does: each child of a deleted dependent job inherits the deleted job's
parents; a child left without parents (its only parent was a scheduled job) becomes a scheduled job: the
caller gives it the deleted job's schedule (`without_job` returns those orphans).

Methods never mutate: they return new objects.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from mesosframe.errors import ValidationError

__all__ = ["JobGraph", "DependencyState", "CycleError", "MissingParentError"]


class CycleError(ValidationError):
    """The dependencies form a cycle; `cycle` lists it, first job repeated at the end."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("dependency cycle " + " -> ".join(cycle), "parents")
        self.cycle = cycle


class MissingParentError(ValidationError):
    """A job names a parent that does not exist; `child` and `parent` say which."""

    def __init__(self, child: str, parent: str) -> None:
        super().__init__(f"job {child!r} has unknown parent {parent!r}", "parents")
        self.child = child
        self.parent = parent


@dataclass(frozen=True)
class JobGraph:
    """Jobs and their parents. `parents` maps every job (scheduled ones too, with ()) to its parents."""

    parents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, parents: Mapping[str, Iterable[str]]) -> JobGraph:
        """A validated graph; raises MissingParentError or CycleError."""
        graph = cls({name: tuple(sorted(p)) for name, p in parents.items()})
        graph.validate()
        return graph

    def validate(self) -> None:
        for child in sorted(self.parents):
            for parent in self.parents[child]:
                if parent not in self.parents:
                    raise MissingParentError(child, parent)
        cycle = self.find_cycle()
        if cycle:
            raise CycleError(cycle)

    def find_cycle(self) -> list[str] | None:
        """A cycle as a list of names (first repeated at the end), or None."""
        colour: dict[str, int] = {}
        for root in sorted(self.parents):
            if colour.get(root):
                continue
            stack: list[tuple[str, Iterable[str]]] = [(root, iter(self.children(root)))]
            path = [root]
            colour[root] = 1
            while stack:
                node, children = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    path.pop()
                    colour[node] = 2
                elif colour.get(child) == 1:
                    return path[path.index(child):] + [child]
                elif not colour.get(child):
                    colour[child] = 1
                    path.append(child)
                    stack.append((child, iter(self.children(child))))
        return None

    def children(self, name: str) -> list[str]:
        return self._children.get(name, [])

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        """Each job's children, sorted (built once per graph: graphs are immutable)."""
        index: dict[str, list[str]] = {}
        for child in sorted(self.parents):
            for parent in self.parents[child]:
                index.setdefault(parent, []).append(child)
        return index

    def with_job(self, name: str, parents: Iterable[str] = ()) -> JobGraph:
        """The graph with `name` added or its parents replaced; validated."""
        updated = dict(self.parents)
        updated[name] = tuple(sorted(parents))
        return JobGraph.build(updated)

    def without_job(self, name: str) -> tuple[JobGraph, list[str]]:
        """The graph without `name`, children re-wired; returns it and the children left with no parents."""
        removed = self.parents.get(name, ())
        updated: dict[str, tuple[str, ...]] = {}
        orphans = []
        for child, parents in self.parents.items():
            if child == name:
                continue
            if name in parents:
                parents = tuple(sorted((set(parents) - {name}) | set(removed)))
                if not parents:
                    orphans.append(child)
            updated[child] = parents
        return JobGraph(updated), sorted(orphans)

    def topological_order(self) -> list[str]:
        """Jobs with every parent before its children (ties by name)."""
        order: list[str] = []
        done: set[str] = set()
        pending = sorted(self.parents)
        while pending:
            ready = [n for n in pending if all(p in done for p in self.parents[n])]
            if not ready:
                raise CycleError(self.find_cycle() or pending)
            order.extend(ready)
            done.update(ready)
            pending = [n for n in pending if n not in done]
        return order

    def to_dot(self, states: Mapping[str, str] | None = None) -> str:
        """Graphviz DOT, as Chronos's `graph/dot`: nodes coloured by last state (success/failure/fresh)."""
        colours = {"success": "green", "failure": "red", "fresh": "lightgrey"}
        lines = ["digraph G {", "  node [style=filled];"]
        for name in sorted(self.parents):
            state = (states or {}).get(name, "fresh")
            lines.append(f'  "{name}" [fillcolor="{colours.get(state, "white")}"];')
        for child in sorted(self.parents):
            for parent in self.parents[child]:
                lines.append(f'  "{parent}" -> "{child}";')
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_csv(self, states: Mapping[str, str] | None = None,
               statuses: Mapping[str, str] | None = None) -> str:
        """Chronos's `graph/csv`: `node,<name>,<state>,<status>` lines, then `link,<parent>,<child>`."""
        lines = [f"node,{name},{(states or {}).get(name, 'fresh')},{(statuses or {}).get(name, 'idle')}"
                 for name in sorted(self.parents)]
        lines += [f"link,{parent},{child}" for child in sorted(self.parents) for parent in self.parents[child]]
        return "\n".join(lines) + ("\n" if lines else "")

    def render_text(self) -> str:
        """An indented tree for the CLI; a job with several parents appears under each, marked `(also ...)`."""
        lines: list[str] = []

        def walk(name: str, depth: int, via: str | None) -> None:
            others = [p for p in self.parents[name] if p != via]
            suffix = f"  (also after {', '.join(others)})" if via is not None and others else ""
            lines.append("  " * depth + ("└─ " if depth else "") + name + suffix)
            for child in self.children(name):
                walk(child, depth + 1, name)

        for root in sorted(n for n, p in self.parents.items() if not p):
            walk(root, 0, None)
        return "\n".join(lines) + ("\n" if lines else "")


@dataclass(frozen=True)
class DependencyState:
    """Per child, the parents that succeeded since the child last started (persistable edge state)."""

    satisfied: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def on_parent_done(self, graph: JobGraph, parent: str) -> tuple[DependencyState, list[str]]:
        """Record a success (or soft failure) of `parent`; returns the new state and the children now ready."""
        updated = dict(self.satisfied)
        ready = []
        for child in graph.children(parent):
            done = updated.get(child, frozenset()) | {parent}
            updated[child] = done
            if done >= set(graph.parents[child]):
                ready.append(child)
        return DependencyState(updated), ready

    def on_child_started(self, child: str) -> DependencyState:
        """The child started: it waits again for every parent."""
        updated = dict(self.satisfied)
        updated.pop(child, None)
        return DependencyState(updated)

    def forget(self, graph: JobGraph) -> DependencyState:
        """Drop state of jobs and edges that no longer exist in `graph`."""
        return DependencyState({child: frozenset(p for p in done if p in graph.parents.get(child, ()))
                                for child, done in self.satisfied.items() if child in graph.parents})

    def to_json(self) -> dict:
        return {"satisfied": {child: sorted(done) for child, done in sorted(self.satisfied.items())}}

    @classmethod
    def from_json(cls, data: Mapping) -> DependencyState:
        return cls({child: frozenset(done) for child, done in data.get("satisfied", {}).items()})
