"""The in-memory service: deployments run by the pure steps, on a FakeClock, tick by tick."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from mesosframe.core.clock import FakeClock
from schedulers.longrun.memory import InMemoryLongrunService
from schedulers.longrun.service import (AppExistsError, AppLockedError, BadRequestError, NotFoundError,
                                        TooManyDeploymentsError)
from schedulers.longrun.spec import parse_app


def service(**kwargs) -> InMemoryLongrunService:
    return InMemoryLongrunService(FakeClock(), **kwargs)


def deploy(svc, **body):
    svc.create_app(parse_app({"cmd": "run", **body}))
    svc.settle()
    return svc.app(parse_app({"cmd": "x", **body}).id)


def running(svc, app_id):
    return [t for t in svc.tasks(app_id) if t.state == "TASK_RUNNING" and not t.killing]


def test_create_runs_instances_and_reports_success():
    svc = service()
    _, result = svc.create_app(parse_app({"id": "/web", "cmd": "x", "instances": 3}))
    assert [d["id"] for d in svc.deployments()] == [result.deployment_id]
    assert svc.settle() <= 3
    assert len(running(svc, "/web")) == 3 and svc.deployments() == []
    assert {"deployment_info", "deployment_step_success", "deployment_success"} <= set(svc.bus.types_seen())
    with pytest.raises(AppExistsError):
        svc.create_app(parse_app({"id": "/web", "cmd": "x"}))


@pytest.mark.parametrize("instances, min_hc, max_oc", [(3, 1.0, 0.0), (4, 0.5, 0.0), (5, 0.6, 0.2), (2, 0.0, 1.0)])
def test_rolling_restart_keeps_bounds_every_tick(instances, min_hc, max_oc):
    svc = service()
    strategy = {"minimumHealthCapacity": min_hc, "maximumOverCapacity": max_oc}
    deploy(svc, id="/web", instances=instances, upgradeStrategy=strategy, healthChecks=[{"protocol": "TCP"}])
    min_healthy = -(-instances * min_hc // 1)
    svc.update_apps([parse_app({"id": "/web", "cmd": "v2", "instances": instances, "upgradeStrategy": strategy,
                                "healthChecks": [{"protocol": "TCP"}]})])
    cap = max(int(instances * (1 + max_oc)), min_healthy + 1)
    for _ in range(30):
        svc.tick()
        tasks = svc.tasks("/web")
        assert sum(1 for t in tasks if t.healthy and not t.killing) >= min_healthy
        assert len(tasks) + svc.state.queued.get("/web", 0) <= cap
        if not svc.deployments():
            break
    assert svc.deployments() == []
    version = svc.app("/web").versionInfo.lastConfigChangeAt
    assert [t.config_version for t in running(svc, "/web")] == [version] * instances


def test_scale_only_change_keeps_tasks_and_config_version():
    svc = service()
    before = deploy(svc, id="/web", instances=2)
    ids = {t.id for t in svc.tasks("/web")}
    svc.update_apps([before.model_copy(update={"instances": 3})])
    svc.settle()
    after = svc.app("/web")
    assert ids < {t.id for t in svc.tasks("/web")} and len(svc.tasks("/web")) == 3
    assert after.versionInfo.lastConfigChangeAt == before.versionInfo.lastConfigChangeAt
    assert after.version != before.version


def test_scale_down_with_group_by_keeps_racks_even():
    svc = service(agents=4)      # agents alternate racks r0, r1
    app = deploy(svc, id="/web", instances=4, constraints=[["rack", "GROUP_BY"]])
    svc.update_apps([app.model_copy(update={"instances": 2})])
    svc.settle()
    racks = sorted(t.attributes["rack"] for t in svc.tasks("/web"))
    assert racks == ["r0", "r1"]


def test_failed_launches_back_off_and_reset():
    outcomes = iter(["failed", "failed", "failed"])
    svc = service(behaviour=lambda app: next(outcomes, "healthy"))
    svc.create_app(parse_app({"id": "/web", "cmd": "x", "backoffSeconds": 10, "backoffFactor": 2}))
    svc.tick()   # queue
    svc.tick()   # first failure: 10 s delay
    assert svc.tasks("/web") == []
    entry = svc.queue()[0]
    assert entry["count"] == 1 and entry["delay"] == {"timeLeftSeconds": 10.0, "overdue": False}
    assert entry["reasons"] and "backoff" in entry["reasons"][0]
    svc.clock.advance(9)
    svc.tick()
    assert svc.queue()[0]["delay"]["timeLeftSeconds"] == 1.0
    svc.clock.advance(1)
    svc.tick()   # second failure: 20 s
    assert svc.queue()[0]["delay"]["timeLeftSeconds"] == 20.0
    svc.reset_delay("/web")
    svc.tick()   # third failure, from scratch: 10 s
    assert svc.queue()[0]["delay"]["timeLeftSeconds"] == 10.0
    svc.reset_delay("/web")
    svc.settle()
    assert len(running(svc, "/web")) == 1 and svc.queue() == []


def test_unhealthy_task_is_replaced_before_it_is_killed():
    svc = service()
    check = {"protocol": "TCP", "gracePeriodSeconds": 0, "maxConsecutiveFailures": 2}
    deploy(svc, id="/web", instances=2, healthChecks=[check])
    sick = svc.tasks("/web")[0].id
    svc.report_health(sick, False)
    svc.report_health(sick, False)
    svc.tick()
    assert svc.state.queued.get("/web") == 1 and not svc.state.tasks[sick].killing   # replacement first
    svc.tick()   # replacement runs healthy -> the sick one is killed
    assert svc.state.tasks[sick].killing
    svc.tick()
    assert sick not in {t.id for t in svc.tasks("/web")} and len(running(svc, "/web")) == 2
    assert "unhealthy_instance_kill_event" in svc.bus.types_seen()


def test_unreachable_task_is_replaced_then_expunged_and_killed_if_it_returns():
    svc = service()
    deploy(svc, id="/web", instances=1, unreachableStrategy={"inactiveAfterSeconds": 60, "expungeAfterSeconds": 600})
    lost = svc.tasks("/web")[0].id
    svc.set_unreachable(lost)
    svc.clock.advance(30)
    svc.settle()
    assert [t.id for t in svc.tasks("/web")] == [lost]          # within inactiveAfter: wait
    svc.clock.advance(30)
    svc.settle()
    assert len(svc.tasks("/web")) == 2                          # replaced, still known
    svc.set_unreachable(lost, False)                            # comes back: killed
    svc.settle()
    assert lost not in {t.id for t in svc.tasks("/web")} and len(running(svc, "/web")) == 1
    other = running(svc, "/web")[0].id
    svc.set_unreachable(other)
    svc.clock.advance(600)
    svc.settle()
    assert other not in svc.state.tasks and len(running(svc, "/web")) == 1   # expunged and replaced


def test_stalled_deployment_fails_and_is_rolled_back():
    svc = service(progress_deadline=60)
    deploy(svc, id="/web", instances=2)
    svc.behaviour = lambda app: "staging" if app.cmd == "broken" else "healthy"
    result = svc.update_apps([parse_app({"id": "/web", "cmd": "broken", "instances": 2})])
    for _ in range(3):
        svc.tick()
    svc.clock.advance(61)
    svc.tick()
    assert result.deployment_id not in [d["id"] for d in svc.deployments()]
    assert "deployment_failed" in svc.bus.types_seen()
    assert svc.app("/web").cmd == "run"                         # reverted
    svc.settle()
    assert svc.deployments() == [] and len(running(svc, "/web")) == 2


def test_locked_app_needs_force_and_cancel_reverts():
    svc = service()
    _, first = svc.create_app(parse_app({"id": "/web", "cmd": "x", "instances": 2}))
    with pytest.raises(AppLockedError) as err:
        svc.update_apps([parse_app({"id": "/web", "cmd": "y"})])
    assert err.value.deployment_ids == [first.deployment_id]
    svc.update_apps([parse_app({"id": "/web", "cmd": "y"})], force=True)
    assert len(svc.deployments()) == 1 and svc.deployments()[0]["id"] != first.deployment_id
    second = svc.deployments()[0]["id"]
    revert = svc.cancel_deployment(second)
    assert revert is not None and svc.app("/web").cmd == "x"
    assert svc.cancel_deployment(svc.deployments()[0]["id"], force=True) is None
    assert svc.deployments() == []
    with pytest.raises(NotFoundError):
        svc.cancel_deployment("nope")


def test_groups_dependencies_scale_rollback_and_dry_run():
    svc = service()
    body = {"id": "/shop", "apps": [{"id": "web", "cmd": "w", "dependencies": ["db"]}, {"id": "db", "cmd": "d"}]}
    result = svc.update_group("/shop", body, create=True)
    steps = [[a["app"] for a in s["actions"]] for s in result.plan.to_json()["steps"]]
    assert steps == [["/shop/db", "/shop/web"], ["/shop/db"], ["/shop/web"]]
    svc.settle()
    first_version = result.version
    dry = svc.update_group("/shop", {"scaleBy": 3}, create=False, dry_run=True)
    assert dry["steps"] and svc.app("/shop/web").instances == 1
    svc.update_group("/shop", {"scaleBy": 3}, create=False)
    svc.settle()
    assert svc.app("/shop/web").instances == 3 and len(svc.tasks("/shop/db")) == 3
    svc.update_group("/shop", {"version": first_version}, create=False)
    svc.settle()
    assert svc.app("/shop/web").instances == 1
    tree = svc.group("/")
    assert tree["groups"][0]["id"] == "/shop" and len(tree["groups"][0]["apps"]) == 2
    with pytest.raises(AppExistsError):
        svc.update_group("/shop", body, create=True)
    svc.delete_group("/shop")
    svc.settle()
    assert svc.apps() == [] and svc.tasks() == []


def test_kill_tasks_with_scale_and_bad_requests():
    svc = service()
    deploy(svc, id="/web", instances=3)
    victim = svc.tasks("/web")[0].id
    killed, result = svc.kill_tasks([victim], scale=True)
    assert [t.id for t in killed] == [victim] and result is not None
    svc.settle()
    assert svc.app("/web").instances == 2 and len(running(svc, "/web")) == 2
    with pytest.raises(BadRequestError):
        svc.kill_tasks([victim, "unknown"])
    with pytest.raises(BadRequestError):
        svc.kill_tasks([], scale=True, wipe=True)


def test_restart_replaces_every_task_and_versions_are_kept():
    svc = service()
    deploy(svc, id="/web", instances=2)
    before = {t.id for t in svc.tasks("/web")}
    svc.clock.advance(1)
    svc.restart_app("/web")
    svc.settle()
    assert before.isdisjoint({t.id for t in svc.tasks("/web")}) and len(running(svc, "/web")) == 2
    versions = svc.app_versions("/web")
    assert len(versions) == 2 and versions[0] == svc.app("/web").version
    assert svc.app_version("/web", versions[1]).cmd == "run"


def test_too_many_running_deployments():
    svc = service(max_running_deployments=1)
    svc.create_app(parse_app({"id": "/a", "cmd": "x"}))
    with pytest.raises(TooManyDeploymentsError):
        svc.create_app(parse_app({"id": "/b", "cmd": "x"}))
    svc.settle()
    svc.create_app(parse_app({"id": "/b", "cmd": "x"}))
    assert [a.id for a in svc.apps()] == ["/a", "/b"]


@settings(max_examples=40, deadline=None)
@given(instances=st.integers(1, 5), min_hc=st.sampled_from([0.0, 0.5, 0.8, 1.0]),
       max_oc=st.sampled_from([0.0, 0.3, 1.0]),
       outcomes=st.lists(st.sampled_from(["healthy", "unhealthy", "failed", "staging"]), min_size=1, max_size=12))
def test_service_restart_bounds_with_misbehaving_launches(instances, min_hc, max_oc, outcomes):
    svc = service()
    strategy = {"minimumHealthCapacity": min_hc, "maximumOverCapacity": max_oc}
    body = {"id": "/web", "instances": instances, "upgradeStrategy": strategy, "healthChecks": [{"protocol": "TCP"}]}
    deploy(svc, **body)
    script = iter(outcomes)
    svc.behaviour = lambda app: next(script, "healthy")
    svc.update_apps([parse_app({**body, "cmd": "v2"})])
    min_healthy = -(-instances * min_hc // 1)
    cap = max(int(instances * (1 + max_oc)), min_healthy + 1)
    for _ in range(40):
        svc.tick()
        tasks = svc.tasks("/web")
        assert sum(1 for t in tasks if t.healthy and not t.killing) >= min_healthy
        assert len(tasks) + svc.state.queued.get("/web", 0) <= cap
        svc.clock.advance(5)
