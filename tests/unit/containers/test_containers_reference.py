from __future__ import annotations

import pytest

from mesosframe.local.containers.reference import ImageReference, InvalidImageReferenceError

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize("name, repository, tag, digest, registry", [
    ("busybox", "busybox", "latest", None, None),
    ("busybox:1.36", "busybox", "1.36", None, None),
    ("library/alpine:3.19", "library/alpine", "3.19", None, None),
    ("registry.example.com:5000/team/app:v2", "team/app", "v2", None, "registry.example.com:5000"),
    ("localhost/app", "app", "latest", None, "localhost"),
    (f"busybox@{DIGEST}", "busybox", None, DIGEST, None),
    (f"busybox:1.36@{DIGEST}", "busybox", "1.36", DIGEST, None),
    ("my-org/my_app.x", "my-org/my_app.x", "latest", None, None),
])
def test_parse(name, repository, tag, digest, registry):
    ref = ImageReference.parse(name)
    assert (ref.repository, ref.tag, ref.digest, ref.registry) == (repository, tag, digest, registry)


@pytest.mark.parametrize("name", ["", " busybox", "Busybox", "busybox:", "busybox:bad/tag", "a//b", "busybox@sha256:xyz",
                                  "busybox@md5", "/busybox"])
def test_parse_rejects(name):
    with pytest.raises(InvalidImageReferenceError):
        ImageReference.parse(name)


@pytest.mark.parametrize("name, names", [
    ("busybox", ["busybox:latest", "library/busybox:latest"]),
    ("library/busybox:1", ["library/busybox:1", "busybox:1"]),
    ("team/app:v1", ["team/app:v1"]),
    (f"busybox:1@{DIGEST}", [f"busybox@{DIGEST}", f"library/busybox@{DIGEST}", "busybox:1", "library/busybox:1"]),
])
def test_store_names(name, names):
    assert ImageReference.parse(name).store_names() == names


@pytest.mark.parametrize("name, text", [
    ("busybox", "busybox:latest"),
    ("reg.io/a/b:1", "reg.io/a/b:1"),
    (f"a@{DIGEST}", f"a@{DIGEST}"),
])
def test_str(name, text):
    assert str(ImageReference.parse(name)) == text
