"""The user a container process runs as: `name`, `uid`, `name:group` or `uid:gid`, looked up in the image.

Rules (Docker's, which Mesos's docker/runtime isolator follows): names are looked up in the rootfs's
`/etc/passwd` and `/etc/group`; numeric ids need no entry; without a group, the user's primary group from
passwd (or gid = uid's entry, else 0); supplementary groups are those listing the user in `/etc/group`.
An unknown name is an error (the task fails to launch, as in Mesos). `lookup_user` is pure.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mesosframe.local.containers.archive import resolve_in_root
from mesosframe.local.containers.errors import ContainerError


class UnknownUserError(ContainerError):
    """The user or group is not in the image's /etc/passwd or /etc/group."""


@dataclass(frozen=True)
class ProcessUser:
    """uid, gid and supplementary gids of the container process."""

    uid: int
    gid: int
    additional_gids: tuple[int, ...] = ()

    def to_oci(self) -> dict[str, object]:
        user: dict[str, object] = {"uid": self.uid, "gid": self.gid}
        if self.additional_gids:
            user["additionalGids"] = list(self.additional_gids)
        return user


ROOT = ProcessUser(0, 0)


def _table(text: str) -> list[list[str]]:
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#") and ":" in line]


def lookup_user(spec: str, passwd: str, group: str) -> ProcessUser:
    """Resolve `spec` (`user[:group]`, names or numbers) against passwd and group file contents."""
    if not spec:
        return ROOT
    user_part, _, group_part = spec.partition(":")
    users, groups = _table(passwd), _table(group)
    name = None
    if user_part.isdigit():
        uid = int(user_part)
        entry = next((u for u in users if len(u) > 3 and u[2] == user_part), None)
    else:
        entry = next((u for u in users if u[0] == user_part and len(u) > 3), None)
        if entry is None:
            raise UnknownUserError(f"user {user_part!r} not found in the image's /etc/passwd")
        uid = int(entry[2])
    if entry is not None:
        name = entry[0]
    if group_part.isdigit():
        gid = int(group_part)
    elif group_part:
        match = next((g for g in groups if g[0] == group_part and len(g) > 2), None)
        if match is None:
            raise UnknownUserError(f"group {group_part!r} not found in the image's /etc/group")
        gid = int(match[2])
    else:
        gid = int(entry[3]) if entry is not None and entry[3].isdigit() else 0
    extra = tuple(sorted({int(g[2]) for g in groups if len(g) > 3 and name and name in g[3].split(",")
                          and g[2].isdigit() and int(g[2]) != gid}))
    return ProcessUser(uid, gid, extra)


def _read_in_rootfs(rootfs: Path, relative: str) -> str:
    path = resolve_in_root(rootfs, relative.split("/"))
    if path.is_symlink() or not path.is_file():
        return ""
    return path.read_text(errors="replace")


def resolve_user(spec: str, rootfs: Path) -> ProcessUser:
    """`lookup_user` against the rootfs's own /etc/passwd and /etc/group (symlinks resolved inside it)."""
    if not spec:
        return ROOT
    return lookup_user(spec, _read_in_rootfs(rootfs, "etc/passwd"), _read_in_rootfs(rootfs, "etc/group"))
