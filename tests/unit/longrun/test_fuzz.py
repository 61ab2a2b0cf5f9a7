"""Untrusted JSON never escapes as anything but a validation error."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from schedulers.longrun.groups import parse_group_body
from schedulers.longrun.spec import AppDefinition, parse_app
from schedulers.longrun.validation import AppValidationError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10)
FIELDS = ["id", "cmd", "args", "cpus", "mem", "instances", "container", "healthChecks", "readinessChecks",
          "constraints", "dependencies", "upgradeStrategy", "unreachableStrategy", "portDefinitions", "env",
          "labels", "fetch", "killSelection", "backoffFactor"]


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6))
def test_random_apps_are_valid_or_422(body):
    try:
        app = parse_app({"id": "/fuzz", "cmd": "x", **body})
    except AppValidationError as exc:
        assert exc.details and all(d["path"].startswith(("/", "(")) and d["errors"] for d in exc.details)
    else:
        assert isinstance(app, AppDefinition) and app.id.startswith("/")


@settings(max_examples=60, deadline=None)
@given(json_values)
def test_random_group_bodies_are_valid_or_422(body):
    try:
        parse_group_body(body, "/g")
    except AppValidationError as exc:
        assert exc.details
