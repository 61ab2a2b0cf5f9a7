"""Marathon path ids: `/group/sub/app`.

Each segment is a DNS-like label (`[a-z0-9]`, inner `-`), and labels may be joined by dots (`my.app`);
`.` and `..` are allowed in relative ids and resolved against a base path. Canonical ids are absolute,
have no trailing slash, and the root is `/`.
"""
from __future__ import annotations

import re

from mesosframe.errors import ValidationError

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
SEGMENT_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
SEGMENT_RULE = "must consist of lowercase letters, digits, hyphens and dots, and start and end with a letter or digit"

ROOT = "/"


class PathIdError(ValidationError):
    """An id that is not a valid Marathon path."""


MAX_SEGMENTS = 64     # groups nest no deeper (deeper trees cost quadratic time and exceed serialisers' depth)


def canonical(raw: str, base: str = ROOT) -> str:
    """Resolve `raw` (absolute, or relative to the group `base`) into a canonical absolute id.

    Raises PathIdError for empty ids, bad segments, or `..` above the root.
    """
    if not isinstance(raw, str):
        raise PathIdError("must be a string")
    text = raw.strip()
    if text in ("", "/"):
        return ROOT if text == "/" else _fail("must not be empty")
    parts = [] if text.startswith("/") else [p for p in base.split("/") if p]
    for segment in text.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not parts:
                _fail("points above the root")
            parts.pop()
            continue
        if not SEGMENT_RE.match(segment):
            _fail(f"segment {segment!r} {SEGMENT_RULE}")
        parts.append(segment)
        if len(parts) > MAX_SEGMENTS:
            _fail(f"has more than {MAX_SEGMENTS} segments")
    return "/" + "/".join(parts)


def _fail(message: str) -> str:
    raise PathIdError(message, path="/id")


def parent(path: str) -> str:
    """The enclosing group of a canonical id (`/` for top-level ids and for the root)."""
    head, _, _ = path.rstrip("/").rpartition("/")
    return head or ROOT


def ancestors(path: str) -> list[str]:
    """All enclosing groups from the root down, excluding `path` itself."""
    out = [ROOT]
    parts = [p for p in path.split("/") if p]
    for i in range(1, len(parts)):
        out.append("/" + "/".join(parts[:i]))
    return out if path != ROOT else []


def is_within(path: str, group: str) -> bool:
    """True if `path` is `group` itself or lies below it."""
    return group == ROOT or path == group or path.startswith(group.rstrip("/") + "/")


def task_prefix(app_id: str) -> str:
    """The prefix of task ids of an app, as Marathon spells them: `/a/b` -> `a_b`."""
    return app_id.strip("/").replace("/", "_")
