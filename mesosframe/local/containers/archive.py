"""Apply image layers (tar, optionally gzip) onto a rootfs directory, safely, honouring whiteouts.

Contract of `apply_layer(fileobj, root)`:
- member names are made relative (`./` stripped); absolute names and `..` components are refused with
  UnsafeArchiveError before anything of that layer is written;
- parent directories are resolved inside `root` as a chroot would (a symlink `/x` in the rootfs points to
  `root/x`), so no symlink, absolute or relative, makes a write land outside `root`;
- `.wh.<name>` deletes `<name>` from lower layers; `.wh..wh..opq` empties its directory of lower-layer
  content; whiteouts are applied before the layer's own entries, so the layer's files survive;
- regular files, directories, symlinks, hard links (inside the rootfs) and FIFOs are created with their mode,
  owner (when running as root) and mtime; device nodes are skipped.
"""
from __future__ import annotations

import logging
import os
import shutil
import tarfile
from pathlib import Path
from typing import IO

from mesosframe.local.containers.errors import ImageFormatError, UnsafeArchiveError

log = logging.getLogger("mesosframe.containers.archive")

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
_MAX_SYMLINKS = 40


def member_parts(name: str) -> list[str]:
    """The path components of a member name; raises UnsafeArchiveError for absolute or `..` names."""
    if name.startswith("/"):
        raise UnsafeArchiveError(name, "absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(name, "path traversal ('..')")
    return parts


def resolve_in_root(root: Path, parts: list[str]) -> Path:
    """The host path of `parts` inside `root`, following symlinks as if `root` were `/`.

    Every part but the last is resolved; the last is not followed (it is what gets written or replaced).
    """
    resolved: list[str] = []
    pending = list(parts[:-1])
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = root.joinpath(*resolved, part)
        if candidate.is_symlink():
            hops += 1
            if hops > _MAX_SYMLINKS:
                raise UnsafeArchiveError("/".join(parts), "too many levels of symbolic links")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            pending = target.split("/") + pending
            continue
        resolved.append(part)
    return root.joinpath(*resolved, *parts[-1:])


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


def _apply_whiteout(root: Path, parts: list[str]) -> None:
    directory = resolve_in_root(root, parts).parent
    marker = parts[-1]
    if marker == OPAQUE_MARKER:
        if directory.is_dir() and not directory.is_symlink():
            for child in directory.iterdir():
                _remove(child)
        return
    victim = directory / marker[len(WHITEOUT_PREFIX):]
    if victim.exists() or victim.is_symlink():
        _remove(victim)


def _set_metadata(path: Path, member: tarfile.TarInfo, as_root: bool) -> None:
    if as_root:
        os.lchown(path, member.uid, member.gid)
    if not member.issym():
        os.chmod(path, member.mode & 0o7777)
        os.utime(path, (member.mtime, member.mtime))


def _extract_member(archive: tarfile.TarFile, member: tarfile.TarInfo, root: Path, parts: list[str],
                    as_root: bool) -> None:
    target = resolve_in_root(root, parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    if member.isdir():
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            _remove(target)
        target.mkdir(exist_ok=True)
        _set_metadata(target, member, as_root)
        return
    if target.exists() or target.is_symlink():
        _remove(target)
    if member.isreg():
        source = archive.extractfile(member)
        if source is None:
            raise ImageFormatError(f"cannot read layer member {member.name!r}")
        with source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    elif member.issym():
        os.symlink(member.linkname, target)
    elif member.islnk():
        link = resolve_in_root(root, member_parts(member.linkname))
        if not (link.exists() or link.is_symlink()):
            raise UnsafeArchiveError(member.name, f"hard link to a missing target {member.linkname!r}")
        os.link(link, target, follow_symlinks=False)
        return
    elif member.isfifo():
        os.mkfifo(target)
    else:
        log.debug("layer.skip member=%s type=%r", member.name, member.type)
        return
    _set_metadata(target, member, as_root)


def apply_layer(fileobj: IO[bytes], root: Path) -> int:
    """Apply one layer tar stream onto `root`; returns the number of entries written (whiteouts excluded)."""
    root = Path(root)
    as_root = os.geteuid() == 0
    try:
        with tarfile.open(fileobj=fileobj, mode="r:*") as archive:
            members = archive.getmembers()
            checked = [(m, member_parts(m.name)) for m in members]
            entries = []
            for member, parts in checked:
                if not parts:
                    continue
                if parts[-1].startswith(WHITEOUT_PREFIX):
                    _apply_whiteout(root, parts)
                else:
                    entries.append((member, parts))
            for member, parts in entries:
                _extract_member(archive, member, root, parts, as_root)
            return len(entries)
    except tarfile.TarError as exc:
        raise ImageFormatError(f"cannot read layer: {exc}") from exc
    except OSError as exc:
        raise ImageFormatError(f"cannot apply layer onto {root}: {exc}") from exc
