"""A local image store: Mesos's `--docker_registry=<dir>` with `docker save` tarballs and OCI image layouts.

Layout of the store directory (for the image `busybox:latest`, also found as `library/busybox:latest`):
- `busybox:latest.tar`: a `docker save` tarball (`manifest.json`, config JSON, `<id>/layer.tar`);
- `busybox:latest/`: an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/...`);
- `busybox/`: an OCI image layout whose index names the tag in `org.opencontainers.image.ref.name`.

`resolve(name)` finds the image and reads its manifest and config (no layer is extracted). `rootfs(image)`
extracts the layers in order into a cache keyed by the config digest and returns the cached directory;
it is built in a temporary directory and renamed into place, so a cached rootfs is always complete.
Both are blocking file work: from asyncio, call them through `asyncio.to_thread`.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from mesosframe.local.containers.archive import apply_layer
from mesosframe.local.containers.errors import ImageFormatError, ImageNotFoundError
from mesosframe.local.containers.image import Image, ImageConfig, Layer
from mesosframe.local.containers.reference import ImageReference

log = logging.getLogger("mesosframe.containers.store")

REF_NAME = "org.opencontainers.image.ref.name"
_INDEX_TYPES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
_BLOB_DIGEST = re.compile(r"^sha256:([a-f0-9]{64})$")


class ImageStore:
    """Images found in `directory`; extracted rootfs cached under `cache_dir`."""

    def __init__(self, directory: Path | str, cache_dir: Path | str | None = None) -> None:
        self.directory = Path(directory)
        default_cache = Path(tempfile.gettempdir()) / "mesosframe-rootfs"
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache

    def resolve(self, name: str) -> Image:
        """The image called `name`; raises ImageNotFoundError naming the image and this store."""
        reference = ImageReference.parse(name)
        tried: list[str] = []
        for store_name in reference.store_names():
            tarball = self.directory / f"{store_name}.tar"
            tried.append(f"{store_name}.tar")
            if tarball.is_file():
                return _read_docker_archive(tarball, name, reference)
            layout = self.directory / store_name
            tried.append(f"{store_name}/")
            if (layout / "oci-layout").is_file():
                image = _read_oci_layout(layout, name, reference.tag, require_tag=False)
                if image is not None:
                    return image
        repos = {n.split("@")[0].rsplit(":", 1)[0] for n in reference.store_names()}
        for repo in sorted(repos):
            layout = self.directory / repo
            if (layout / "oci-layout").is_file():
                tried.append(f"{repo}/ ({REF_NAME}={reference.tag})")
                image = _read_oci_layout(layout, name, reference.tag, require_tag=True)
                if image is not None:
                    return image
        raise ImageNotFoundError(name, str(self.directory), tried)

    def rootfs(self, image: Image) -> Path:
        """The extracted root filesystem of `image` (cached by config digest; build it on first use)."""
        key = image.digest.split(":", 1)[-1]
        target = self.cache_dir / key
        if target.is_dir():
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=self.cache_dir))
        try:
            os.chmod(building, 0o755)
            for layer in image.layers:
                _apply(layer, building)
            try:
                os.rename(building, target)
            except OSError:
                if not target.is_dir():
                    raise
                shutil.rmtree(building, ignore_errors=True)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        log.info("rootfs.built image=%s digest=%s layers=%d", image.name, image.digest, len(image.layers))
        return target


def _apply(layer: Layer, root: Path) -> None:
    if layer.member is None:
        with open(layer.path, "rb") as stream:
            apply_layer(stream, root)
        return
    with tarfile.open(layer.path) as outer:
        try:
            stream = outer.extractfile(layer.member)
        except KeyError:
            stream = None
        if stream is None:
            raise ImageFormatError(f"layer {layer.describe()} is missing")
        with stream:
            apply_layer(stream, root)


def _load_json(data: bytes | None, what: str) -> Any:
    if data is None:
        raise ImageFormatError(f"{what} is missing")
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ImageFormatError(f"{what} is not valid JSON: {exc}") from exc


def _read_docker_archive(path: Path, name: str, reference: ImageReference) -> Image:
    """Read a `docker save` tarball: the manifest entry whose RepoTags match, or its only entry."""
    try:
        with tarfile.open(path) as archive:
            def read(member: str) -> bytes | None:
                try:
                    stream = archive.extractfile(member)
                except KeyError:
                    return None
                return stream.read() if stream else None

            manifest = _load_json(read("manifest.json"), f"{path}: manifest.json")
            if not isinstance(manifest, list) or not manifest:
                raise ImageFormatError(f"{path}: manifest.json is not a non-empty list")
            wanted = set(reference.store_names())
            entry = next((e for e in manifest if wanted & set(e.get("RepoTags") or ())), manifest[0])
            config_bytes = read(entry["Config"])
            config = _load_json(config_bytes, f"{path}: {entry['Config']}")
            layers = tuple(Layer(path, member) for member in entry.get("Layers") or ())
    except (tarfile.TarError, KeyError, TypeError) as exc:
        raise ImageFormatError(f"{path}: not a docker save tarball: {exc}") from exc
    digest = "sha256:" + hashlib.sha256(config_bytes or b"").hexdigest()
    return Image(name, digest, layers, ImageConfig.from_json(config.get("config")), path)


def _blob(layout: Path, descriptor: dict[str, Any]) -> Path:
    match = _BLOB_DIGEST.match(str(descriptor.get("digest", "")))
    if not match:
        raise ImageFormatError(f"{layout}: unsupported blob digest {descriptor.get('digest')!r}")
    blob = layout / "blobs" / "sha256" / match.group(1)
    if not blob.is_file():
        raise ImageFormatError(f"{layout}: blob {descriptor['digest']} is missing")
    return blob


def _pick_platform(layout: Path, index: dict[str, Any]) -> dict[str, Any]:
    manifests = index.get("manifests") or []
    for descriptor in manifests:
        platform = descriptor.get("platform") or {}
        if platform.get("os", "linux") == "linux" and platform.get("architecture", "amd64") == "amd64":
            return descriptor
    raise ImageFormatError(f"{layout}: no linux/amd64 manifest in the image index")


def _read_oci_layout(layout: Path, name: str, tag: str | None, require_tag: bool) -> Image | None:
    """Read an OCI layout: the manifest annotated with `tag` (or the full name); failing that, the only
    manifest unless `require_tag` (then None)."""
    index_file = layout / "index.json"
    index = _load_json(index_file.read_bytes() if index_file.is_file() else None, f"{layout}: index.json")
    manifests = index.get("manifests") or []
    chosen = [d for d in manifests if (d.get("annotations") or {}).get(REF_NAME) in (tag, name)]
    if chosen:
        descriptor = chosen[0]
    elif require_tag:
        return None
    elif len(manifests) == 1:
        descriptor = manifests[0]
    else:
        raise ImageFormatError(f"{layout}: {len(manifests)} manifests in index.json and none is tagged {tag!r}")
    for _ in range(2):
        if descriptor.get("mediaType") not in _INDEX_TYPES:
            break
        descriptor = _pick_platform(layout, _load_json(_blob(layout, descriptor).read_bytes(), f"{layout}: index"))
    manifest = _load_json(_blob(layout, descriptor).read_bytes(), f"{layout}: manifest")
    config_descriptor = manifest.get("config") or {}
    config = _load_json(_blob(layout, config_descriptor).read_bytes(), f"{layout}: config")
    layers = tuple(Layer(_blob(layout, d)) for d in manifest.get("layers") or ())
    return Image(name, config_descriptor["digest"], layers, ImageConfig.from_json(config.get("config")), layout)
