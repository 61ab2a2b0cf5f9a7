"""vagrant/ stays valid: the provisioning scripts are shellcheck-clean and `vagrant validate` passes in both
cluster flavours (Apache Mesos packages, and mesosframe's own local master and agents)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

VAGRANT_DIR = Path(__file__).resolve().parents[2] / "vagrant"


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is not installed; scripts/bootstrap.sh installs it")
        pytest.skip(f"{tool} is not installed")


def test_provisioning_scripts_are_shellcheck_clean():
    _require("shellcheck")
    scripts = sorted(str(p) for p in (VAGRANT_DIR / "provision").glob("*.sh"))
    assert len(scripts) >= 5
    result = subprocess.run(["shellcheck", "-x", *scripts], capture_output=True, text=True, cwd=VAGRANT_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("flavour", ["mesos", "local"])
def test_vagrantfile_validates(flavour, tmp_path):
    _require("vagrant")
    env = {**os.environ, "MESOSFRAME_CLUSTER": flavour, "VAGRANT_HOME": str(tmp_path / "vagrant.d"),
           "VAGRANT_CHECKPOINT_DISABLE": "1"}
    result = subprocess.run(["vagrant", "validate", "--ignore-provider"], capture_output=True, text=True,
                            cwd=VAGRANT_DIR, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validated successfully" in result.stdout


def test_vagrantfile_refuses_an_unknown_flavour(tmp_path):
    _require("vagrant")
    env = {**os.environ, "MESOSFRAME_CLUSTER": "kubernetes", "VAGRANT_HOME": str(tmp_path / "vagrant.d"),
           "VAGRANT_CHECKPOINT_DISABLE": "1"}
    result = subprocess.run(["vagrant", "validate", "--ignore-provider"], capture_output=True, text=True,
                            cwd=VAGRANT_DIR, env=env, timeout=120)
    assert result.returncode != 0
    assert "MESOSFRAME_CLUSTER must be" in result.stdout + result.stderr
