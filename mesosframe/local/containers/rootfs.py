"""Per-container root filesystems made from a cached image rootfs.

`prepare_rootfs(image_rootfs, dest)` gives the container a writable root without touching the cache:
- "overlay" (default when the kernel has it): an overlayfs mount at `dest/rootfs` with the cached rootfs as
  the read-only lower layer and `dest/upper` for the container's writes; near-instant for any image size;
- "copy": a full copy of the cached rootfs (like Mesos's copy backend); slower, works everywhere.
`PreparedRootfs.release()` unmounts (lazily, so it cannot hang) and removes what was made; it is idempotent.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from mesosframe.local.containers.errors import ContainerError

log = logging.getLogger("mesosframe.containers.rootfs")

_MNT_DETACH = 2
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class RootfsError(ContainerError):
    """The container rootfs could not be prepared or released."""


def overlay_supported() -> bool:
    """True when the kernel lists overlayfs (mounting also needs root)."""
    try:
        return any(line.split()[-1] == "overlay" for line in Path("/proc/filesystems").read_text().splitlines())
    except OSError:
        return False


@dataclass
class PreparedRootfs:
    """A container's root filesystem at `path`; `backend` is "overlay" or "copy"."""

    path: Path
    base: Path
    backend: str
    mounted: bool = False

    def release(self) -> None:
        """Unmount (overlay) and remove the per-container directories; safe to call twice."""
        if self.mounted:
            if _libc.umount2(os.fsencode(self.path), _MNT_DETACH) != 0:
                err = ctypes.get_errno()
                raise RootfsError(f"cannot unmount {self.path}: {os.strerror(err)}")
            self.mounted = False
        for name in ("rootfs", "upper", "work"):
            shutil.rmtree(self.base / name, ignore_errors=True)


def prepare_rootfs(image_rootfs: Path, dest: Path, backend: str | None = None) -> PreparedRootfs:
    """Make `dest/rootfs` a writable root built on `image_rootfs` (which is never modified).

    `backend=None` picks overlay when possible and falls back to copy if the overlay mount fails.
    """
    if backend is None:
        if overlay_supported() and os.geteuid() == 0:
            try:
                return prepare_rootfs(image_rootfs, dest, "overlay")
            except RootfsError as exc:
                log.warning("rootfs.overlay_failed error=%s fallback=copy", exc)
                PreparedRootfs(Path(dest) / "rootfs", Path(dest), "overlay").release()
        backend = "copy"
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / "rootfs"
    if backend == "copy":
        shutil.copytree(image_rootfs, target, symlinks=True)
        return PreparedRootfs(target, dest, "copy")
    if backend != "overlay":
        raise RootfsError(f"unknown rootfs backend {backend!r} (overlay or copy)")
    upper, work = dest / "upper", dest / "work"
    for directory in (target, upper, work):
        directory.mkdir(exist_ok=True)
    options = f"lowerdir={image_rootfs},upperdir={upper},workdir={work}"
    if _libc.mount(b"overlay", os.fsencode(target), b"overlay", 0, options.encode()) != 0:
        err = ctypes.get_errno()
        raise RootfsError(f"cannot mount overlay at {target}: {os.strerror(err)}")
    log.debug("rootfs.mounted backend=overlay path=%s", target)
    return PreparedRootfs(target, dest, "overlay", mounted=True)
