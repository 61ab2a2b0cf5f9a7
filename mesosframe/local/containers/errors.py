"""Errors of the container runtime, under `mesosframe.errors`.

    MesosframeError
    └── ContainerError                 anything the container runtime refuses or fails at
        ├── RuntimeUnavailableError    runc, root, namespaces or cgroups are missing (`.reasons`)
        ├── ImageNotFoundError         no image of that name in the store (`.image`, `.store`)
        ├── ImageFormatError           a tarball or OCI layout that cannot be read
        │   └── UnsafeArchiveError     a layer tries to write outside the rootfs (`.member`)
        ├── CommandResolutionError     TaskInfo command + image config give no program to run
        └── ContainerLaunchError       runc failed to create or start the container
"""
from __future__ import annotations

from mesosframe.errors import MesosframeError


class ContainerError(MesosframeError):
    """A failure of the container runtime (the agent maps it to REASON_CONTAINER_LAUNCH_FAILED)."""


class RuntimeUnavailableError(ContainerError):
    """The runtime cannot run containers on this machine; `reasons` lists why."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("container runtime unavailable: " + "; ".join(reasons))
        self.reasons = list(reasons)


class ImageNotFoundError(ContainerError):
    """No image of that name in the store; the message names both."""

    def __init__(self, image: str, store: str, tried: list[str] | None = None) -> None:
        detail = f" (looked for {', '.join(tried)})" if tried else ""
        super().__init__(f"image {image!r} not found in image store {store}{detail}")
        self.image = image
        self.store = store
        self.tried = list(tried or [])


class ImageFormatError(ContainerError):
    """An image archive or layout that cannot be read or is inconsistent."""


class UnsafeArchiveError(ImageFormatError):
    """A layer member would be written outside the rootfs (path traversal, absolute path)."""

    def __init__(self, member: str, why: str) -> None:
        super().__init__(f"unsafe layer member {member!r}: {why}")
        self.member = member


class CommandResolutionError(ContainerError):
    """The task's CommandInfo and the image's Entrypoint/Cmd do not give a program to run."""


class ContainerLaunchError(ContainerError):
    """runc could not create or start the container; the message carries runc's stderr."""
