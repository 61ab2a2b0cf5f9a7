from __future__ import annotations

import pytest

from mesosframe import calls
from mesosframe.errors import ConfigurationError


@pytest.mark.parametrize("body,expected", [
    (calls.decline("F", ["o1"], 30), {"type": "DECLINE", "framework_id": {"value": "F"},
                                      "decline": {"offer_ids": [{"value": "o1"}], "filters": {"refuse_seconds": 30.0}}}),
    (calls.revive("F"), {"type": "REVIVE", "framework_id": {"value": "F"}}),
    (calls.revive("F", ["r"]), {"type": "REVIVE", "framework_id": {"value": "F"}, "revive": {"roles": ["r"]}}),
    (calls.suppress("F"), {"type": "SUPPRESS", "framework_id": {"value": "F"}}),
    (calls.kill("F", "t", "a", 1.5), {"type": "KILL", "framework_id": {"value": "F"},
                                      "kill": {"task_id": {"value": "t"}, "agent_id": {"value": "a"},
                                               "kill_policy": {"grace_period": {"nanoseconds": 1_500_000_000}}}}),
    (calls.acknowledge("F", "a", "t", "dXVpZA=="), {"type": "ACKNOWLEDGE", "framework_id": {"value": "F"},
                                                    "acknowledge": {"agent_id": {"value": "a"},
                                                                    "task_id": {"value": "t"}, "uuid": "dXVpZA=="}}),
    (calls.reconcile("F"), {"type": "RECONCILE", "framework_id": {"value": "F"}, "reconcile": {"tasks": []}}),
    (calls.reconcile("F", [("t", "a"), ("u", None)]),
     {"type": "RECONCILE", "framework_id": {"value": "F"},
      "reconcile": {"tasks": [{"task_id": {"value": "t"}, "agent_id": {"value": "a"}}, {"task_id": {"value": "u"}}]}}),
    (calls.teardown("F"), {"type": "TEARDOWN", "framework_id": {"value": "F"}}),
])
def test_call_bodies(body, expected):
    assert body == expected


def test_accept_caps_refuse_seconds_and_wraps_operations():
    body = calls.accept("F", ["o"], [calls.launch([{"name": "x"}])], refuse_seconds=1e12)
    assert body["accept"]["filters"]["refuse_seconds"] == calls.MAX_REFUSE_SECONDS
    assert body["accept"]["operations"] == [{"type": "LAUNCH", "launch": {"task_infos": [{"name": "x"}]}}]


def test_subscribe_reuses_stored_framework_id_and_defaults():
    info = calls.framework_info("fw", framework_id="F-0001")
    body = calls.subscribe(info)
    assert body["framework_id"] == {"value": "F-0001"}
    assert body["subscribe"]["framework_info"]["failover_timeout"] == 7 * 24 * 3600.0
    assert {c["type"] for c in info["capabilities"]} >= {"PARTITION_AWARE"}
    assert "framework_id" not in calls.subscribe(calls.framework_info("fw"))


def test_roles():
    assert calls.framework_info("fw", roles=["a"])["role"] == "a"
    assert calls.framework_info("fw", roles=["a", "b"], capabilities=["MULTI_ROLE"])["roles"] == ["a", "b"]
    with pytest.raises(ConfigurationError):
        calls.framework_info("fw", roles=["a", "b"])


def test_launch_group_shape():
    op = calls.launch_group({"type": "DEFAULT"}, [{"name": "a"}])
    assert op == {"type": "LAUNCH_GROUP", "launch_group": {"executor": {"type": "DEFAULT"},
                                                           "task_group": {"tasks": [{"name": "a"}]}}}
