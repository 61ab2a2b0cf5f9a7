"""Image store: docker save tarballs and OCI layouts, layer order, whiteouts, safety, cache, errors."""
from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from mesosframe.local.containers.archive import apply_layer, member_parts
from mesosframe.local.containers.errors import ImageFormatError, ImageNotFoundError, UnsafeArchiveError
from mesosframe.local.containers.image import ImageConfig
from mesosframe.local.containers.rootfs import prepare_rootfs
from mesosframe.local.containers.store import ImageStore
from mesosframe.testing.images import (
    LayerBuilder,
    build_busybox_image,
    build_whiteout_image,
    image_config,
    main as images_main,
    write_image,
    write_oci_layout,
)

FORMATS = ["docker", "oci"]


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    return ImageStore(tmp_path / "registry", tmp_path / "cache")


def small_layer(**files: bytes) -> bytes:
    layer = LayerBuilder()
    for name, data in files.items():
        layer.file(name, data)
    return layer.to_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_resolve_busybox_both_formats(store, fmt):
    build_busybox_image(store.directory, "busybox:latest", fmt=fmt, entrypoint=["/bin/echo"], cmd=["hi"],
                        env=["PATH=/bin", "A=1"], working_dir="/tmp")
    image = store.resolve("busybox")
    assert image.config == ImageConfig(entrypoint=("/bin/echo",), cmd=("hi",), env=("PATH=/bin", "A=1"),
                                       working_dir="/tmp")
    assert image.digest.startswith("sha256:") and len(image.layers) == 1
    rootfs = store.rootfs(image)
    assert os.access(rootfs / "bin" / "busybox", os.X_OK)
    assert os.readlink(rootfs / "bin" / "sh") == "busybox"
    assert (rootfs / "tmp").stat().st_mode & 0o7777 == 0o1777


@pytest.mark.parametrize("stored, asked", [
    ("busybox:latest", "library/busybox:latest"),
    ("library/busybox:latest", "busybox"),
    ("team/app:v1", "team/app:v1"),
])
def test_name_normalisation(store, stored, asked):
    write_image(store.directory, stored, [small_layer(f=b"x")], image_config())
    assert store.resolve(asked).name == asked


def test_oci_layout_chosen_by_ref_name_annotation(store):
    layout = store.directory / "app"
    write_oci_layout(layout, [small_layer(v=b"1")], image_config(cmd=["one"]), "1.0")
    image = store.resolve("app:1.0")
    assert image.config.cmd == ("one",)
    with pytest.raises(ImageNotFoundError):
        store.resolve("app:2.0")


def test_missing_image_names_image_and_store(store):
    store.directory.mkdir(parents=True)
    with pytest.raises(ImageNotFoundError) as info:
        store.resolve("nosuch:1.0")
    message = str(info.value)
    assert "nosuch:1.0" in message and str(store.directory) in message
    assert "library/nosuch:1.0.tar" in message
    assert info.value.image == "nosuch:1.0" and info.value.store == str(store.directory)


@pytest.mark.parametrize("fmt", FORMATS)
def test_whiteouts_and_opaque_directories(store, fmt):
    build_whiteout_image(store.directory, "whiteout:latest", fmt=fmt)
    image = store.resolve("whiteout")
    assert len(image.layers) == 3
    rootfs = store.rootfs(image)
    assert sorted(os.listdir(rootfs / "data")) == ["added", "keep"]
    assert sorted(os.listdir(rootfs / "opaque")) == ["new"]
    assert not list(rootfs.rglob(".wh.*"))


def test_later_layer_replaces_file_and_dir_with_symlink(store):
    lower = LayerBuilder().directory("d").file("d/f", b"x").file("g", b"old").to_bytes()
    upper = LayerBuilder().symlink("d", "/elsewhere").file("g", b"new").to_bytes()
    write_image(store.directory, "layers:1", [lower, upper], image_config())
    rootfs = store.rootfs(store.resolve("layers:1"))
    assert os.readlink(rootfs / "d") == "/elsewhere"
    assert (rootfs / "g").read_bytes() == b"new"


def test_rootfs_is_cached_by_digest(store):
    build_busybox_image(store.directory, "busybox:latest")
    image = store.resolve("busybox")
    first = store.rootfs(image)
    marker = first / "marker"
    marker.write_text("cached")
    assert store.rootfs(store.resolve("busybox:latest")) == first and marker.exists()
    assert [p.name for p in store.cache_dir.iterdir()] == [first.name]


@pytest.mark.parametrize("name", ["../escape", "a/../../escape", "/abs/escape"])
def test_path_traversal_refused(tmp_path, name):
    layer = LayerBuilder().file("ok", b"fine").file(name, b"evil").to_bytes()
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(UnsafeArchiveError, match="escape"):
        apply_layer(io.BytesIO(layer), root)
    assert not (tmp_path / "escape").exists()
    assert not (root / "ok").exists(), "nothing of a refused layer is written"


@pytest.mark.parametrize("target", ["/", "../../..", "/etc/../.."])
def test_symlink_cannot_redirect_writes_outside(tmp_path, target):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    link_name = "evil"
    layer1 = LayerBuilder().symlink(link_name, target).to_bytes()
    apply_layer(io.BytesIO(layer1), root)
    layer2 = LayerBuilder().file(f"{link_name}/outside/pwned", b"x").to_bytes()
    apply_layer(io.BytesIO(layer2), root)
    assert not (outside / "pwned").exists()
    assert (root / "outside" / "pwned").read_bytes() == b"x"


def test_hard_link_inside_rootfs(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("a")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"1"))
        link = tarfile.TarInfo("b")
        link.type, link.linkname = tarfile.LNKTYPE, "a"
        tar.addfile(link)
    root = tmp_path / "root"
    root.mkdir()
    assert apply_layer(io.BytesIO(buffer.getvalue()), root) == 2
    assert (root / "a").stat().st_ino == (root / "b").stat().st_ino


def test_hard_link_to_missing_target_refused(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        link = tarfile.TarInfo("b")
        link.type, link.linkname = tarfile.LNKTYPE, "../../etc/passwd"
        tar.addfile(link)
    with pytest.raises(UnsafeArchiveError):
        apply_layer(io.BytesIO(buffer.getvalue()), tmp_path)


@pytest.mark.parametrize("name, parts", [("./a/b", ["a", "b"]), ("a//b/", ["a", "b"]), (".", [])])
def test_member_parts(name, parts):
    assert member_parts(name) == parts


def test_corrupt_archives(store):
    store.directory.mkdir(parents=True)
    (store.directory / "broken:1.tar").write_bytes(b"not a tar at all" * 100)
    with pytest.raises(ImageFormatError):
        store.resolve("broken:1")
    layout = store.directory / "bad:1"
    layout.mkdir()
    (layout / "oci-layout").write_text("{}")
    (layout / "index.json").write_text('{"manifests": [{"digest": "sha256:' + "0" * 64 + '"}]}')
    with pytest.raises(ImageFormatError, match="missing"):
        store.resolve("bad:1")


def test_layout_dir_with_several_manifests_picks_the_tag(store):
    layout = store.directory / "multi:b"
    write_oci_layout(layout, [small_layer(v=b"a")], image_config(cmd=["a"]), "a")
    first = (layout / "index.json").read_text()
    write_oci_layout(layout, [small_layer(v=b"b")], image_config(cmd=["b"]), "b")
    index = json.loads((layout / "index.json").read_text())
    index["manifests"] = json.loads(first)["manifests"] + index["manifests"]
    (layout / "index.json").write_text(json.dumps(index))
    assert store.resolve("multi:b").config.cmd == ("b",)


def test_images_command_line_writes_both_formats(tmp_path):
    assert images_main([str(tmp_path)]) == 0
    store = ImageStore(tmp_path, tmp_path / "cache")
    assert store.resolve("busybox:latest").digest == store.resolve("busybox:oci").digest
    assert images_main([]) == 2


def test_copy_backend_leaves_cache_untouched(store, tmp_path):
    build_busybox_image(store.directory, "busybox:latest")
    cached = store.rootfs(store.resolve("busybox"))
    prepared = prepare_rootfs(cached, tmp_path / "bundle", backend="copy")
    (prepared.path / "etc" / "passwd").write_text("changed")
    assert (cached / "etc" / "passwd").read_text().startswith("root:")
    assert os.readlink(prepared.path / "bin" / "sh") == "busybox"
    prepared.release()
    prepared.release()
    assert not prepared.path.exists()


def test_write_below_a_file_is_a_format_error(tmp_path):
    layer = LayerBuilder().file("f", b"x").file("f/below", b"y").to_bytes()
    with pytest.raises(ImageFormatError, match="cannot apply layer"):
        apply_layer(io.BytesIO(layer), tmp_path)
