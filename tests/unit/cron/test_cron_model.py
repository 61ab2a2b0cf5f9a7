"""Job model defaults and validation, and run-history statistics (pure)."""
from __future__ import annotations

import pydantic
import pytest

from schedulers.cron.history import RunRecord, duration_stats, percentile
from schedulers.cron.job import ConcurrencyPolicy, Job


def test_chronos_defaults_and_json():
    job = Job(name="a", command="x", schedule="R/2024-01-01T00:00:00Z/PT1H")
    data = job.to_json()
    assert (data["retries"], data["shell"], data["concurrent"], data["disabled"], data["softError"]) == \
        (2, True, False, False, False)
    assert (data["successCount"], data["errorCount"], data["lastSuccess"], data["errorsSinceLastSuccess"]) == \
        (0, 0, "", 0)
    assert "concurrencyPolicy" not in data and "container" not in data
    assert job.effective_resources() == {"cpus": 0.1, "mem": 128.0, "disk": 256.0}
    assert Job.model_validate({**data, "epsilon": "PT60S"}).name == "a"  # 2.x fields are ignored


@pytest.mark.parametrize("changes, policy", [
    ({}, ConcurrencyPolicy.FORBID),
    ({"concurrent": True}, ConcurrencyPolicy.ALLOW),
    ({"concurrent": True, "concurrencyPolicy": "REPLACE"}, ConcurrencyPolicy.REPLACE),
])
def test_effective_concurrency_policy(changes, policy):
    assert Job(name="a", **changes).policy is policy


def test_mesos_container_means_the_unified_container():
    job = Job(name="a", container={"type": "MESOS", "image": "alpine:3"},
              environmentVariables=[{"name": "A", "value": "1"}], fetch=[{"uri": "http://x/y.tgz"}])
    assert job.container.type == "MESOS" and job.fetch[0].extract is True


@pytest.mark.parametrize("data, location", [
    ({"name": "bad/name"}, ("name",)),
    ({"name": "é"}, ("name",)),
    ({"name": "a", "retries": -1}, ("retries",)),
    ({"name": "a", "container": {"type": "MESOS"}}, ("container", "image")),
    ({"name": "a", "constraints": [["rack", "EQUALS"]]}, ("constraints", 0)),
    ({"name": "a", "constraints": [["rack", "LIKE", "("]]}, ("constraints",)),
    ({"name": "a", "parents": ["b", "b"]}, ("parents",)),
    ({"name": "a", "parents": ["a"]}, ()),
    ({"name": "a", "fetch": [{"uri": "x"}], "uris": ["y"]}, ()),
])
def test_invalid_jobs_name_the_field(data, location):
    with pytest.raises(pydantic.ValidationError) as info:
        Job.model_validate(data)
    assert info.value.errors()[0]["loc"][:len(location)] == location


def test_server_fields_come_from_the_previous_version():
    previous = Job(name="a", successCount=3, lastSuccess="2024-01-01T00:00:00.000Z")
    assert Job(name="a", successCount=99).with_server_fields(previous).successCount == 3
    assert Job(name="a", successCount=99).with_server_fields(None).successCount == 0


@pytest.mark.parametrize("values, p, expected", [
    ([], 50, None),
    ([1.0], 99, 1.0),
    ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
    ([1.0, 2.0, 3.0, 4.0], 75, 3.0),
    ([1.0, 2.0, 3.0, 4.0], 99, 4.0),
    (list(map(float, range(1, 101))), 95, 95.0),
])
def test_nearest_rank_percentile(values, p, expected):
    assert percentile(values, p) == expected


def test_duration_stats_use_successful_runs_only():
    records = [RunRecord("a", 0, "SUCCEEDED", start=0, end=d) for d in (10, 20, 30, 40)]
    records += [RunRecord("a", 0, "FAILED", start=0, end=1000), RunRecord("a", 0, "MISSED")]
    stats = duration_stats(records)
    assert stats == {"count": 4, "mean": 25.0, "median": 20, "75thPercentile": 30, "95thPercentile": 40,
                     "98thPercentile": 40, "99thPercentile": 40}
    assert duration_stats([])["count"] == 0 and duration_stats([])["mean"] is None
    assert RunRecord.from_json(records[0].to_json()) == records[0]
