"""Real containers with runc: namespaces, sandbox, memory limits, volumes, command rules, cleanup.

Skipped, with the probe's reasons, where the machine lacks root, runc, namespaces or cgroup v1.
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from mesosframe.local.containers import (
    ContainerError,
    ContainerLaunchError,
    ContainerRuntime,
    ContainerSpec,
    ExitStatus,
    ImageNotFoundError,
    ImageStore,
    launch_task,
    task_status_fields,
)
from mesosframe.local.containers.cgroups import cgroup_layout
from mesosframe.testing.images import build_busybox_image

PROBE = ContainerRuntime().probe()
pytestmark = [pytest.mark.root, pytest.mark.skipif(not PROBE.usable, reason="; ".join(PROBE.reasons))]
MEMORY_REASON = "REASON_CONTAINER_LIMITATION_MEMORY"


@dataclass
class Run:
    status: ExitStatus
    sandbox: Path
    stdout: str
    stderr: str
    container_id: str


class Harness:
    """Runs TaskInfo JSON in containers from a test store, one asyncio loop per call."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.store = ImageStore(base / "registry", base / "cache")
        self.runtime = ContainerRuntime(state_root=base / "runc-state", cgroup_root=f"mesosframe-test-{os.getpid()}")
        self.count = 0

    def run(self, task: dict, image: str = "busybox", kill_after: float | None = None,
            during=None) -> Run:
        self.count += 1
        container_id = f"test-{os.getpid()}-{self.count}"
        sandbox = self.base / "sandboxes" / container_id
        return asyncio.run(self._run(task, image, container_id, sandbox, kill_after, during))

    async def _run(self, task, image_name, container_id, sandbox, kill_after, during) -> Run:
        container_info = dict(task.get("container") or {"type": "MESOS"})
        container_info["mesos"] = {"image": {"type": "DOCKER", "docker": {"name": image_name}}}
        task = {**task, "container": container_info}
        container = await launch_task(self.runtime, self.store, task, sandbox=sandbox,
                                      bundle=self.base / "bundles" / container_id, container_id=container_id,
                                      runtime_env={"MESOS_TASK_ID": "t"})
        try:
            if during is not None:
                await asyncio.to_thread(during, container)
            if kill_after is not None:
                status = await container.kill(grace_period=kill_after)
            else:
                status = await asyncio.wait_for(container.wait(), 20)
        finally:
            await container.destroy()
        return Run(status, sandbox, (sandbox / "stdout").read_text(), (sandbox / "stderr").read_text(), container_id)


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Harness:
    base = tmp_path_factory.mktemp("containers")
    build_busybox_image(base / "registry", "busybox:latest")
    build_busybox_image(base / "registry", "busybox:oci", fmt="oci")
    build_busybox_image(base / "registry", "entry:latest", entrypoint=["/bin/echo", "ep"], cmd=["c1", "c2"],
                        env=["PATH=/bin", "WHO=image"], working_dir="/tmp")
    build_busybox_image(base / "registry", "nobody:latest", user="nobody")
    h = Harness(base)
    yield h
    h.runtime.remove_cgroup_root()
    assert not (cgroup_layout().v1["memory"] / h.runtime.cgroup_root).exists()


def shell(value: str, mem: float = 64, **extra) -> dict:
    task = {"command": {"value": value}, "resources": [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}]}
    task.update(extra)
    return task


def test_own_hostname_pid_namespace_and_sandbox(harness):
    run = harness.run(shell("hostname; echo pid=$$; ps | wc -l; echo written > $MESOS_SANDBOX/from-container; pwd"))
    hostname, pid, processes, cwd = run.stdout.split()
    assert run.status.exit_code == 0 and run.status.limitation is None, run.stderr
    assert hostname == run.container_id != socket.gethostname()
    assert pid == "pid=1"
    assert int(processes) <= 4, "only the task's processes are visible (header, sh, ps, wc)"
    assert cwd == "/mnt/mesos/sandbox"
    assert (run.sandbox / "from-container").read_text() == "written\n"


@pytest.mark.parametrize("image", ["busybox:latest", "busybox:oci"])
def test_both_image_formats_run_with_env(harness, image):
    run = harness.run(shell('echo "$MESOS_TASK_ID $MESOS_SANDBOX $PATH"'), image=image)
    assert run.stdout == "t /mnt/mesos/sandbox /bin\n"


def test_memory_hog_is_killed_and_reported(harness):
    run = harness.run(shell('x=0123456789; while true; do x="$x$x"; done', mem=16))
    assert run.status.signal == 9 and run.status.exit_code == 137
    assert run.status.limitation is not None and run.status.limitation.reason == MEMORY_REASON
    assert "Memory limit exceeded" in run.status.message
    assert task_status_fields(run.status)["reason"] == MEMORY_REASON


def test_exit_code_without_limitation(harness):
    run = harness.run(shell("echo out; echo err >&2; exit 3"))
    assert (run.status.exit_code, run.status.signal, run.status.limitation) == (3, None, None)
    assert (run.stdout, run.stderr) == ("out\n", "err\n")


def test_volumes_read_only_and_read_write(harness, tmp_path):
    ro, rw = tmp_path / "ro", tmp_path / "rw"
    ro.mkdir()
    rw.mkdir()
    (ro / "given").write_text("hello\n")
    volumes = [{"container_path": "/ro", "host_path": str(ro), "mode": "RO"},
               {"container_path": "/rw", "host_path": str(rw), "mode": "RW"},
               {"container_path": "/scratch", "mode": "RW",
                "source": {"type": "SANDBOX_PATH", "sandbox_path": {"type": "SELF", "path": "scratch"}}}]
    script = ("cat /ro/given; if touch /ro/new 2>/dev/null; then echo ro-writable; else echo ro-refused; fi; "
              "echo w > /rw/new; echo s > /scratch/file")
    run = harness.run(shell(script, container={"type": "MESOS", "volumes": volumes}))
    assert run.stdout == "hello\nro-refused\n", run.stderr
    assert not (ro / "new").exists()
    assert (rw / "new").read_text() == "w\n"
    assert (run.sandbox / "scratch" / "file").read_text() == "s\n"


@pytest.mark.parametrize("command, expected", [
    ({"shell": False}, "ep c1 c2"),
    ({"shell": False, "arguments": ["a1"]}, "ep a1"),
    ({"shell": False, "value": "/bin/echo", "arguments": ["echo", "v1"]}, "v1"),
    ({"shell": True, "value": "echo shell $WHO"}, "shell image"),
])
def test_entrypoint_cmd_resolution(harness, command, expected):
    run = harness.run({"command": command}, image="entry")
    assert run.stdout.strip() == expected, run.stderr


def test_image_working_dir(harness):
    run = harness.run({"command": {"value": "pwd"}}, image="entry")
    assert run.stdout == "/tmp\n"


def test_kill_sigterm_then_sigkill_and_cpu_quota(harness):
    layout = cgroup_layout()
    seen = {}

    def inspect(container):
        leaf = layout.v1["cpu"] / harness.runtime.cgroup_root / container.id / "runc"
        seen["quota"] = (leaf / "cpu.cfs_quota_us").read_text().strip()

    run = harness.run(shell("sleep 30"), kill_after=0.3, during=inspect)
    assert run.status.killed and run.status.signal == 9, "sleep as PID 1 ignores SIGTERM, so SIGKILL ends it"
    assert seen["quota"] == "50000"


def test_term_handler_ends_gracefully(harness):
    run = harness.run(shell("trap 'echo got-term; exit 0' TERM; while true; do sleep 0.05; done"), kill_after=10)
    assert run.status.killed and run.status.exit_code == 0 and "got-term" in run.stdout


def test_nothing_left_behind(harness):
    run = harness.run(shell("true"))
    listing = subprocess.run(harness.runtime.runc_command("list", "--format", "json"), capture_output=True, text=True)
    assert run.container_id not in [c["id"] for c in json.loads(listing.stdout or "null") or []]
    layout = cgroup_layout()
    mounts = set(layout.v1.values()) | ({layout.unified} if layout.unified else set())
    leftovers = [m / harness.runtime.cgroup_root / run.container_id for m in mounts]
    assert not [p for p in leftovers if p.exists()]
    mounts = Path("/proc/self/mounts").read_text()
    assert run.container_id not in mounts
    assert not (harness.base / "bundles" / run.container_id / "rootfs").exists()


def test_launch_failure_is_reported_and_cleaned_up(harness):
    with pytest.raises(ContainerLaunchError, match="no-such-program"):
        harness.run({"command": {"shell": False, "value": "/bin/no-such-program"}})
    container_id = f"test-{os.getpid()}-{harness.count}"
    memory = cgroup_layout().v1["memory"] / harness.runtime.cgroup_root / container_id
    assert not memory.exists()
    assert container_id not in Path("/proc/self/mounts").read_text()


def test_missing_image(harness):
    with pytest.raises(ImageNotFoundError, match=r"'nosuch:1' not found in image store .*registry"):
        harness.run(shell("true"), image="nosuch:1")


def test_rootfs_writes_stay_in_the_container(harness):
    run = harness.run(shell("echo changed > /etc/passwd; cat /etc/passwd"))
    assert run.stdout == "changed\n"
    cached = harness.store.rootfs(harness.store.resolve("busybox"))
    assert (cached / "etc" / "passwd").read_text().startswith("root:")


def test_invalid_container_id_refused_before_anything_is_made(harness, tmp_path):
    image = harness.store.resolve("busybox")
    spec = ContainerSpec.from_task_info(shell("true"), image.config, tmp_path / "sb", "bad/id")
    with pytest.raises(ContainerLaunchError, match="invalid container id"):
        asyncio.run(harness.runtime.launch(spec, harness.store.rootfs(image), tmp_path / "bundle"))
    assert not (tmp_path / "bundle").exists()


def test_image_user_and_command_user(harness):
    run = harness.run(shell("id -u; id -g; echo mine > $MESOS_SANDBOX/owned"), image="nobody")
    assert run.stdout == "65534\n65534\n", run.stderr
    assert (run.sandbox / "owned").stat().st_uid == 65534
    override = harness.run({"command": {"value": "id -u", "user": "root"}}, image="nobody")
    assert override.stdout == "0\n"
    with pytest.raises(ContainerError, match="user 'ghost' not found"):
        harness.run({"command": {"value": "id -u", "user": "ghost"}})
