"""Groups (PURE): the tree view of the app set, group bodies, and subtree replacement.

Apps live in a flat map by id; groups are implied by app ids, plus explicitly created groups, which may carry
`dependencies`. A group body is Marathon's `{id, apps, groups, dependencies}`, ids relative to the group.
An id names an app or a group, never both (`check_tree`; Marathon's root group validation).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from schedulers.longrun.pathid import ROOT, PathIdError, ancestors, canonical, is_within, parent
from schedulers.longrun.spec import AppDefinition
from schedulers.longrun.validation import AppValidationError, validate_app

Apps = Mapping[str, AppDefinition]
Groups = Mapping[str, tuple[str, ...]]   # explicit group id -> its dependencies
CLASH_MESSAGE = "Groups and Applications may not have the same identifier."


def group_ids(apps: Apps, groups: Groups) -> set[str]:
    """Every group that exists: the root, explicit groups, and every ancestor of an app or group."""
    out = {ROOT}
    for path in list(groups) + list(apps):
        out.update(ancestors(path))
    out.update(groups)
    return out


def group_exists(group_id: str, apps: Apps, groups: Groups) -> bool:
    return group_id in group_ids(apps, groups)


def id_clashes(apps: Apps, groups: Groups) -> set[str]:
    """Ids that name an app and also a group (an explicit group, or an ancestor of an app or group)."""
    return set(apps) & group_ids(apps, groups)


def check_tree(apps: Apps, groups: Groups, before_apps: Apps, before_groups: Groups) -> None:
    """Refuse (AppValidationError, 422) a change to the tree `apps`/`groups` that makes an id name both an app
    and a group, e.g. an app `/a/b` under an app `/a`. Clashes the tree before the change already had (stored by
    an older version) are let through, so that they can be repaired."""
    clashes = id_clashes(apps, groups)
    if clashes:
        clashes -= id_clashes(before_apps, before_groups)
    if clashes:
        raise AppValidationError([("/", f"{CLASH_MESSAGE} ({', '.join(sorted(clashes))})")])


def group_json(group_id: str, apps: Apps, groups: Groups, version: str) -> dict[str, Any]:
    """Marathon's group JSON for the subtree at `group_id`."""
    all_groups = group_ids(apps, groups)
    children = sorted(g for g in all_groups if g != group_id and g != ROOT and parent(g) == group_id)
    return {
        "id": group_id,
        "apps": [apps[a].to_json() for a in sorted(apps) if parent(a) == group_id],
        "groups": [group_json(g, apps, groups, version) for g in children],
        "pods": [],
        "dependencies": list(groups.get(group_id, ())),
        "version": version,
    }


def parse_group_body(body: Any, group_id: str) -> tuple[dict[str, AppDefinition], dict[str, tuple[str, ...]]]:
    """The apps and groups a group body defines, with canonical ids; raises AppValidationError."""
    if not isinstance(body, dict):
        raise AppValidationError([("/", "must be a JSON object")])
    apps: dict[str, AppDefinition] = {}
    groups: dict[str, tuple[str, ...]] = {}
    problems: list[tuple[str, str]] = []
    _collect(body, group_id, "", apps, groups, problems)
    if problems:
        raise AppValidationError(problems)
    return apps, groups


def _collect(body: dict[str, Any], group_id: str, at: str, apps: dict[str, AppDefinition],
             groups: dict[str, tuple[str, ...]], problems: list[tuple[str, str]]) -> None:
    deps = body.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        problems.append((f"{at}/dependencies", "must be a list of ids"))
        deps = []
    try:
        groups[group_id] = tuple(canonical(d, parent(group_id)) for d in deps)
    except PathIdError as exc:
        problems.append((f"{at}/dependencies", exc.message))
    for key in ("apps", "groups"):
        if not isinstance(body.get(key, []), list):
            problems.append((f"{at}/{key}", "must be a list"))
            return
    for i, raw in enumerate(body.get("apps", [])):
        try:
            app = validate_app(raw, group_id)
        except AppValidationError as exc:
            problems.extend((f"{at}/apps({i}){d['path'].rstrip('/')}", e) for d in exc.details for e in d["errors"])
            continue
        if not is_within(app.id, group_id) or app.id == group_id:
            problems.append((f"{at}/apps({i})/id", f"must lie inside the group {group_id}"))
        elif app.id in apps:
            problems.append((f"{at}/apps({i})/id", f"duplicate id {app.id}"))
        else:
            apps[app.id] = app
    for i, raw in enumerate(body.get("groups", [])):
        where = f"{at}/groups({i})"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            problems.append((f"{where}/id", "is required"))
            continue
        try:
            child = canonical(raw["id"], group_id)
        except PathIdError as exc:
            problems.append((f"{where}/id", exc.message))
            continue
        if not is_within(child, group_id) or child == group_id:
            problems.append((f"{where}/id", f"must lie inside the group {group_id}"))
            continue
        _collect(raw, child, where, apps, groups, problems)


def replace_subtree(apps: Apps, groups: Groups, group_id: str, new_apps: Apps, new_groups: Groups,
                    keep_apps: bool = False, keep_groups: bool = False) -> tuple[dict, dict]:
    """Apps and groups with the subtree at `group_id` replaced. `keep_*` keeps what the body did not mention."""
    out_apps = {k: v for k, v in apps.items() if keep_apps or not is_within(k, group_id)}
    out_groups = {k: v for k, v in groups.items() if keep_groups or not is_within(k, group_id) or k == group_id}
    out_apps.update(new_apps)
    out_groups.update(new_groups)
    return out_apps, out_groups


def scale_group(apps: Apps, group_id: str, factor: float) -> dict[str, AppDefinition]:
    """Apps with every app under `group_id` scaled by `factor` (rounded up, as Marathon)."""
    return {k: (v.model_copy(update={"instances": math.ceil(v.instances * factor)}) if is_within(k, group_id) else v)
            for k, v in apps.items()}
