"""What an image is once found in a store: its layers, in order, and its runtime config."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ImageConfig:
    """The runtime part of an image config (Docker's `config` object; OCI's is the same shape)."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    working_dir: str = ""
    user: str = ""

    @classmethod
    def from_json(cls, config: dict[str, Any] | None) -> ImageConfig:
        """Read Docker/OCI `config` keys (`Entrypoint`, `Cmd`, `Env`, `WorkingDir`, `User`); nulls are empty."""
        config = config or {}
        return cls(
            entrypoint=tuple(config.get("Entrypoint") or ()),
            cmd=tuple(config.get("Cmd") or ()),
            env=tuple(config.get("Env") or ()),
            working_dir=config.get("WorkingDir") or "",
            user=config.get("User") or "",
        )


@dataclass(frozen=True)
class Layer:
    """One layer tarball (maybe gzip-compressed): a file, or a member `member` of the tar file `path`."""

    path: Path
    member: str | None = None

    def describe(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)


@dataclass(frozen=True)
class Image:
    """A resolved image. `digest` (of its config) identifies the content and keys the rootfs cache."""

    name: str
    digest: str
    layers: tuple[Layer, ...]
    config: ImageConfig = field(default_factory=ImageConfig)
    source: Path | None = None
