"""ContainerSpec from TaskInfo JSON, and the OCI config it renders."""
from __future__ import annotations

from pathlib import Path

import pytest

from mesosframe.local.containers.image import ImageConfig
from mesosframe.local.containers.spec import SANDBOX_PATH, ContainerSpec, ContainerSpecError, Volume, parse_volume

IMAGE = ImageConfig(cmd=("sh",), env=("PATH=/bin", "FROM_IMAGE=1"))


def task(**extra):
    base = {
        "name": "t", "task_id": {"value": "t1"}, "agent_id": {"value": "a1"},
        "command": {"value": "echo hi", "environment": {"variables": [{"name": "FROM_TASK", "value": "2"}]}},
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}},
            {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31001}]}},
        ],
    }
    base.update(extra)
    return base


def test_spec_from_task_info(tmp_path):
    spec = ContainerSpec.from_task_info(task(), IMAGE, tmp_path, "c-1", {"MESOS_TASK_ID": "t1"})
    assert spec.argv == ("/bin/sh", "-c", "echo hi")
    assert "MESOS_SANDBOX=/mnt/mesos/sandbox" in spec.env
    assert {"FROM_IMAGE=1", "FROM_TASK=2", "MESOS_TASK_ID=t1", "PATH=/bin"} <= set(spec.env)
    assert (spec.cpus, spec.mem_mb, spec.cwd, spec.hostname) == (0.5, 64.0, SANDBOX_PATH, "c-1")
    assert spec.memory_limit_bytes == 64 * 2**20


def test_oci_config_namespaces_resources_and_mounts(tmp_path):
    spec = ContainerSpec.from_task_info(task(), IMAGE, tmp_path, "c-1")
    config = spec.to_oci_config(Path("/r"), "/mesosframe/c-1/runc")
    linux = config["linux"]
    assert sorted(ns["type"] for ns in linux["namespaces"]) == ["ipc", "mount", "pid", "uts"]
    assert linux["cgroupsPath"] == "/mesosframe/c-1/runc"
    assert linux["resources"]["cpu"] == {"shares": 512, "period": 100_000, "quota": 50_000}
    assert linux["resources"]["memory"] == {"limit": 64 * 2**20, "swap": 64 * 2**20}
    assert config["root"]["path"] == "/r" and config["hostname"] == "c-1"
    assert config["process"]["args"] == ["/bin/sh", "-c", "echo hi"] and config["process"]["terminal"] is False
    sandbox = [m for m in config["mounts"] if m["destination"] == SANDBOX_PATH]
    assert sandbox == [{"destination": SANDBOX_PATH, "type": "bind", "source": str(tmp_path),
                        "options": ["rbind", "rprivate", "rw"]}]
    assert "memory" not in spec.to_oci_config(Path("/r"), "/x", include_memory=False)["linux"]["resources"]


@pytest.mark.parametrize("resources, cpu, memory", [
    ([], None, None),
    ([{"name": "mem", "type": "SCALAR", "scalar": {"value": 1}}], None, 4 * 2**20),
    ([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.001}}], {"shares": 2, "period": 100_000, "quota": 1000}, None),
    ([{"name": "cpus", "scalar": {"value": 1}}, {"name": "cpus", "role": "r", "scalar": {"value": 1}}],
     {"shares": 2048, "period": 100_000, "quota": 200_000}, None),
])
def test_resource_limits(tmp_path, resources, cpu, memory):
    spec = ContainerSpec.from_task_info(task(resources=resources), IMAGE, tmp_path, "c")
    rendered = spec.oci_resources()
    assert rendered.get("cpu") == cpu
    assert (rendered.get("memory") or {}).get("limit") == memory


@pytest.mark.parametrize("volume, expected", [
    ({"container_path": "/data", "host_path": "/tmp", "mode": "RO"}, Volume(Path("/tmp"), "/data", True)),
    ({"container_path": "/data", "mode": "RW", "source": {"type": "HOST_PATH", "host_path": {"path": "/tmp"}}},
     Volume(Path("/tmp"), "/data", False)),
    ({"container_path": "cache", "host_path": "cachedir", "mode": "RW"},
     Volume(Path("/sb/cachedir"), f"{SANDBOX_PATH}/cache", False, inside_sandbox=True)),
    ({"container_path": "/v", "mode": "RO", "source": {"type": "SANDBOX_PATH", "sandbox_path": {"type": "SELF", "path": "d"}}},
     Volume(Path("/sb/d"), "/v", True, inside_sandbox=True)),
])
def test_parse_volume(volume, expected):
    assert parse_volume(volume, Path("/sb")) == expected


@pytest.mark.parametrize("volume, message", [
    ({"container_path": "/data", "host_path": "/no/such/path/here", "mode": "RO"}, "does not exist"),
    ({"container_path": "/data", "host_path": "../up", "mode": "RO"}, "inside the sandbox"),
    ({"container_path": "../x", "host_path": "/tmp", "mode": "RO"}, "inside the sandbox"),
    ({"container_path": "/data", "host_path": "/tmp", "mode": "RX"}, "mode"),
    ({"host_path": "/tmp", "mode": "RO"}, "container_path"),
    ({"container_path": "/v", "mode": "RO", "source": {"type": "SANDBOX_PATH", "sandbox_path": {"type": "PARENT", "path": "d"}}},
     "SELF"),
    ({"container_path": "/v", "mode": "RO", "source": {"type": "DOCKER_VOLUME"}}, "not supported"),
])
def test_parse_volume_errors(volume, message):
    with pytest.raises(ContainerSpecError, match=message):
        parse_volume(volume, Path("/sb"))


def test_volumes_rendered_as_binds(tmp_path):
    container = {"type": "MESOS", "volumes": [{"container_path": "/ro", "host_path": str(tmp_path), "mode": "RO"}]}
    spec = ContainerSpec.from_task_info(task(container=container), IMAGE, tmp_path / "sb", "c")
    mounts = {m["destination"]: m for m in spec.to_oci_config(Path("/r"), "/x")["mounts"]}
    assert mounts["/ro"]["options"] == ["rbind", "rprivate", "ro"] and mounts["/ro"]["source"] == str(tmp_path)
    assert mounts["/proc"]["type"] == "proc"
