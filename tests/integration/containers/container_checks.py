"""Checks shared by the container tests: what of a container is left behind after it should be gone."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from mesosframe.local.agents import ContainerOptions
from mesosframe.local.containers.cgroups import cgroup_layout


def leftovers(options: ContainerOptions, container_id: str) -> list[str]:
    """Whatever of the container is still there: runc state, cgroups, mounts, its bundle's rootfs."""
    found = []
    listing = subprocess.run(options.runtime().runc_command("list", "--format", "json"), capture_output=True,
                             text=True, timeout=10)
    if container_id in [c["id"] for c in json.loads(listing.stdout or "null") or []]:
        found.append("runc state")
    layout = cgroup_layout()
    for mount in set(layout.v1.values()) | ({layout.unified} if layout.unified else set()):
        if (mount / options.cgroup_root / container_id).exists():
            found.append(f"cgroup in {mount}")
    if container_id in Path("/proc/self/mounts").read_text():
        found.append("mount")
    return found
