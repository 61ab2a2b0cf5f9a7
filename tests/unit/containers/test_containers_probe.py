"""cgroup layout detection and the runtime probe's reasons (with fake /proc files)."""
from __future__ import annotations

from pathlib import Path

import pytest

from mesosframe.local.containers import runtime as runtime_module
from mesosframe.local.containers.cgroups import CgroupLayout, cgroup_layout
from mesosframe.local.containers.errors import RuntimeUnavailableError
from mesosframe.local.containers.runtime import ContainerRuntime, ExitStatus, Limitation, ProbeResult

CGROUPS = "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t1\t1\nmemory\t4\t1\t1\npids\t8\t1\t1\n"
HYBRID = """tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,nosuid,relatime,cpu 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,xattr,name=systemd 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
"""
UNIFIED = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n"
NONE = "proc /proc proc rw 0 0\n"


@pytest.mark.parametrize("mounts, version, controllers, unified", [
    (HYBRID, "v1", {"cpu", "memory", "name=systemd"}, Path("/sys/fs/cgroup/unified")),
    (UNIFIED, "v2", set(), Path("/sys/fs/cgroup")),
    (NONE, "none", set(), None),
])
def test_cgroup_layout(tmp_path, mounts, version, controllers, unified):
    (tmp_path / "mounts").write_text(mounts)
    (tmp_path / "cgroups").write_text(CGROUPS)
    layout = cgroup_layout(tmp_path / "mounts", tmp_path / "cgroups")
    assert (layout.version, set(layout.v1), layout.unified) == (version, controllers, unified)


def test_probe_reports_every_reason(monkeypatch):
    monkeypatch.setattr(runtime_module.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(runtime_module, "cgroup_layout", lambda: CgroupLayout("v2", {}, Path("/sys/fs/cgroup")))
    result = ContainerRuntime(runc="no-such-runc-binary").probe()
    assert not result.usable
    text = " | ".join(result.reasons)
    assert "not running as root" in text and "runc not found" in text and "cgroup v2" in text
    with pytest.raises(RuntimeUnavailableError, match="runc not found") as info:
        result.require()
    assert info.value.reasons == list(result.reasons)


def test_probe_missing_controller(monkeypatch):
    monkeypatch.setattr(runtime_module, "cgroup_layout", lambda: CgroupLayout("v1", {"cpu": Path("/c")}, None))
    result = ContainerRuntime(runc="no-such-runc-binary").probe()
    assert any("controllers not mounted: memory" in r for r in result.reasons)


def test_usable_probe_requires_nothing():
    ProbeResult(True).require()


@pytest.mark.parametrize("status, message", [
    (ExitStatus(0), "Command exited with status 0"),
    (ExitStatus(137, 9), "Command terminated with signal SIGKILL"),
    (ExitStatus(128 + 40, 40), "Command terminated with signal 40"),
    (ExitStatus(137, 9, Limitation("mem", "Memory limit exceeded: x", "R")), "Memory limit exceeded: x"),
])
def test_exit_status_message(status, message):
    assert status.message == message
