from __future__ import annotations

import io

import pytest

from mesosframe.local.containers.archive import apply_layer
from mesosframe.local.containers.users import ROOT, ProcessUser, UnknownUserError, lookup_user, resolve_user
from mesosframe.testing.images import LayerBuilder

PASSWD = "root:x:0:0:root:/root:/bin/sh\n# comment\nnobody:x:65534:65534::/:/bin/false\napp:x:1000:1001::/app:/bin/sh\n"
GROUP = "root:x:0:\nnogroup:x:65534:\napp:x:1001:\nstaff:x:50:app,other\nwheel:x:10:app\n"


@pytest.mark.parametrize("spec, expected", [
    ("", ROOT),
    ("root", ProcessUser(0, 0)),
    ("nobody", ProcessUser(65534, 65534)),
    ("app", ProcessUser(1000, 1001, (10, 50))),
    ("app:staff", ProcessUser(1000, 50, (10,))),
    ("1000", ProcessUser(1000, 1001, (10, 50))),
    ("4242", ProcessUser(4242, 0)),
    ("4242:77", ProcessUser(4242, 77)),
    ("nobody:0", ProcessUser(65534, 0)),
])
def test_lookup_user(spec, expected):
    assert lookup_user(spec, PASSWD, GROUP) == expected


@pytest.mark.parametrize("spec, message", [("ghost", "user 'ghost'"), ("app:ghosts", "group 'ghosts'")])
def test_unknown_names(spec, message):
    with pytest.raises(UnknownUserError, match=message):
        lookup_user(spec, PASSWD, GROUP)


def test_oci_user():
    assert ProcessUser(1, 2, (3,)).to_oci() == {"uid": 1, "gid": 2, "additionalGids": [3]}
    assert ROOT.to_oci() == {"uid": 0, "gid": 0}


def test_resolve_in_rootfs_does_not_follow_escaping_symlinks(tmp_path):
    outside = tmp_path / "host-passwd"
    outside.write_text("evil:x:0:0::/:/bin/sh\n")
    root = tmp_path / "root"
    root.mkdir()
    apply_layer(io.BytesIO(LayerBuilder().directory("etc").symlink("etc/passwd", str(outside)).to_bytes()), root)
    with pytest.raises(UnknownUserError):
        resolve_user("evil", root)
    (root / "etc" / "passwd").unlink()
    (root / "etc" / "passwd").write_text(PASSWD)
    assert resolve_user("app", root).uid == 1000
