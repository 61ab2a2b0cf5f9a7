"""Docker image references: `[REGISTRY[:PORT]/]REPO[:TAG|@DIGEST]` (pure).

`ImageReference.parse("busybox")` gives repository `busybox`, tag `latest`. `store_names()` lists the
names under which a local store (Mesos's `--docker_registry=<dir>`) may hold the image, following Docker's
normalisation: `busybox` and `library/busybox` are the same image on the default registry.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from mesosframe.local.containers.errors import ContainerError

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_REGISTRY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Fa-f0-9]{32,}$")
DEFAULT_TAG = "latest"


class InvalidImageReferenceError(ContainerError):
    """An image name that does not follow `[REGISTRY[:PORT]/]REPO[:TAG|@DIGEST]`."""


@dataclass(frozen=True)
class ImageReference:
    """A parsed image name. `tag` is None only when `digest` is set."""

    repository: str
    tag: str | None = DEFAULT_TAG
    digest: str | None = None
    registry: str | None = None

    @classmethod
    def parse(cls, name: str) -> ImageReference:
        """Parse an image name; raise InvalidImageReferenceError with the name if it is malformed."""
        if not name or name != name.strip():
            raise InvalidImageReferenceError(f"invalid image name {name!r}")
        rest, digest = name, None
        if "@" in rest:
            rest, digest = rest.split("@", 1)
            if not _DIGEST.match(digest):
                raise InvalidImageReferenceError(f"invalid digest in image name {name!r}")
        tag = None
        last = rest.rsplit("/", 1)[-1]
        if ":" in last:
            rest, tag = rest.rsplit(":", 1)
            if not _TAG.match(tag):
                raise InvalidImageReferenceError(f"invalid tag in image name {name!r}")
        registry = None
        parts = rest.split("/")
        if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
            registry, parts = parts[0], parts[1:]
            if not _REGISTRY.match(registry):
                raise InvalidImageReferenceError(f"invalid registry in image name {name!r}")
        if not parts or not all(_COMPONENT.match(p) for p in parts):
            raise InvalidImageReferenceError(f"invalid repository in image name {name!r}")
        if tag is None and digest is None:
            tag = DEFAULT_TAG
        return cls(repository="/".join(parts), tag=tag, digest=digest, registry=registry)

    @property
    def version(self) -> str:
        """`:tag` or `@digest`, as it follows the repository in a full name."""
        return f"@{self.digest}" if self.digest else f":{self.tag}"

    def store_names(self) -> list[str]:
        """Names (without extension) a local store may use for this image, most specific first."""
        repos = [self.repository]
        if self.repository.startswith("library/"):
            repos.append(self.repository[len("library/"):])
        elif "/" not in self.repository:
            repos.append("library/" + self.repository)
        names = [r + self.version for r in repos]
        if self.digest and self.tag:
            names += [f"{r}:{self.tag}" for r in repos]
        return names

    def __str__(self) -> str:
        prefix = f"{self.registry}/" if self.registry else ""
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{prefix}{self.repository}{tag}{digest}"
