"""Tiny container images built from the host's static busybox, without docker.

`build_busybox_image(store, "busybox:latest")` writes a `docker save` tarball `busybox:latest.tar` into the
store directory; `fmt="oci"` writes an OCI image layout directory `busybox:latest/` instead. The rootfs holds
`/bin/busybox` (Debian's busybox-static), applet symlinks in `/bin`, `/etc/passwd`, `/etc/group` and `/tmp`.
`build_whiteout_image` adds a second layer that deletes and hides lower-layer files (for whiteout tests).
Layers are deterministic (fixed mtimes, root owner), so the same inputs give the same digests.

    python -m mesosframe.testing.images DIR     # writes busybox:latest.tar and busybox:oci/ into DIR
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import sys
import tarfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

BUSYBOX = Path("/bin/busybox")
MTIME = 1_700_000_000
APPLETS = ("sh", "echo", "cat", "ls", "hostname", "sleep", "mkdir", "touch", "ps", "id", "env", "head", "tail",
           "dd", "true", "false", "pwd", "rm", "test", "wc", "grep", "printf", "kill", "stat", "readlink", "yes")


class ImageBuildError(RuntimeError):
    """A test image cannot be built (e.g. no static busybox on this machine)."""


class LayerBuilder:
    """Collects entries of one layer tarball; `to_bytes()` gives the tar (gzip with `compress=True`)."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._tar = tarfile.open(fileobj=self._buffer, mode="w", format=tarfile.PAX_FORMAT)

    def _info(self, name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.mtime, info.uid, info.gid = kind, mode, MTIME, 0, 0
        return info

    def directory(self, name: str, mode: int = 0o755) -> LayerBuilder:
        self._tar.addfile(self._info(name, tarfile.DIRTYPE, mode))
        return self

    def file(self, name: str, data: bytes, mode: int = 0o644) -> LayerBuilder:
        info = self._info(name, tarfile.REGTYPE, mode)
        info.size = len(data)
        self._tar.addfile(info, io.BytesIO(data))
        return self

    def symlink(self, name: str, target: str) -> LayerBuilder:
        info = self._info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self._tar.addfile(info)
        return self

    def whiteout(self, name: str) -> LayerBuilder:
        """Delete `name` (from lower layers)."""
        head, _, base = name.rpartition("/")
        return self.file(f"{head}/.wh.{base}" if head else f".wh.{base}", b"", 0o600)

    def opaque(self, directory: str) -> LayerBuilder:
        """Hide everything lower layers put in `directory`."""
        return self.file(f"{directory.rstrip('/')}/.wh..wh..opq", b"", 0o600)

    def to_bytes(self, compress: bool = False) -> bytes:
        self._tar.close()
        data = self._buffer.getvalue()
        return gzip.compress(data, compresslevel=1, mtime=0) if compress else data


def busybox_layer() -> LayerBuilder:
    """The base layer: static busybox, applet symlinks, /etc/passwd and /etc/group, /tmp."""
    if not BUSYBOX.is_file():
        raise ImageBuildError(f"{BUSYBOX} not found: install Debian's busybox-static")
    layer = LayerBuilder().directory("bin").file("bin/busybox", BUSYBOX.read_bytes(), 0o755)
    for applet in APPLETS:
        layer.symlink(f"bin/{applet}", "busybox")
    layer.directory("etc").file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n")
    layer.file("etc/group", b"root:x:0:\nnogroup:x:65534:\nusers:x:100:nobody\n")
    return layer.directory("tmp", 0o1777).directory("root", 0o700)


def image_config(entrypoint: Sequence[str] | None = None, cmd: Sequence[str] | None = ("sh",),
                 env: Sequence[str] = ("PATH=/bin",), working_dir: str = "", user: str = "",
                 diff_ids: Sequence[str] = ()) -> dict[str, Any]:
    """A Docker/OCI image config JSON object."""
    return {
        "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
        "config": {"Entrypoint": list(entrypoint) if entrypoint else None, "Cmd": list(cmd) if cmd else None,
                   "Env": list(env), "WorkingDir": working_dir, "User": user},
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _diff_id(layer: bytes) -> str:
    """The digest of the uncompressed layer (what `rootfs.diff_ids` lists)."""
    return "sha256:" + _sha256(gzip.decompress(layer) if layer[:2] == b"\x1f\x8b" else layer)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def write_docker_archive(path: Path, layers: Sequence[bytes], config: dict[str, Any], repo_tags: Iterable[str]) -> Path:
    """Write a `docker save` tarball with these layer tars (stored as given, as `<id>/layer.tar`)."""
    config = dict(config, rootfs={"type": "layers", "diff_ids": [_diff_id(layer) for layer in layers]})
    config_bytes = _dumps(config)
    config_name = _sha256(config_bytes) + ".json"
    members: list[tuple[str, bytes]] = [(config_name, config_bytes)]
    layer_names = []
    for layer in layers:
        name = f"{_sha256(layer)}/layer.tar"
        layer_names.append(name)
        members.append((name, layer))
    manifest = [{"Config": config_name, "RepoTags": list(repo_tags), "Layers": layer_names}]
    members.append(("manifest.json", _dumps(manifest)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), MTIME
            archive.addfile(info, io.BytesIO(data))
    return path


def write_oci_layout(directory: Path, layers: Sequence[bytes], config: dict[str, Any], ref_name: str | None) -> Path:
    """Write an OCI image layout with gzip-compressed layers (compressed here unless already gzip) and one
    manifest, tagged `ref_name`."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def put(data: bytes, media_type: str) -> dict[str, Any]:
        digest = _sha256(data)
        (blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    config = dict(config, rootfs={"type": "layers", "diff_ids": [_diff_id(layer) for layer in layers]})
    compressed = [layer if layer[:2] == b"\x1f\x8b" else gzip.compress(layer, compresslevel=1, mtime=0)
                  for layer in layers]
    layer_descriptors = [put(layer, "application/vnd.oci.image.layer.v1.tar+gzip") for layer in compressed]
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": put(_dumps(config), "application/vnd.oci.image.config.v1+json"),
                "layers": layer_descriptors}
    descriptor = put(_dumps(manifest), "application/vnd.oci.image.manifest.v1+json")
    if ref_name:
        descriptor["annotations"] = {"org.opencontainers.image.ref.name": ref_name}
    (directory / "oci-layout").write_bytes(_dumps({"imageLayoutVersion": "1.0.0"}))
    (directory / "index.json").write_bytes(_dumps({"schemaVersion": 2, "manifests": [descriptor]}))
    return directory


def write_image(store: Path, name: str, layers: Sequence[bytes], config: dict[str, Any], fmt: str = "docker") -> Path:
    """Write `name` (`repo:tag`) into the store as `<name>.tar` (fmt="docker") or `<name>/` (fmt="oci")."""
    store = Path(store)
    if fmt == "docker":
        return write_docker_archive(store / f"{name}.tar", layers, config, [name])
    if fmt == "oci":
        target = store / name
        shutil.rmtree(target, ignore_errors=True)
        return write_oci_layout(target, layers, config, name.rsplit(":", 1)[-1])
    raise ValueError(f"unknown image format {fmt!r} (docker or oci)")


def build_busybox_image(store: Path, name: str = "busybox:latest", fmt: str = "docker", **config: Any) -> Path:
    """Write a one-layer busybox image; `config` goes to `image_config` (entrypoint, cmd, env, working_dir, user)."""
    return write_image(store, name, [busybox_layer().to_bytes()], image_config(**config), fmt)


def whiteout_layers() -> list[bytes]:
    """Three layers: busybox; data files; a layer deleting `/data/gone` and making `/opaque` opaque."""
    data = (LayerBuilder().directory("data").file("data/keep", b"keep\n").file("data/gone", b"gone\n")
            .directory("opaque").file("opaque/old", b"old\n").directory("opaque/sub").file("opaque/sub/deep", b"x\n"))
    upper = (LayerBuilder().whiteout("data/gone").opaque("opaque").file("opaque/new", b"new\n")
             .file("data/added", b"added\n"))
    return [busybox_layer().to_bytes(), data.to_bytes(), upper.to_bytes(compress=True)]


def build_whiteout_image(store: Path, name: str = "whiteout:latest", fmt: str = "docker") -> Path:
    """Write the multi-layer whiteout image (see `whiteout_layers`)."""
    return write_image(store, name, whiteout_layers(), image_config(), fmt)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m mesosframe.testing.images DIR", file=sys.stderr)
        return 2
    store = Path(args[0])
    for path in (build_busybox_image(store, "busybox:latest"), build_busybox_image(store, "busybox:oci", fmt="oci")):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
