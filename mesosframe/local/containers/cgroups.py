"""Per-container parent cgroups (cgroup v1) that hold the memory limit and outlive runc's own cgroup.

runc removes the container's cgroup as soon as the container exits, taking its OOM counters with it.
So, as Mesos's cgroups isolator does, the memory limit lives in a parent cgroup we own,
`<mount>/<root>/<container id>`, and runc's cgroup is its child `<root>/<container id>/runc`. An eventfd
registered on the parent's `memory.oom_control` (before the container starts, so there is no race) counts
OOM events; `memory.failcnt`, `memory.memsw.failcnt` and `memory.max_usage_in_bytes` survive until
`destroy()` removes the parent from every hierarchy.

`cgroup_layout()` tells v1 (maybe hybrid, with an empty v2 mount) from a unified v2 host; only v1 is handled.
"""
from __future__ import annotations

import contextlib
import errno
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from mesosframe.local.containers.errors import ContainerError

log = logging.getLogger("mesosframe.containers.cgroups")

CGROUP_MOUNT = Path("/sys/fs/cgroup")
RUNC_LEAF = "runc"


class CgroupError(ContainerError):
    """A cgroup could not be created, limited or removed."""


@dataclass(frozen=True)
class CgroupLayout:
    """How cgroups are mounted: `version` is "v1", "v2" or "none"; `v1` maps controller -> mount point."""

    version: str
    v1: dict[str, Path]
    unified: Path | None

    @property
    def description(self) -> str:
        if self.version == "v1":
            hybrid = f" (hybrid: cgroup2 at {self.unified})" if self.unified else ""
            return f"cgroup v1 with {', '.join(sorted(self.v1))}{hybrid}"
        return f"cgroup v2 at {self.unified}" if self.version == "v2" else "no cgroups mounted"


def _known_controllers(cgroups_file: Path) -> set[str]:
    try:
        lines = cgroups_file.read_text().splitlines()
    except OSError:
        return set()
    return {line.split()[0] for line in lines if line and not line.startswith("#")}


def cgroup_layout(mounts_file: Path = Path("/proc/self/mounts"),
                  cgroups_file: Path = Path("/proc/cgroups")) -> CgroupLayout:
    """Read the cgroup mounts. v1 wins when any v1 controller is mounted (runc does the same)."""
    controllers = _known_controllers(cgroups_file)
    v1: dict[str, Path] = {}
    unified: Path | None = None
    for line in mounts_file.read_text().splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        mount_point, fstype, options = Path(fields[1]), fields[2], fields[3].split(",")
        if fstype == "cgroup2":
            unified = mount_point
        elif fstype == "cgroup":
            for option in options:
                if option in controllers or option.startswith("name="):
                    v1[option] = mount_point
    if unified == CGROUP_MOUNT:
        return CgroupLayout("v2", v1, unified)
    if v1:
        return CgroupLayout("v1", v1, unified)
    return CgroupLayout("v2" if unified else "none", v1, unified)


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as exc:
        raise CgroupError(f"cannot write {value!r} to {path}: {exc.strerror}") from exc


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return 0


class ContainerCgroup:
    """The parent cgroup of one container (v1). `runc_path` is what goes in the OCI `cgroupsPath`."""

    def __init__(self, layout: CgroupLayout, root: str, container_id: str) -> None:
        if layout.version != "v1" or "memory" not in layout.v1:
            raise CgroupError(f"the memory controller of cgroup v1 is needed, found {layout.description}")
        self.layout = layout
        self.relative = f"{root.strip('/')}/{container_id}"
        self.memory_dir = layout.v1["memory"] / self.relative
        self._eventfd: int | None = None
        self._control_fd: int | None = None

    @property
    def runc_path(self) -> str:
        return f"/{self.relative}/{RUNC_LEAF}"

    def create(self, memory_limit: int | None) -> None:
        """Create the memory cgroup, set the limit (memory+swap = memory) and watch for OOM."""
        try:
            self.memory_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CgroupError(f"cannot create {self.memory_dir}: {exc.strerror}") from exc
        if memory_limit is not None:
            _write(self.memory_dir / "memory.limit_in_bytes", str(memory_limit))
            memsw = self.memory_dir / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                _write(memsw, str(memory_limit))
        self._watch_oom()

    def _watch_oom(self) -> None:
        efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        try:
            control = os.open(self.memory_dir / "memory.oom_control", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            os.close(efd)
            raise
        self._eventfd, self._control_fd = efd, control
        _write(self.memory_dir / "cgroup.event_control", f"{efd} {control}")

    def oom_events(self) -> int:
        """How many OOM notifications the parent got so far (reading resets the count)."""
        if self._eventfd is None:
            return 0
        try:
            return os.eventfd_read(self._eventfd)
        except BlockingIOError:
            return 0

    def memory_stats(self) -> dict[str, int]:
        """failcnt, memsw_failcnt, max_usage and limit of the parent memory cgroup (0 when unreadable)."""
        return {
            "failcnt": _read_int(self.memory_dir / "memory.failcnt"),
            "memsw_failcnt": _read_int(self.memory_dir / "memory.memsw.failcnt"),
            "max_usage": _read_int(self.memory_dir / "memory.max_usage_in_bytes"),
            "limit": _read_int(self.memory_dir / "memory.limit_in_bytes"),
        }

    def directories(self) -> list[Path]:
        """Every directory of this container (parent and runc leaf) that exists in any hierarchy."""
        found = []
        mounts = set(self.layout.v1.values()) | ({self.layout.unified} if self.layout.unified else set())
        for mount in sorted(mounts):
            for path in (mount / self.relative / RUNC_LEAF, mount / self.relative):
                if path.is_dir():
                    found.append(path)
        return found

    def destroy(self) -> None:
        """Stop watching and remove the container's cgroups (leaf first) from every hierarchy."""
        for fd in (self._eventfd, self._control_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._eventfd = self._control_fd = None
        for path in self.directories():
            try:
                path.rmdir()
            except FileNotFoundError:
                pass
            except OSError as exc:
                if exc.errno == errno.EBUSY:
                    raise CgroupError(f"cgroup {path} still has processes") from exc
                raise CgroupError(f"cannot remove {path}: {exc.strerror}") from exc
