"""ContainerSpec: what to run, built from TaskInfo JSON and an image; and its OCI runtime `config.json`.

Pure apart from reading whether host paths exist (volumes, /etc/resolv.conf); nothing is created here.

`ContainerSpec.from_task_info(task, image_config, sandbox, container_id)` reads the task's command,
environment, `cpus`/`mem` resources and `container.volumes`; `to_oci_config(rootfs)` renders the OCI runtime
spec (1.0.2) that runc runs: PID, mount, UTS and IPC namespaces (host network, as Mesos's default), the sandbox
bind-mounted read-write at `/mnt/mesos/sandbox`, volumes, CPU shares and CFS quota, and the memory limit
with swap equal to it (so the OOM killer acts at the limit).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mesosframe.local.containers.command import (
    command_environment,
    merge_environment,
    resolve_argv,
    working_directory,
)
from mesosframe.local.containers.errors import ContainerError
from mesosframe.local.containers.image import ImageConfig
from mesosframe.local.containers.users import ROOT, ProcessUser

SANDBOX_PATH = "/mnt/mesos/sandbox"
CPU_PERIOD_US = 100_000
MIN_MEMORY_MB = 4
CAPABILITIES = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
                "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                "CAP_KILL", "CAP_AUDIT_WRITE"]
MASKED_PATHS = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"]
READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
HOST_FILES = ("/etc/resolv.conf", "/etc/hosts")


class ContainerSpecError(ContainerError):
    """The task asks for something the container cannot be given (a bad volume, resource, ...)."""


@dataclass(frozen=True)
class Volume:
    """A bind mount: host `source` at `destination` inside the container."""

    source: Path
    destination: str
    read_only: bool = False
    inside_sandbox: bool = False


@dataclass(frozen=True)
class ContainerSpec:
    """Everything needed to render the OCI config, except the rootfs path."""

    container_id: str
    argv: tuple[str, ...]
    env: tuple[str, ...]
    cwd: str
    sandbox: Path
    cpus: float | None = None
    mem_mb: float | None = None
    volumes: tuple[Volume, ...] = ()
    hostname: str = ""
    user: str = ""

    @classmethod
    def from_task_info(cls, task: Mapping[str, Any], image: ImageConfig, sandbox: Path, container_id: str,
                       runtime_env: Mapping[str, str] | None = None) -> ContainerSpec:
        """Build from TaskInfo JSON; `runtime_env` are the agent's variables (MESOS_TASK_ID, ...)."""
        command = task.get("command") or {}
        env = {**(runtime_env or {}), "MESOS_SANDBOX": SANDBOX_PATH}
        resources = scalar_resources(task.get("resources") or ())
        volumes = tuple(parse_volume(v, Path(sandbox)) for v in (task.get("container") or {}).get("volumes") or ())
        return cls(
            container_id=container_id,
            argv=tuple(resolve_argv(command, image)),
            env=tuple(merge_environment(image, env, command_environment(command))),
            cwd=working_directory(image, SANDBOX_PATH),
            sandbox=Path(sandbox),
            cpus=resources.get("cpus"),
            mem_mb=resources.get("mem"),
            volumes=volumes,
            hostname=container_id[:63],
            user=str(command.get("user") or image.user or ""),
        )

    @property
    def memory_limit_bytes(self) -> int | None:
        """The memory limit in bytes (at least MIN_MEMORY_MB), or None without a `mem` resource."""
        if self.mem_mb is None:
            return None
        return int(max(self.mem_mb, MIN_MEMORY_MB) * 1024 * 1024)

    def oci_resources(self, include_memory: bool = True) -> dict[str, Any]:
        """`linux.resources`: CPU shares and quota from `cpus`, memory (+swap = memory) from `mem`."""
        resources: dict[str, Any] = {"devices": [{"allow": False, "access": "rwm"}]}
        if self.cpus is not None:
            resources["cpu"] = {"shares": max(2, int(self.cpus * 1024)), "period": CPU_PERIOD_US,
                                "quota": max(1000, int(self.cpus * CPU_PERIOD_US))}
        limit = self.memory_limit_bytes
        if include_memory and limit is not None:
            resources["memory"] = {"limit": limit, "swap": limit}
        return resources

    def mounts(self) -> list[dict[str, Any]]:
        """The mounts: kernel filesystems, the sandbox, the host's resolv.conf/hosts (host network), volumes."""
        mounts: list[dict[str, Any]] = [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            bind(self.sandbox, SANDBOX_PATH, read_only=False),
        ]
        mounts += [bind(Path(f), f, read_only=True) for f in HOST_FILES if os.path.isfile(f)]
        mounts += [bind(v.source, v.destination, v.read_only) for v in self.volumes]
        return mounts

    def to_oci_config(self, rootfs: Path, cgroups_path: str, include_memory: bool = True,
                      user: ProcessUser = ROOT) -> dict[str, Any]:
        """The OCI runtime spec for runc. `include_memory=False` leaves the memory limit to a parent cgroup;
        `user` is `self.user` resolved in the rootfs (`users.resolve_user`)."""
        capabilities = {k: list(CAPABILITIES) for k in ("bounding", "effective", "permitted")}
        return {
            "ociVersion": "1.0.2",
            "hostname": self.hostname or self.container_id[:63],
            "root": {"path": str(rootfs), "readonly": False},
            "process": {
                "terminal": False,
                "user": user.to_oci(),
                "args": list(self.argv),
                "env": list(self.env),
                "cwd": self.cwd,
                "capabilities": capabilities,
                "noNewPrivileges": True,
            },
            "mounts": self.mounts(),
            "linux": {
                "namespaces": [{"type": t} for t in ("pid", "mount", "uts", "ipc")],
                "cgroupsPath": cgroups_path,
                "resources": self.oci_resources(include_memory),
                "maskedPaths": list(MASKED_PATHS),
                "readonlyPaths": list(READONLY_PATHS),
            },
        }


def bind(source: Path, destination: str, read_only: bool) -> dict[str, Any]:
    """An OCI bind mount entry (recursive, private; `ro` when read-only)."""
    options = ["rbind", "rprivate"] + (["ro"] if read_only else ["rw"])
    return {"destination": destination, "type": "bind", "source": str(source), "options": options}


def scalar_resources(resources: Any) -> dict[str, float]:
    """Sum of SCALAR resources by name (`cpus`, `mem`, ...) from Mesos Resource JSON."""
    totals: dict[str, float] = {}
    for resource in resources:
        if resource.get("type", "SCALAR") == "SCALAR" and "scalar" in resource:
            name = resource["name"]
            totals[name] = totals.get(name, 0.0) + float(resource["scalar"]["value"])
    return totals


def _inside(base: Path, relative: str, what: str) -> Path:
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts:
        raise ContainerSpecError(f"{what} {relative!r} must be a relative path inside the sandbox")
    return base / path


def parse_volume(volume: Mapping[str, Any], sandbox: Path) -> Volume:
    """A Mesos Volume JSON (legacy `host_path`, or `source` HOST_PATH / SANDBOX_PATH SELF) as a bind mount.

    A relative `container_path` is inside the sandbox (`/mnt/mesos/sandbox/<path>`); a relative `host_path`
    or a SANDBOX_PATH source is inside the host sandbox (`inside_sandbox`: the runtime creates it if missing).
    A missing absolute host path is an error, as in Mesos.
    """
    mode = volume.get("mode", "RW")
    if mode not in ("RW", "RO"):
        raise ContainerSpecError(f"volume mode {mode!r} is not RW or RO")
    container_path = str(volume.get("container_path") or "")
    if not container_path:
        raise ContainerSpecError("volume without container_path")
    if not container_path.startswith("/"):
        _inside(sandbox, container_path, "container_path")
        container_path = f"{SANDBOX_PATH}/{container_path}"
    source = volume.get("source") or {}
    kind = source.get("type") or ("HOST_PATH" if "host_path" in volume else None)
    if kind == "HOST_PATH":
        host = str((source.get("host_path") or {}).get("path") or volume.get("host_path") or "")
        if not host:
            raise ContainerSpecError(f"volume {container_path}: HOST_PATH without a path")
        if host.startswith("/"):
            host_path = Path(host)
            if not host_path.exists():
                raise ContainerSpecError(f"volume {container_path}: host path {host} does not exist")
        else:
            return Volume(_inside(sandbox, host, "host_path"), container_path, mode == "RO", inside_sandbox=True)
    elif kind == "SANDBOX_PATH":
        sandbox_path = source.get("sandbox_path") or {}
        if sandbox_path.get("type", "SELF") != "SELF":
            raise ContainerSpecError(f"volume {container_path}: only SANDBOX_PATH type SELF is supported")
        host_path = _inside(sandbox, str(sandbox_path.get("path") or ""), "sandbox_path.path")
        return Volume(host_path, container_path, mode == "RO", inside_sandbox=True)
    else:
        raise ContainerSpecError(f"volume {container_path}: source type {kind!r} is not supported")
    return Volume(host_path, container_path, read_only=(mode == "RO"))
